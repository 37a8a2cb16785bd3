public import CutlineCore
public import CutlineOutbox
public import CutlineSQLite
public import Foundation

/// The embedded job status table: the sink the relay writes when no DynamoDB table is configured, and
/// what the Gateway reads for `GET /api/jobs/{job_id}/status` in that mode.
public struct SQLiteStatusStore: StatusStore {
    public let database: SQLiteDatabase

    public static let migrations = [
        SQLiteMigration(
            "job status: create",
            """
            CREATE TABLE job_status (
                job_id TEXT PRIMARY KEY,
                version INTEGER NOT NULL,
                state TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                progress TEXT,
                clips TEXT,
                error TEXT,
                params TEXT,
                created_at REAL,
                updated_at REAL NOT NULL
            );
            """),
        // The tasks of a job split over processors (JSON), as their writes were merged.
        SQLiteMigration("job status: tasks", "ALTER TABLE job_status ADD COLUMN tasks TEXT"),
        // Which processor (and which copy of the task's message) renders each task now.
        SQLiteMigration(
            "job status: task claims",
            """
            CREATE TABLE task_claims (
                job_id TEXT NOT NULL,
                first_clip INTEGER NOT NULL,
                processor TEXT NOT NULL,
                message_id TEXT NOT NULL,
                until REAL NOT NULL,
                PRIMARY KEY (job_id, first_clip)
            );
            """),
    ]

