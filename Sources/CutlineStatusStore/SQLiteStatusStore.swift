public import CutlineCore
public import CutlineOutbox
public import CutlineSQLite
public import Foundation

/// The embedded job status table: the sink the relay writes when no DynamoDB table is configured, and
/// what the Gateway reads for `GET /api/jobs/{job_id}/status` in that mode.
public struct SQLiteStatusStore: StatusStore {
    public let database: SQLiteDatabase

    public static let migrations = [SQLiteMigration("job status: create", """
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
        """)]

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
        let values: [SQLiteValue] = [
            .text(write.jobID.description), .integer(write.version), .text(write.state.rawValue), .integer(write.attempt),
            try Self.json(write.progress), try Self.json(write.clips), try Self.json(write.error),
            write.params.map(SQLiteValue.text) ?? .null, write.createdAt.map { .real($0.timeIntervalSince1970) } ?? .null,
            .real(write.updatedAt.timeIntervalSince1970),
        ]
        // The version condition is the whole guarantee: duplicates and late writes change nothing.
        return try await database.write { connection in
            try connection.execute("""
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

    /// The stored record, or nil if the job is unknown.
    public func status(of jobID: JobID) async throws -> JobStatusRecord? {
        try await database.read { connection in
            guard let row = try connection.query(
                "SELECT version, state, attempt, progress, clips, error, params, created_at, updated_at FROM job_status WHERE job_id = ?",
                [.text(jobID.description)]).first else { return nil }
            let decoder = JSONDecoder()
            func decode<T: Decodable>(_ type: T.Type, _ index: Int) throws -> T? {
                try row.text(index).map { try decoder.decode(T.self, from: Data($0.utf8)) }
            }
            return JobStatusRecord(
                jobID: jobID, version: row.integer(0) ?? 0, state: JobState(rawValue: row.text(1) ?? "") ?? .created,
                attempt: row.integer(2) ?? 0, progress: try decode(JobProgress.self, 3), clips: try decode([ClipRecord].self, 4) ?? [],
                error: try decode(JobFailure.self, 5), params: row.text(6),
                createdAt: row.real(7).map { Date(timeIntervalSince1970: $0) }, updatedAt: Date(timeIntervalSince1970: row.real(8) ?? 0))
        }
    }
}

