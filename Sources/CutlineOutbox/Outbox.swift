public import CutlineCore
public import CutlineSQLite
public import Foundation

/// The local outbox: a status write is enqueued in the same transaction as the state change it
/// reports, so it survives a crash exactly when that change does; the relay delivers it later.
public enum Outbox {
    /// Schema, as a migration for the owning service's database.
    public static let migration = """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            payload TEXT NOT NULL,
            created_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt_at REAL NOT NULL,
            delivered_at REAL
        );
        CREATE INDEX outbox_pending ON outbox (delivered_at, id);
        CREATE INDEX outbox_job ON outbox (job_id, id);
        """

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()

    static func decode(_ text: String) throws -> StatusWrite {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(StatusWrite.self, from: Data(text.utf8))
    }

    /// Adds a write inside the caller's open transaction.
    public static func enqueue(_ write: StatusWrite, on connection: SQLiteConnection, now: Date = Date()) throws {
        let payload = String(decoding: try encoder.encode(write), as: UTF8.self)
        try connection.execute(
            "INSERT INTO outbox (job_id, version, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
            [.text(write.jobID.description), .integer(write.version), .text(payload),
             .real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970)])
    }
}

/// One outbox row as the relay and the operator tools see it.
public struct OutboxRow: Sendable, Hashable {
    public var id: Int64
    public var write: StatusWrite
    public var createdAt: Date
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: Date
    public var deliveredAt: Date?
}

public struct OutboxStats: Sendable, Hashable, Codable {
    public var pending: Int
    public var delivered: Int
    public var stuck: Int
    public var oldestPendingAgeSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case pending, delivered, stuck
        case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
    }
}

/// When a pending row counts as stuck (for `cutline outbox list --stuck` and the replay tool).
public struct StuckPolicy: Sendable {
    public var attempts: Int = 10
    public var age: Duration = .seconds(600)
    public init() {}
}

/// Queries and updates on the outbox table of one database.
public struct OutboxStore: Sendable {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    static let columns = "id, payload, created_at, attempts, last_error, next_attempt_at, delivered_at"

    static func row(_ row: SQLiteRow) throws -> OutboxRow {
        OutboxRow(
            id: row.integer(0) ?? 0, write: try Outbox.decode(row.text(1) ?? ""),
            createdAt: Date(timeIntervalSince1970: row.real(2) ?? 0), attempts: Int(row.integer(3) ?? 0),
            lastError: row.text(4), nextAttemptAt: Date(timeIntervalSince1970: row.real(5) ?? 0),
            deliveredAt: row.real(6).map { Date(timeIntervalSince1970: $0) })
    }

    /// Undelivered rows in id order, up to `limit`, whose job has no earlier row waiting for a retry:
    /// rows of one job are delivered strictly in order.
    public func deliverable(limit: Int, now: Date = Date()) async throws -> [OutboxRow] {
        try await database.read { connection in
            let rows = try connection.query("""
                SELECT \(Self.columns) FROM outbox o
                WHERE delivered_at IS NULL AND next_attempt_at <= ?
                  AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.job_id = o.job_id AND e.delivered_at IS NULL
                                  AND e.id < o.id AND e.next_attempt_at > ?)
                ORDER BY id LIMIT ?
                """, [.real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970), .integer(Int64(limit))])
            return try rows.map(Self.row)
        }
    }

    public func markDelivered(_ ids: [Int64], at time: Date = Date()) async throws {
        guard !ids.isEmpty else { return }
        try await database.write { connection in
            let statement = try connection.prepare("UPDATE outbox SET delivered_at = ?, last_error = NULL WHERE id = ?")
            for id in ids {
                try statement.bind([.real(time.timeIntervalSince1970), .integer(id)])
                while try statement.step() {}
            }
        }
    }

    public func markFailed(_ id: Int64, error: String, retryAt: Date) async throws {
        try await database.write { connection in
            try connection.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                [.text(error), .real(retryAt.timeIntervalSince1970), .integer(id)])
        }
    }

    /// Removes delivered rows older than `retention`; returns how many.
    @discardableResult
    public func purgeDelivered(olderThan retention: Duration, now: Date = Date()) async throws -> Int {
        let cutoff = now.timeIntervalSince1970 - Double(retention.components.seconds)
        return try await database.write { connection in
            try connection.execute("DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?", [.real(cutoff)])
            return connection.changes
        }
    }

    public func stats(policy: StuckPolicy = .init(), now: Date = Date()) async throws -> OutboxStats {
        let ageCutoff = now.timeIntervalSince1970 - Double(policy.age.components.seconds)
        return try await database.read { connection in
            let row = try connection.query("""
                SELECT
                  (SELECT count(*) FROM outbox WHERE delivered_at IS NULL),
                  (SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL),
                  (SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND (attempts >= ? OR created_at < ?)),
                  (SELECT min(created_at) FROM outbox WHERE delivered_at IS NULL)
                """, [.integer(Int64(policy.attempts)), .real(ageCutoff)])[0]
            return OutboxStats(
                pending: Int(row.integer(0) ?? 0), delivered: Int(row.integer(1) ?? 0), stuck: Int(row.integer(2) ?? 0),
                oldestPendingAgeSeconds: row.real(3).map { now.timeIntervalSince1970 - $0 })
        }
    }

    /// Pending rows (all, or only the stuck ones), oldest first.
    public func list(stuckOnly: Bool, policy: StuckPolicy = .init(), limit: Int = 1000, now: Date = Date()) async throws -> [OutboxRow] {
        let ageCutoff = now.timeIntervalSince1970 - Double(policy.age.components.seconds)
        return try await database.read { connection in
            let filter = stuckOnly ? "AND (attempts >= ? OR created_at < ?)" : "AND ? IS NOT NULL AND ? IS NOT NULL"
            return try connection.query(
                "SELECT \(Self.columns) FROM outbox WHERE delivered_at IS NULL \(filter) ORDER BY id LIMIT ?",
                [.integer(Int64(policy.attempts)), .real(ageCutoff), .integer(Int64(limit))]
            ).map(Self.row)
        }
    }
}
