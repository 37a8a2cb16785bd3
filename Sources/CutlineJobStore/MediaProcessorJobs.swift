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
        // A job split into tasks may have several here (one processor can take two tasks of a job): a row
        // per task, keyed by the job and the task's first clip (0 for a whole job).
        SQLiteMigration(
            "media: a row per task",
            """
            CREATE TABLE jobs_by_task (
                job_id TEXT NOT NULL,
                first_clip INTEGER NOT NULL DEFAULT 0,
                clip_count INTEGER,
                task_count INTEGER NOT NULL DEFAULT 1,
                state TEXT NOT NULL,
                request TEXT NOT NULL,
                clips_uploaded INTEGER NOT NULL DEFAULT 0,
                clips TEXT NOT NULL DEFAULT '[]',
                accepted_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                starts INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (job_id, first_clip)
            );
            INSERT INTO jobs_by_task (job_id, state, request, clips_uploaded, clips, accepted_at, updated_at, starts)
                SELECT job_id, state, request, clips_uploaded, clips, accepted_at, updated_at, starts FROM jobs;
            DROP TABLE jobs;
            ALTER TABLE jobs_by_task RENAME TO jobs;
            CREATE INDEX jobs_waiting ON jobs (state, accepted_at);
            """),
        // The W3C trace of the call that handed the job over, so the render that starts later joins it.
        SQLiteMigration("media: trace", "ALTER TABLE jobs ADD COLUMN traceparent TEXT"),
    ]

    public struct Job: Sendable {
        public var request: SubmitRequest
        /// QUEUED while it waits its turn here, PROCESSING while rendering (or left so by a processor
        /// that stopped), then the state it ended in.
        public var state: JobState
        /// The clips of `range` stored so far, in order from its first.
        public var clips: [ClipRecord]
        /// Renders of this job begun and not ended (by completion, failure, cancel or a clean shutdown).
        public var starts: Int = 0
        /// The clips this processor renders: the whole plan, or one task's run of it.
        public var range: Range<Int>
        /// The tasks the job was split into; 1 when this is the whole job.
        public var taskCount: Int
        /// The trace of the call that handed the job over (`media.submit`), which its render joins.
        public var traceparent: String? = nil

        public init(
            request: SubmitRequest, state: JobState, clips: [ClipRecord], starts: Int = 0, range: Range<Int>? = nil, taskCount: Int = 1
        ) {
            self.request = request
            self.state = state
            self.clips = clips
            self.starts = starts
            self.range = range ?? 0..<request.plan.count
            self.taskCount = taskCount
        }

        public var key: TaskKey { TaskKey(jobID: request.jobID, firstClip: range.lowerBound) }
        public var isTask: Bool { taskCount > 1 }
    }

    /// The processor this is, named in the tasks' writes (so a person sees who rendered what).
    public let processor: String?

    public init(database: SQLiteDatabase, processor: String? = nil) {
        self.database = database
        self.processor = processor
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Stores the job (or one task of it) in its queue; false if this processor already has it. The
    /// Gateway wrote QUEUED when it queued the job; this processor reports from PROCESSING on.
    public func accept(
        _ request: SubmitRequest, range: Range<Int>? = nil, taskCount: Int = 1, traceparent: String? = nil, now: Date = Date()
    ) async throws -> Bool {
        let payload = String(decoding: try Self.encoder.encode(request), as: UTF8.self)
        let range = range ?? 0..<request.plan.count
        return try await database.write { connection in
            try connection.execute(
                """
                INSERT OR IGNORE INTO jobs (job_id, first_clip, clip_count, task_count, state, request, accepted_at, updated_at, traceparent)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(request.jobID.description), .integer(Int64(range.lowerBound)), .integer(Int64(range.count)), .integer(Int64(taskCount)),
                    JobState.queued.sqlValue, .text(payload), .real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970),
                    traceparent.map(SQLiteValue.text) ?? .null,
                ])
            return connection.changes > 0
        }
    }

    static let columns = "job_id, first_clip, clip_count, task_count, request, state, clips, starts, traceparent"

    /// The oldest job waiting, or one left running by a processor that stopped (it starts again first);
    /// never one of `held`, the tasks this processor is rendering now.
    public func next(excluding held: Set<TaskKey> = []) async throws -> Job? {
        try await database.read { connection in
            let placeholders = Array(repeating: "(?, ?)", count: held.count).joined(separator: ", ")
            let notHeld = held.isEmpty ? "" : "AND (job_id, first_clip) NOT IN (VALUES \(placeholders))"
            return try connection.query(
                """
                SELECT \(Self.columns) FROM jobs WHERE state IN (?, ?) \(notHeld)
                ORDER BY state = ? DESC, accepted_at LIMIT 1
                """,
                [JobState.queued.sqlValue, JobState.processing.sqlValue]
                    + held.flatMap { [SQLiteValue.text($0.jobID.description), .integer(Int64($0.firstClip))] } + [JobState.processing.sqlValue]
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

    /// The job as a whole (or, for a job split into tasks, its first task).
    public func job(_ jobID: JobID) async throws -> Job? {
        try await job(TaskKey(jobID: jobID, firstClip: 0))
    }

    public func job(_ key: TaskKey) async throws -> Job? {
        try await database.read { connection in
            try connection.query(
                "SELECT \(Self.columns) FROM jobs WHERE job_id = ? AND first_clip = ?",
                [.text(key.jobID.description), .integer(Int64(key.firstClip))]
            ).first.map(Self.job)
        }
    }

    /// Every task of the job this processor has (one row for a job rendered whole).
    public func tasks(of jobID: JobID) async throws -> [Job] {
        try await database.read { connection in
            try connection.query("SELECT \(Self.columns) FROM jobs WHERE job_id = ? ORDER BY first_clip", [.text(jobID.description)]).map(Self.job)
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
        let first = Int(row.integer("first_clip") ?? 0)
        let count = row.integer("clip_count").map(Int.init) ?? request.plan.count - first
        guard first >= 0, count >= 1, first + count <= request.plan.count else {
            throw StoredJobError(
                jobID: jobID, column: "first_clip", problem: "clips \(first)..<\(first + count) are not within the plan's \(request.plan.count)")
        }
        var job = Job(
            request: request, state: state,
            clips: try StoredJSON.decode([ClipRecord].self, row.text("clips") ?? "[]", jobID: jobID, column: "clips") ?? [],
            starts: Int(row.integer("starts") ?? 0), range: first..<first + count, taskCount: Int(row.integer("task_count") ?? 1))
        job.traceparent = row.text("traceparent")
        return job
    }

    /// A write about `job` (its whole record, or its task's part of it): `clips` are the job's (or task's)
    /// clips stored, `frames` as the render counts them (over the whole plan).
    func write(
        _ job: Job, _ state: JobState, clips: [ClipRecord], nextClipPermille: Int64 = 0, frames: (done: Int64, total: Int64) = (0, 0),
        error: JobFailure? = nil
    ) -> StatusWrite {
        let request = job.request
        guard job.isTask else {
            return StatusWrite(
                jobID: request.jobID, state: state, attempt: request.attempt, clipsDone: Int64(clips.count), nextClipPermille: nextClipPermille,
                progress: JobProgress(
                    clipsDone: Int64(clips.count), clipsTotal: Int64(request.plan.count), framesDone: frames.done, framesTotal: frames.total),
                clips: clips, error: error)
        }
        // A task's frames are those of its own clips: the merge sums them over the tasks.
        let before = request.plan.frames(of: 0..<job.range.lowerBound, framesTotal: frames.total)
        let own = request.plan.frames(of: job.range, framesTotal: frames.total)
        let done = state == .completed ? own : min(own, max(0, frames.done - before))
        return StatusWrite(
            jobID: request.jobID, state: state, attempt: request.attempt, clipsDone: Int64(clips.count), nextClipPermille: nextClipPermille,
            progress: JobProgress(clipsDone: Int64(clips.count), clipsTotal: Int64(request.plan.count), framesDone: done, framesTotal: frames.total),
            clips: clips, error: error,
            task: TaskPart(
                firstClip: job.range.lowerBound, clipCount: job.range.count, taskCount: job.taskCount, nextClipPermille: nextClipPermille,
                processor: processor))
    }

    /// Marks the job PROCESSING, counts the start, and reports PROCESSING with what is uploaded so far.
    public func start(_ job: Job) async throws {
        try await update(job.key, state: .processing, clips: job.clips, write: write(job, .processing, clips: job.clips), startsBy: 1)
    }

    /// A render stopped by a clean shutdown does not count against the job: it resumes on restart.
    public func interrupted(_ key: TaskKey) async throws {
        try await database.write { connection in
            try connection.execute(
                "UPDATE jobs SET starts = max(0, starts - 1) WHERE job_id = ? AND first_clip = ? AND state = ?",
                [.text(key.jobID.description), .integer(Int64(key.firstClip)), JobState.processing.sqlValue])
        }
    }

    /// Records one more uploaded clip and reports it.
    public func clipUploaded(_ job: Job, clips: [ClipRecord], frames: (done: Int64, total: Int64) = (0, 0)) async throws {
        try await update(job.key, state: .processing, clips: clips, write: write(job, .processing, clips: clips, frames: frames))
    }

    /// Reports frames rendered between clips: a PROCESSING write whose version rises with the per mille
    /// of the next clip to be stored. Nothing is written for a job no longer running.
    public func framesRendered(
        _ job: Job, clips: [ClipRecord], nextClipPermille: Int64, frames: (done: Int64, total: Int64)
    ) async throws {
        let write = write(job, .processing, clips: clips, nextClipPermille: nextClipPermille, frames: frames)
        let key = job.key
        try await database.write { connection in
            guard
                try connection.query(
                    "SELECT 1 FROM jobs WHERE job_id = ? AND first_clip = ? AND state = ?",
                    [.text(key.jobID.description), .integer(Int64(key.firstClip)), JobState.processing.sqlValue]
                ).first != nil
            else { return }
            try Outbox.enqueue(write, on: connection)
        }
    }

    public func complete(_ job: Job, clips: [ClipRecord], frames: (done: Int64, total: Int64) = (0, 0)) async throws {
        try await update(job.key, state: .completed, clips: clips, write: write(job, .completed, clips: clips, frames: frames))
    }

    /// Marks every waiting or running task of the job cancelled, each with its CANCELLED write; false if
    /// none was.
    public func cancel(_ jobID: JobID) async throws -> Bool {
        var cancelled = false
        for job in try await tasks(of: jobID) where job.state == .queued || job.state == .processing {
            try await update(job.key, state: .cancelled, clips: job.clips, write: write(job, .cancelled, clips: job.clips))
            cancelled = true
        }
        return cancelled
    }

    public func fail(_ job: Job, clips: [ClipRecord], failure: JobFailure) async throws {
        try await update(job.key, state: .failed, clips: clips, write: write(job, .failed, clips: clips, error: failure))
    }

    /// Records that the job ended elsewhere (another task failed it, or it was completed by copies of its
    /// tasks): this task stops, and the job's record, which already says so, gets no write from here.
    public func endedElsewhere(_ key: TaskKey, state: JobState) async throws {
        try await database.write { connection in
            try connection.execute(
                "UPDATE jobs SET state = ?, starts = 0, updated_at = ? WHERE job_id = ? AND first_clip = ? AND state IN (?, ?)",
                [
                    state.sqlValue, .real(Date().timeIntervalSince1970), .text(key.jobID.description), .integer(Int64(key.firstClip)),
                    JobState.queued.sqlValue, JobState.processing.sqlValue,
                ])
        }
    }

    /// Reports FAILED for the whole job: one this processor could not even read (its request object is
    /// missing or not a job), or whose task was given up (a dead letter). A whole-record write, so it
    /// ends a job split into tasks too; the clips stored stay in the record.
    public func failUnread(_ jobID: JobID, attempt: Int64, failure: JobFailure) async throws {
        try await database.write { connection in
            try connection.execute(
                "UPDATE jobs SET state = ?, starts = 0 WHERE job_id = ? AND state IN (?, ?)",
                [JobState.failed.sqlValue, .text(jobID.description), JobState.queued.sqlValue, JobState.processing.sqlValue])
            try Outbox.enqueue(StatusWrite(jobID: jobID, state: .failed, attempt: attempt, error: failure), on: connection)
            JobMetrics.entered(.failed)
        }
    }

    private func update(_ key: TaskKey, state: JobState, clips: [ClipRecord], write: StatusWrite, startsBy: Int64 = 0) async throws {
        let encoded = String(decoding: try Self.encoder.encode(clips), as: UTF8.self)
        // A job that ends no longer counts its starts.
        let starts = state == .processing ? "starts + \(startsBy)" : "0"
        try await database.write { connection in
            // A cancelled job stays cancelled, whatever its render reports on the way out.
            try connection.execute(
                """
                UPDATE jobs SET state = ?, clips = ?, clips_uploaded = ?, updated_at = ?, starts = \(starts)
                WHERE job_id = ? AND first_clip = ? AND state != ?
                """,
                [
                    state.sqlValue, .text(encoded), .integer(Int64(clips.count)), .real(write.updatedAt.timeIntervalSince1970),
                    .text(key.jobID.description), .integer(Int64(key.firstClip)), JobState.cancelled.sqlValue,
                ])
            guard connection.changes > 0 || state == .cancelled else { return }
            try Outbox.enqueue(write, on: connection)
            if state != .processing || startsBy > 0 { JobMetrics.entered(state, task: write.task != nil) }
        }
    }
}

/// One task of a job on this processor: the job and the task's first clip (0 for a whole job).
public struct TaskKey: Hashable, Sendable, CustomStringConvertible {
    public var jobID: JobID
    public var firstClip: Int

    public init(jobID: JobID, firstClip: Int) {
        self.jobID = jobID
        self.firstClip = firstClip
    }

    public var description: String { firstClip == 0 ? jobID.description : "\(jobID)/\(firstClip)" }
}
