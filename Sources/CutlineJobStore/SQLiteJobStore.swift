public import CutlineContracts
public import CutlineCore
public import CutlineOutbox
public import CutlineSQLite
public import Foundation

/// The Gateway's own record of the jobs it created, in its database beside its outbox: every change
/// and the status write that reports it commit in one transaction, so nothing is ever left to resend.
public struct SQLiteJobStore: JobStore {
    public let database: SQLiteDatabase

    public static let migrations = [
        SQLiteMigration(
            "gateway: jobs",
            """
            CREATE TABLE jobs (
                job_id TEXT PRIMARY KEY,
                state TEXT NOT NULL,
                filename TEXT NOT NULL,
                content_type TEXT NOT NULL,
                size INTEGER NOT NULL,
                source_key TEXT NOT NULL,
                upload_id TEXT,
                part_size INTEGER,
                probe TEXT,
                submitted TEXT,
                attempt INTEGER NOT NULL DEFAULT 1,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL
            );
            CREATE INDEX jobs_recent ON jobs (created_at DESC);
            """),
        // The seed of the random plan last previewed, so a complete without one renders that plan.
        SQLiteMigration("gateway: previewed seed", "ALTER TABLE jobs ADD COLUMN seed INTEGER"),
        // When the job's files (source, clips, thumbnails) were deleted: purged, or past retention.
        SQLiteMigration("gateway: files deleted", "ALTER TABLE jobs ADD COLUMN files_deleted_at REAL"),
    ]

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Records a new job (CREATED) and its first status write, in one transaction.
    public func create(_ job: GatewayJob) async throws {
        let params = try StoredJSON.text([
            "upload": [
                "filename": job.filename, "content_type": job.contentType, "size": "\(job.size)",
                "source_key": job.sourceKey,
            ]
        ])
        try await database.write { connection in
            try connection.execute(
                """
                INSERT INTO jobs (job_id, state, filename, content_type, size, source_key, upload_id, part_size, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(job.jobID.description), job.state.sqlValue, .text(job.filename), .text(job.contentType),
                    .integer(job.size), .text(job.sourceKey), job.uploadID.map(SQLiteValue.text) ?? .null,
                    job.partSize.map(SQLiteValue.integer) ?? .null, .real(job.createdAt.timeIntervalSince1970),
                    .real(job.createdAt.timeIntervalSince1970),
                ])
            try Outbox.enqueue(
                StatusWrite(jobID: job.jobID, state: .created, params: params, createdAt: job.createdAt, updatedAt: job.createdAt),
                on: connection, now: job.createdAt)
            JobMetrics.entered(.created)
        }
    }

    /// The job, or nil when this Gateway never made it; a row that cannot be read is a `StoredJobError`.
    public func job(_ jobID: JobID) async throws -> GatewayJob? {
        let row = try await database.read { connection in
            try connection.query("SELECT * FROM jobs WHERE job_id = ?", [.text(jobID.description)]).first
        }
        return try row.map(Self.job)
    }

    /// The most recent jobs, newest first.
    public func recent(limit: Int) async throws -> [GatewayJob] {
        let rows = try await database.read { connection in
            try connection.query("SELECT * FROM jobs ORDER BY created_at DESC, job_id LIMIT ?", [.integer(Int64(limit))])
        }
        return try rows.map(Self.job)
    }

    static func job(_ row: SQLiteRow) throws -> GatewayJob {
        let idText = row.text("job_id") ?? ""
        guard let id = try? JobID(validating: idText) else { throw StoredJobError(jobID: idText, column: "job_id", problem: "not a job id") }
        guard let state = row.text("state").flatMap(JobState.init(rawValue:)) else {
            throw StoredJobError(jobID: idText, column: "state", problem: "\"\(row.text("state") ?? "NULL")\" is not a job state")
        }
        var job = GatewayJob(
            jobID: id, state: state, filename: row.text("filename") ?? "", contentType: row.text("content_type") ?? "",
            size: row.integer("size") ?? 0, sourceKey: row.text("source_key") ?? "", uploadID: row.text("upload_id"),
            partSize: row.integer("part_size"), createdAt: Date(timeIntervalSince1970: row.real("created_at") ?? 0))
        job.probe = try StoredJSON.decode(ProbeSummary.self, row.text("probe"), jobID: idText, column: "probe")
        job.submitted = try StoredJSON.decode(SubmitRequest.self, row.text("submitted"), jobID: idText, column: "submitted")
        job.attempt = row.integer("attempt") ?? 1
        job.seed = row.integer("seed").map { UInt64(bitPattern: $0) }
        job.filesDeletedAt = row.real("files_deleted_at").map(Date.init(timeIntervalSince1970:))
        return job
    }

    /// Records the probe and, the first time, UPLOADED with its status write.
    public func uploaded(_ jobID: JobID, probe: ProbeSummary) async throws {
        let probe = try StoredJSON.text(probe)
        try await database.write { connection in
            try connection.execute(
                "UPDATE jobs SET probe = ?, updated_at = ? WHERE job_id = ?",
                [.text(probe), .real(Date().timeIntervalSince1970), .text(jobID.description)])
            try connection.execute(
                "UPDATE jobs SET state = ? WHERE job_id = ? AND state = ?",
                [JobState.uploaded.sqlValue, .text(jobID.description), JobState.created.sqlValue])
            if connection.changes > 0 {
                try Outbox.enqueue(StatusWrite(jobID: jobID, state: .uploaded), on: connection)
                JobMetrics.entered(.uploaded)
            }
        }
    }

    /// Remembers the seed of the random plan just previewed.
    public func previewed(_ jobID: JobID, seed: UInt64) async throws {
        try await database.write { connection in
            try connection.execute(
                "UPDATE jobs SET seed = ? WHERE job_id = ? AND submitted IS NULL",
                [.integer(Int64(bitPattern: seed)), .text(jobID.description)])
        }
    }

    /// `messages` commit with the QUEUED write and are sent after it: none is sent for a job that is
    /// not queued.
    public func queue(_ submit: SubmitRequest, params: String, messages: [QueuedMessage]) async throws -> Bool {
        let submitted = try StoredJSON.text(submit)
        return try await database.write { connection in
            try connection.execute(
                "UPDATE jobs SET state = ?, submitted = ?, updated_at = ? WHERE job_id = ? AND submitted IS NULL",
                [JobState.queued.sqlValue, .text(submitted), .real(Date().timeIntervalSince1970), .text(submit.jobID.description)])
            guard connection.changes > 0 else { return false }
            let write = StatusWrite(
                jobID: submit.jobID, state: .queued, attempt: submit.attempt,
                progress: JobProgress(clipsDone: 0, clipsTotal: Int64(submit.plan.count)), params: params)
            try Outbox.enqueue(write, on: connection)
            for message in messages { try Outbox.enqueue(message, version: write.version, on: connection) }
            JobMetrics.entered(.queued)
            return true
        }
    }

    /// Records CANCELLED with its status write (the first terminal write of an attempt wins, so a
    /// render finishing later cannot undo it).
    public func cancel(_ jobID: JobID, attempt: Int64) async throws {
        try await database.write { connection in
            try connection.execute(
                "UPDATE jobs SET state = ?, updated_at = ? WHERE job_id = ?",
                [JobState.cancelled.sqlValue, .real(Date().timeIntervalSince1970), .text(jobID.description)])
            try Outbox.enqueue(StatusWrite(jobID: jobID, state: .cancelled, attempt: attempt), on: connection)
            JobMetrics.entered(.cancelled)
        }
    }

    // MARK: Lifetimes (the sweeper's questions)

    /// Jobs still CREATED (their upload never finished) that were created before `date`.
    public func unfinishedUploads(createdBefore date: Date, limit: Int) async throws -> [GatewayJob] {
        try await jobs(
            "WHERE state = ? AND created_at < ? ORDER BY created_at LIMIT ?",
            [JobState.created.sqlValue, .real(date.timeIntervalSince1970), .integer(Int64(limit))])
    }

    /// Jobs created before `date` whose files are still there.
    public func withFiles(createdBefore date: Date, limit: Int) async throws -> [GatewayJob] {
        try await jobs(
            "WHERE files_deleted_at IS NULL AND created_at < ? ORDER BY created_at LIMIT ?",
            [.real(date.timeIntervalSince1970), .integer(Int64(limit))])
    }

    /// Jobs whose files were deleted after `date`: looked at again, for a clip a render stored late.
    public func filesDeleted(after date: Date, limit: Int) async throws -> [GatewayJob] {
        try await jobs(
            "WHERE files_deleted_at > ? ORDER BY files_deleted_at LIMIT ?", [.real(date.timeIntervalSince1970), .integer(Int64(limit))])
    }

    private func jobs(_ condition: String, _ values: [SQLiteValue]) async throws -> [GatewayJob] {
        let rows = try await database.read { connection in try connection.query("SELECT * FROM jobs \(condition)", values) }
        return try rows.map(Self.job)
    }

    /// Records that the job's files are gone (the first time only: later passes keep the first date).
    public func filesDeleted(_ jobID: JobID, at date: Date) async throws {
        try await database.write { connection in
            try connection.execute(
                "UPDATE jobs SET files_deleted_at = ?, updated_at = ? WHERE job_id = ? AND files_deleted_at IS NULL",
                [.real(date.timeIntervalSince1970), .real(date.timeIntervalSince1970), .text(jobID.description)])
        }
    }

    /// Records FAILED with `failure` for a job whose upload never finished, with its status write; a job
    /// that left CREATED meanwhile is left alone (false).
    public func uploadExpired(_ jobID: JobID, failure: JobFailure) async throws -> Bool {
        try await database.write { connection in
            try connection.execute(
                "UPDATE jobs SET state = ?, updated_at = ? WHERE job_id = ? AND state = ?",
                [JobState.failed.sqlValue, .real(Date().timeIntervalSince1970), .text(jobID.description), JobState.created.sqlValue])
            guard connection.changes > 0 else { return false }
            try Outbox.enqueue(StatusWrite(jobID: jobID, state: .failed, error: failure), on: connection)
            JobMetrics.entered(.failed)
            return true
        }
    }

    /// Nothing to resend: every write committed in the same transaction as the change it reports, in
    /// the outbox of this database.
    public func resendUndelivered(handedOverBefore date: Date, status: any StatusStore) async throws -> ResentWrites { ResentWrites() }
}
