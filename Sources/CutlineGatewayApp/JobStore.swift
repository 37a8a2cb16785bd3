public import CutlineCore
import CutlineOutbox
public import CutlineSQLite
public import Foundation

/// The Gateway's own record of the jobs it created, in its database beside its outbox: every change
/// and the status write that reports it commit in one transaction.
public struct JobStore: Sendable {
    public let database: SQLiteDatabase

    public static let migrations = [
        SQLiteMigration("gateway: jobs", """
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
    ]

    public struct Job: Sendable, Hashable {
        public var jobID: JobID
        public var state: JobState
        public var filename: String
        public var contentType: String
        public var size: Int64
        public var sourceKey: String
        /// Set for a multipart upload.
        public var uploadID: String?
        public var partSize: Int64?
        public var createdAt: Date
        /// The probe summary as JSON, once analysed.
        public var probe: String? = nil
        /// The submit request as sent to the processor (JSON), once completed.
        public var submitted: String? = nil
        public var attempt: Int64 = 1
        /// The seed of the random plan analyze-duration last returned.
        public var seed: UInt64? = nil
    }

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Records a new job (CREATED) and its first status write, in one transaction.
    public func create(_ job: Job) async throws {
        let params = try Self.params(["filename": job.filename, "content_type": job.contentType, "size": "\(job.size)", "source_key": job.sourceKey])
        try await database.write { connection in
            try connection.execute("""
                INSERT INTO jobs (job_id, state, filename, content_type, size, source_key, upload_id, part_size, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(job.jobID.description), .text(job.state.rawValue), .text(job.filename), .text(job.contentType),
                      .integer(job.size), .text(job.sourceKey), job.uploadID.map(SQLiteValue.text) ?? .null,
                      job.partSize.map(SQLiteValue.integer) ?? .null, .real(job.createdAt.timeIntervalSince1970),
                      .real(job.createdAt.timeIntervalSince1970)])
            try Outbox.enqueue(StatusWrite(jobID: job.jobID, state: .created, params: params, createdAt: job.createdAt, updatedAt: job.createdAt),
                               on: connection, now: job.createdAt)
        }
    }

    public func job(_ jobID: JobID) async throws -> Job? {
        try await database.read { connection in
            try connection.query("SELECT \(Self.columns) FROM jobs WHERE job_id = ?", [.text(jobID.description)]).first.flatMap(Self.job)
        }
    }

    /// The most recent jobs, newest first.
    public func recent(limit: Int) async throws -> [Job] {
        try await database.read { connection in
            try connection.query("SELECT \(Self.columns) FROM jobs ORDER BY created_at DESC, job_id LIMIT ?", [.integer(Int64(limit))]).compactMap(Self.job)
        }
    }

    static let columns = "job_id, state, filename, content_type, size, source_key, upload_id, part_size, created_at, probe, submitted, attempt, seed"

    static func job(_ row: SQLiteRow) -> Job? {
        guard let id = row.text(0).flatMap({ try? JobID(validating: $0) }), let state = row.text(1).flatMap(JobState.init(rawValue:)) else { return nil }
        return Job(jobID: id, state: state, filename: row.text(2) ?? "", contentType: row.text(3) ?? "", size: row.integer(4) ?? 0,
                   sourceKey: row.text(5) ?? "", uploadID: row.text(6), partSize: row.integer(7),
                   createdAt: Date(timeIntervalSince1970: row.real(8) ?? 0), probe: row.text(9), submitted: row.text(10),
                   attempt: row.integer(11) ?? 1, seed: row.integer(12).map { UInt64(bitPattern: $0) })
    }

    /// Records the probe and, the first time, UPLOADED with its status write.
    public func uploaded(_ jobID: JobID, probe: String) async throws {
        try await database.write { connection in
            try connection.execute("UPDATE jobs SET probe = ?, updated_at = ? WHERE job_id = ?", [.text(probe), .real(Date().timeIntervalSince1970), .text(jobID.description)])
            try connection.execute("UPDATE jobs SET state = 'UPLOADED' WHERE job_id = ? AND state = 'CREATED'", [.text(jobID.description)])
            if connection.changes > 0 { try Outbox.enqueue(StatusWrite(jobID: jobID, state: .uploaded), on: connection) }
        }
    }

    /// Remembers the seed of the random plan just previewed.
    public func previewed(_ jobID: JobID, seed: UInt64) async throws {
        try await database.write { connection in
            try connection.execute("UPDATE jobs SET seed = ? WHERE job_id = ? AND submitted IS NULL",
                                   [.integer(Int64(bitPattern: seed)), .text(jobID.description)])
        }
    }

    /// Fixes what is rendered and records QUEUED with its status write, once: false when the job was
    /// already submitted (then `submitted` must be compared by the caller).
    public func queue(_ jobID: JobID, submitted: String, params: String, clips: Int) async throws -> Bool {
        try await database.write { connection in
            try connection.execute("""
                UPDATE jobs SET state = 'QUEUED', submitted = ?, updated_at = ? WHERE job_id = ? AND submitted IS NULL
                """, [.text(submitted), .real(Date().timeIntervalSince1970), .text(jobID.description)])
            guard connection.changes > 0 else { return false }
            try Outbox.enqueue(StatusWrite(jobID: jobID, state: .queued, progress: JobProgress(clipsDone: 0, clipsTotal: Int64(clips)), params: params), on: connection)
            return true
        }
    }

    /// Records CANCELLED with its status write (the first terminal write of an attempt wins, so a
    /// render finishing later cannot undo it).
    public func cancel(_ jobID: JobID, attempt: Int64) async throws {
        try await database.write { connection in
            try connection.execute("UPDATE jobs SET state = 'CANCELLED', updated_at = ? WHERE job_id = ?", [.real(Date().timeIntervalSince1970), .text(jobID.description)])
            try Outbox.enqueue(StatusWrite(jobID: jobID, state: .cancelled, attempt: attempt), on: connection)
        }
    }

    static func params(_ values: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(["upload": values]), as: UTF8.self)
    }
}
