public import CutlineContracts
public import CutlineCore
import CutlineOutbox
public import CutlineSQLite
public import Foundation

/// The jobs this processor accepted, in its own database beside its outbox. A job is acknowledged
/// only once its row is committed, so an accepted job survives a restart; each change of a job and the
/// status write that reports it commit together.
public struct ProcessorJobs: Sendable {
    public let database: SQLiteDatabase

    public static let migrations = [
        SQLiteMigration("media: jobs", """
        CREATE TABLE jobs (
            job_id TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            request TEXT NOT NULL,
            clips_uploaded INTEGER NOT NULL DEFAULT 0,
            clips TEXT NOT NULL DEFAULT '[]',
            accepted_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX jobs_waiting ON jobs (state, accepted_at);
        """),
    ]

    /// A job's place in this processor: waiting its turn, rendering, or done with.
    public enum State: String, Sendable {
        case queued, running, completed, failed, cancelled
    }

    public struct Job: Sendable {
        public var request: SubmitRequest
        public var state: State
        public var clips: [ClipRecord]
    }

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Stores the job with its QUEUED write; false if this processor already has it.
    public func accept(_ request: SubmitRequest, now: Date = Date()) async throws -> Bool {
        let payload = String(decoding: try Self.encoder.encode(request), as: UTF8.self)
        return try await database.write { connection in
            try connection.execute("INSERT OR IGNORE INTO jobs (job_id, state, request, accepted_at, updated_at) VALUES (?, 'queued', ?, ?, ?)",
                                   [.text(request.jobID.description), .text(payload), .real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970)])
            guard connection.changes > 0 else { return false }
            try Outbox.enqueue(StatusWrite(jobID: request.jobID, state: .queued, attempt: request.attempt,
                                           progress: JobProgress(clipsDone: 0, clipsTotal: Int64(request.plan.count))), on: connection, now: now)
            return true
        }
    }

    /// The oldest job waiting, or one left running by a processor that stopped (it starts again).
    public func next() async throws -> Job? {
        try await database.read { connection in
            try connection.query("""
                SELECT request, state, clips FROM jobs WHERE state IN ('queued', 'running')
                ORDER BY state = 'running' DESC, accepted_at LIMIT 1
                """).first.map(Self.job)
        }
    }

    public func job(_ jobID: JobID) async throws -> Job? {
        try await database.read { connection in
            try connection.query("SELECT request, state, clips FROM jobs WHERE job_id = ?", [.text(jobID.description)]).first.map(Self.job)
        }
    }

    static func job(_ row: SQLiteRow) throws -> Job {
        let decoder = JSONDecoder()
        return Job(request: try decoder.decode(SubmitRequest.self, from: Data((row.text(0) ?? "").utf8)),
                   state: State(rawValue: row.text(1) ?? "") ?? .failed,
                   clips: try decoder.decode([ClipRecord].self, from: Data((row.text(2) ?? "[]").utf8)))
    }

    /// Marks the job running and reports PROCESSING with what is uploaded so far.
    public func start(_ job: Job) async throws {
        let request = job.request
        try await update(request.jobID, state: .running, clips: job.clips, write: StatusWrite(
            jobID: request.jobID, state: .processing, attempt: request.attempt, clipsDone: Int64(job.clips.count),
            progress: JobProgress(clipsDone: Int64(job.clips.count), clipsTotal: Int64(request.plan.count)), clips: job.clips))
    }

    /// Records one more uploaded clip and reports it.
    public func clipUploaded(_ request: SubmitRequest, clips: [ClipRecord]) async throws {
        try await update(request.jobID, state: .running, clips: clips, write: StatusWrite(
            jobID: request.jobID, state: .processing, attempt: request.attempt, clipsDone: Int64(clips.count),
            progress: JobProgress(clipsDone: Int64(clips.count), clipsTotal: Int64(request.plan.count)), clips: clips))
    }

    public func complete(_ request: SubmitRequest, clips: [ClipRecord]) async throws {
        try await update(request.jobID, state: .completed, clips: clips, write: StatusWrite(
            jobID: request.jobID, state: .completed, attempt: request.attempt, clipsDone: Int64(clips.count),
            progress: JobProgress(clipsDone: Int64(clips.count), clipsTotal: Int64(request.plan.count)), clips: clips))
    }

    /// Marks a waiting or running job cancelled, with its CANCELLED write; false if it was not one.
    public func cancel(_ jobID: JobID) async throws -> Bool {
        guard let job = try await job(jobID), job.state == .queued || job.state == .running else { return false }
        let request = job.request
        try await update(jobID, state: .cancelled, clips: job.clips, write: StatusWrite(
            jobID: jobID, state: .cancelled, attempt: request.attempt, clipsDone: Int64(job.clips.count),
            progress: JobProgress(clipsDone: Int64(job.clips.count), clipsTotal: Int64(request.plan.count)), clips: job.clips))
        return true
    }

    public func fail(_ request: SubmitRequest, clips: [ClipRecord], failure: JobFailure) async throws {
        try await update(request.jobID, state: .failed, clips: clips, write: StatusWrite(
            jobID: request.jobID, state: .failed, attempt: request.attempt, clipsDone: Int64(clips.count),
            progress: JobProgress(clipsDone: Int64(clips.count), clipsTotal: Int64(request.plan.count)), clips: clips, error: failure))
    }

    private func update(_ jobID: JobID, state: State, clips: [ClipRecord], write: StatusWrite) async throws {
        let encoded = String(decoding: try Self.encoder.encode(clips), as: UTF8.self)
        try await database.write { connection in
            // A cancelled job stays cancelled, whatever its render reports on the way out.
            try connection.execute("UPDATE jobs SET state = ?, clips = ?, clips_uploaded = ?, updated_at = ? WHERE job_id = ? AND state != 'cancelled'",
                                   [.text(state.rawValue), .text(encoded), .integer(Int64(clips.count)), .real(write.updatedAt.timeIntervalSince1970),
                                    .text(jobID.description)])
            guard connection.changes > 0 || state == .cancelled else { return }
            try Outbox.enqueue(write, on: connection)
        }
    }
}