    public init(path: String) throws {
        database = try SQLiteDatabase(path: path, migrations: Self.migrations)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func json(_ value: (some Encodable)?) throws -> SQLiteValue {
        guard let value else { return .null }
        return .text(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    public func apply(_ write: StatusWrite) async throws -> SinkOutcome {
        if write.task != nil { return try await mergeInOneTransaction(write) }
        let values: [SQLiteValue] = [
            .text(write.jobID.description), .integer(write.version), .text(write.state.rawValue), .integer(write.attempt),
            try Self.json(write.progress), try Self.json(write.clips?.map(\.stored)), try Self.json(write.error),
            write.params.map(SQLiteValue.text) ?? .null, write.createdAt.map { .real($0.timeIntervalSince1970) } ?? .null,
            .real(write.updatedAt.timeIntervalSince1970),
        ]
        // The version condition is the whole guarantee: duplicates and late writes change nothing.
        return try await database.write { connection in
            try connection.execute(
                """
                INSERT INTO job_status (job_id, version, state, attempt, progress, clips, error, params, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (job_id) DO UPDATE SET
                    version = excluded.version, state = excluded.state, attempt = excluded.attempt,
                    progress = coalesce(excluded.progress, progress), clips = coalesce(excluded.clips, clips),
                    error = coalesce(excluded.error, error), params = coalesce(excluded.params, params),
                    created_at = coalesce(created_at, excluded.created_at), updated_at = excluded.updated_at
                WHERE excluded.version > job_status.version
                """, values)
            return connection.changes > 0 ? .applied : .stale
        }
    }

    public func replace(_ record: JobStatusRecord, expecting expected: Int64?) async throws -> Bool {
        let values = try Self.replacementValues(record)
        return try await database.write { connection in
            try Self.replace(record, expecting: expected, values: values, on: connection)
            return connection.changes > 0
        }
    }

    public func claim(_ jobID: JobID, task firstClip: Int, _ claim: TaskClaim, now: Date) async throws -> TaskClaim? {
        let key: [SQLiteValue] = [.text(jobID.description), .integer(Int64(firstClip))]
        return try await database.write { connection in
            try connection.execute(
                """
                INSERT INTO task_claims (job_id, first_clip, processor, message_id, until) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (job_id, first_clip) DO UPDATE SET processor = excluded.processor, message_id = excluded.message_id, until = excluded.until
                WHERE task_claims.until < ? OR task_claims.message_id = excluded.message_id
                """,
                key + [.text(claim.processor), .text(claim.messageID), .real(claim.until.timeIntervalSince1970), .real(now.timeIntervalSince1970)])
            if connection.changes > 0 { return nil }
            return try connection.query("SELECT processor, message_id, until FROM task_claims WHERE job_id = ? AND first_clip = ?", key).first.map {
                TaskClaim(processor: $0.text(0) ?? "", messageID: $0.text(1) ?? "", until: Date(timeIntervalSince1970: $0.real(2) ?? 0))
            }
        }
    }

    static func replacementValues(_ record: JobStatusRecord) throws -> [SQLiteValue] {
        [
            .integer(record.version), .text(record.state.rawValue), .integer(record.attempt), try json(record.progress),
            try json(record.clips.map(\.stored)), try json(record.error), try json(record.tasks),
            .real(record.updatedAt.timeIntervalSince1970), .text(record.jobID.description),
        ]
    }

    static func replace(_ record: JobStatusRecord, expecting expected: Int64?, values: [SQLiteValue], on connection: SQLiteConnection) throws {
        if let expected {
            try connection.execute(
                """
                UPDATE job_status SET version = ?, state = ?, attempt = ?, progress = ?, clips = ?, error = ?, tasks = ?, updated_at = ?
                WHERE job_id = ? AND version = ?
                """, values + [.integer(expected)])
        } else {
            try connection.execute(
                """
                INSERT INTO job_status (version, state, attempt, progress, clips, error, tasks, updated_at, job_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING
                """, values)
        }
    }

    /// The stored record, or nil if the job is unknown.
    public func version(of jobID: JobID) async throws -> Int64? {
        try await database.read { connection in
            try connection.query("SELECT version FROM job_status WHERE job_id = ?", [.text(jobID.description)]).first?.integer(0)
        }
    }

    public func status(of jobID: JobID) async throws -> JobStatusRecord? {
        let path = database.path
        return try await database.read { try Self.record(of: jobID, on: $0, store: path) }
    }

    /// A task's write merged into its job's record in one write transaction: here nothing can come
    /// between the read and the write, so a merge never has to be tried again.
    func mergeInOneTransaction(_ write: StatusWrite) async throws -> SinkOutcome {
        let path = database.path
        return try await database.write { connection in
            let current = try Self.record(of: write.jobID, on: connection, store: path)
            guard let merged = JobStatusRecord.merge(write, into: current) else { return .stale }
            try Self.replace(merged, expecting: current?.version, values: try Self.replacementValues(merged), on: connection)
            return connection.changes > 0 ? .applied : .stale
        }
    }

    static func record(of jobID: JobID, on connection: SQLiteConnection, store: String) throws -> JobStatusRecord? {
        guard
            let row = try connection.query(
                "SELECT version, state, attempt, progress, clips, error, params, created_at, updated_at, tasks FROM job_status WHERE job_id = ?",
                [.text(jobID.description)]
            ).first
        else { return nil }
        let decoder = JSONDecoder()
        func corrupt(_ column: String, _ problem: String) -> StatusRecordError {
            StatusRecordError(jobID: jobID, attribute: column, problem: problem, store: store)
        }
        func decode<T: Decodable>(_ type: T.Type, _ index: Int, _ column: String) throws -> T? {
            guard let text = row.text(index) else { return nil }
            do {
                return try decoder.decode(T.self, from: Data(text.utf8))
            } catch {
                throw corrupt(column, "is not a \(T.self) (\(error))")
            }
        }
        // The columns are NOT NULL; a state outside the enum is what another program could leave.
        guard let version = row.integer(0) else { throw corrupt("version", "is not an integer") }
        guard let state = row.text(1).flatMap(JobState.init(rawValue:)) else {
            throw corrupt("state", "is \(row.text(1).map { "\"\($0)\"" } ?? "not text"), which is not a job state")
        }
        guard let attempt = row.integer(2) else { throw corrupt("attempt", "is not an integer") }
        guard let updatedAt = row.real(8) else { throw corrupt("updated_at", "is not a number") }
        return JobStatusRecord(
            jobID: jobID, version: version, state: state,
            attempt: attempt, progress: try decode(JobProgress.self, 3, "progress"), clips: try decode([ClipRecord].self, 4, "clips") ?? [],
            error: try decode(JobFailure.self, 5, "error"), params: row.text(6),
            createdAt: row.real(7).map { Date(timeIntervalSince1970: $0) }, updatedAt: Date(timeIntervalSince1970: updatedAt),
            tasks: try decode([TaskStatus].self, 9, "tasks") ?? [])
    }
}
