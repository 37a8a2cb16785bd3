public import CutlineContracts
public import CutlineCore
import CutlineOutbox
public import CutlineSQLite
public import Foundation

/// The jobs this processor accepted, in its own database beside its outbox. A job is acknowledged
/// only once its row is committed, so an accepted job survives a restart; each change of a job and the
/// status write that reports it commit together.
public struct MediaProcessorJobs: Sendable {
    public let database: SQLiteDatabase

    public static let migrations = [
        SQLiteMigration(
            "media: jobs",
            """
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
        // How many times a render of the job began without ending: a job that takes the processor down
        // every time is failed instead of started forever.
        SQLiteMigration("media: job starts", "ALTER TABLE jobs ADD COLUMN starts INTEGER NOT NULL DEFAULT 0"),
        // One job-state type: the processor's rows take the contract's names (a render running is PROCESSING).
        SQLiteMigration(
            "media: contract state names",
            """
            UPDATE jobs SET state = CASE state WHEN 'queued' THEN 'QUEUED' WHEN 'running' THEN 'PROCESSING' WHEN 'completed' THEN 'COMPLETED'
                WHEN 'failed' THEN 'FAILED' WHEN 'cancelled' THEN 'CANCELLED' ELSE state END;
            """),
    ]

    public struct Job: Sendable {
        public var request: SubmitRequest
        /// QUEUED while it waits its turn here, PROCESSING while rendering (or left so by a processor
        /// that stopped), then the state it ended in.
        public var state: JobState
        /// The clips stored so far, in order from the first.
        public var clips: [ClipRecord]
        /// Renders of this job begun and not ended (by completion, failure, cancel or a clean shutdown).
        public var starts: Int = 0

        public init(request: SubmitRequest, state: JobState, clips: [ClipRecord], starts: Int = 0) {
            self.request = request
            self.state = state
            self.clips = clips
            self.starts = starts
        }
    }

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Stores the job in its queue; false if this processor already has it. The Gateway wrote QUEUED when
    /// it queued the job; this processor reports from PROCESSING on.
    public func accept(_ request: SubmitRequest, now: Date = Date()) async throws -> Bool {
        let payload = String(decoding: try Self.encoder.encode(request), as: UTF8.self)
        return try await database.write { connection in
            try connection.execute(
                "INSERT OR IGNORE INTO jobs (job_id, state, request, accepted_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                [
                    .text(request.jobID.description), JobState.queued.sqlValue, .text(payload),
                    .real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970),
                ])
            return connection.changes > 0
        }
    }

    /// The oldest job waiting, or one left running by a processor that stopped (it starts again first);
    /// never one of `held`, the jobs this processor is rendering now.
    public func next(excluding held: Set<JobID> = []) async throws -> Job? {
        try await database.read { connection in
            let placeholders = Array(repeating: "?", count: held.count).joined(separator: ", ")
            return try connection.query(
                """
                SELECT job_id, request, state, clips, starts FROM jobs WHERE state IN (?1, ?2) AND job_id NOT IN (\(placeholders))
                ORDER BY state = ?2 DESC, accepted_at LIMIT 1
                """, [JobState.queued.sqlValue, JobState.processing.sqlValue] + held.map { .text($0.description) }
            ).first.map(Self.job)
        }
    }

    /// How many jobs wait their turn here, and since when the oldest has.
    public func waiting() async throws -> (count: Int, oldest: Date?) {
        try await database.read { connection in
            let row = try connection.query("SELECT count(*), min(accepted_at) FROM jobs WHERE state = ?", [JobState.queued.sqlValue])[0]
            return (Int(row.integer(0) ?? 0), row.real(1).map { Date(timeIntervalSince1970: $0) })
        }
    }

    public func job(_ jobID: JobID) async throws -> Job? {
        try await database.read { connection in
            try connection.query("SELECT job_id, request, state, clips, starts FROM jobs WHERE job_id = ?", [.text(jobID.description)]).first.map(
                Self.job)
        }
    }

    static func job(_ row: SQLiteRow) throws -> Job {
        let jobID = row.text("job_id") ?? ""
        guard let state = row.text("state").flatMap(JobState.init(rawValue:)) else {
            throw StoredJobError(jobID: jobID, column: "state", problem: "\"\(row.text("state") ?? "NULL")\" is not a job state")
        }
        guard let request = try StoredJSON.decode(SubmitRequest.self, row.text("request"), jobID: jobID, column: "request") else {
            throw StoredJobError(jobID: jobID, column: "request", problem: "NULL")
        }
        return Job(
            request: request, state: state,
            clips: try StoredJSON.decode([ClipRecord].self, row.text("clips") ?? "[]", jobID: jobID, column: "clips") ?? [],
            starts: Int(row.integer("starts") ?? 0))
    }

    /// Marks the job PROCESSING, counts the start, and reports PROCESSING with what is uploaded so far.
    public func start(_ job: Job) async throws {
        let request = job.request
        try await update(
            request.jobID, state: .processing, clips: job.clips,
            write: StatusWrite(
                jobID: request.jobID, state: .processing, attempt: request.attempt, clipsDone: Int64(job.clips.count),
                progress: JobProgress(clipsDone: Int64(job.clips.count), clipsTotal: Int64(request.plan.count)), clips: job.clips), startsBy: 1)
    }

    /// A render stopped by a clean shutdown does not count against the job: it resumes on restart.
    public func interrupted(_ jobID: JobID) async throws {
        try await database.write { connection in
            try connection.execute(
                "UPDATE jobs SET starts = max(0, starts - 1) WHERE job_id = ? AND state = ?",
                [.text(jobID.description), JobState.processing.sqlValue])
        }
    }

    /// Records one more uploaded clip and reports it.
    public func clipUploaded(_ request: SubmitRequest, clips: [ClipRecord], frames: (done: Int64, total: Int64) = (0, 0)) async throws {
        try await update(
            request.jobID, state: .processing, clips: clips,
            write: StatusWrite(
                jobID: request.jobID, state: .processing, attempt: request.attempt, clipsDone: Int64(clips.count),
                progress: JobProgress(
                    clipsDone: Int64(clips.count), clipsTotal: Int64(request.plan.count), framesDone: frames.done, framesTotal: frames.total),
                clips: clips))
    }

    /// Reports frames rendered between clips: a PROCESSING write whose version rises with the per mille
    /// of the next clip to be stored. Nothing is written for a job no longer running.
    public func framesRendered(
        _ request: SubmitRequest, clips: [ClipRecord], nextClipPermille: Int64, frames: (done: Int64, total: Int64)
    ) async throws {
        let write = StatusWrite(
            jobID: request.jobID, state: .processing, attempt: request.attempt, clipsDone: Int64(clips.count), nextClipPermille: nextClipPermille,
            progress: JobProgress(
                clipsDone: Int64(clips.count), clipsTotal: Int64(request.plan.count), framesDone: frames.done, framesTotal: frames.total),
            clips: clips)
        try await database.write { connection in
            guard
                try connection.query(
                    "SELECT 1 FROM jobs WHERE job_id = ? AND state = ?",
                    [.text(request.jobID.description), JobState.processing.sqlValue]
                ).first != nil
            else { return }
            try Outbox.enqueue(write, on: connection)
        }
    }

    public func complete(_ request: SubmitRequest, clips: [ClipRecord], framesTotal: Int64 = 0) async throws {
        try await update(
            request.jobID, state: .completed, clips: clips,
            write: StatusWrite(
                jobID: request.jobID, state: .completed, attempt: request.attempt, clipsDone: Int64(clips.count),
                progress: JobProgress(
                    clipsDone: Int64(clips.count), clipsTotal: Int64(request.plan.count), framesDone: framesTotal, framesTotal: framesTotal),
                clips: clips))
    }

    /// Marks a waiting or running job cancelled, with its CANCELLED write; false if it was not one.
    public func cancel(_ jobID: JobID) async throws -> Bool {
        guard let job = try await job(jobID), job.state == .queued || job.state == .processing else { return false }
        let request = job.request
        try await update(
            jobID, state: .cancelled, clips: job.clips,
            write: StatusWrite(
                jobID: jobID, state: .cancelled, attempt: request.attempt, clipsDone: Int64(job.clips.count),
                progress: JobProgress(clipsDone: Int64(job.clips.count), clipsTotal: Int64(request.plan.count)), clips: job.clips))
        return true
    }

    public func fail(_ request: SubmitRequest, clips: [ClipRecord], failure: JobFailure) async throws {
        try await update(
            request.jobID, state: .failed, clips: clips,
            write: StatusWrite(
                jobID: request.jobID, state: .failed, attempt: request.attempt, clipsDone: Int64(clips.count),
                progress: JobProgress(clipsDone: Int64(clips.count), clipsTotal: Int64(request.plan.count)), clips: clips, error: failure))
    }

    /// Reports FAILED for a job this processor could not even read (its request object is missing or not
    /// a job): there is no row to keep, only the write.
    public func failUnread(_ jobID: JobID, attempt: Int64, failure: JobFailure) async throws {
        try await database.write { connection in
            try Outbox.enqueue(StatusWrite(jobID: jobID, state: .failed, attempt: attempt, error: failure), on: connection)
            JobMetrics.entered(.failed)
        }
    }

    private func update(_ jobID: JobID, state: JobState, clips: [ClipRecord], write: StatusWrite, startsBy: Int64 = 0) async throws {
        let encoded = String(decoding: try Self.encoder.encode(clips), as: UTF8.self)
        // A job that ends no longer counts its starts.
        let starts = state == .processing ? "starts + \(startsBy)" : "0"
        try await database.write { connection in
            // A cancelled job stays cancelled, whatever its render reports on the way out.
            try connection.execute(
                """
                UPDATE jobs SET state = ?, clips = ?, clips_uploaded = ?, updated_at = ?, starts = \(starts) WHERE job_id = ? AND state != ?
                """,
                [
                    state.sqlValue, .text(encoded), .integer(Int64(clips.count)), .real(write.updatedAt.timeIntervalSince1970),
                    .text(jobID.description), JobState.cancelled.sqlValue,
                ])
            guard connection.changes > 0 || state == .cancelled else { return }
            try Outbox.enqueue(write, on: connection)
            if state != .processing || startsBy > 0 { JobMetrics.entered(state) }
        }
    }
}
