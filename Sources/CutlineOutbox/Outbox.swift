public import CutlineCore
public import CutlineSQLite
public import Foundation

/// The local outbox: a status write is enqueued in the same transaction as the state change it
/// reports, so it survives a crash exactly when that change does; the relay delivers it later.
public enum Outbox {
    /// Schema, as migrations for the owning service's database (listed before the service's own).
    public static let migrations = [
        SQLiteMigration(
            "outbox: create",
            """
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
            """),
        // A row whose payload does not decode is set aside (kept, with its reason) instead of
        // stopping delivery for every job.
        SQLiteMigration("outbox: quarantine", "ALTER TABLE outbox ADD COLUMN quarantined_at REAL;"),
        // A row is a status write (for the status store) or a message (for the job queue): a job is
        // queued with its message in one transaction, and neither is lost nor sent without the other.
        SQLiteMigration("outbox: destination", "ALTER TABLE outbox ADD COLUMN destination TEXT NOT NULL DEFAULT 'status';"),
    ]

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

    /// The row's entry, read as its destination says.
    static func decode(_ text: String, destination: String?) throws -> OutboxEntry {
        if destination == Destination.queue.rawValue {
            return .message(try JSONDecoder().decode(QueuedMessage.self, from: Data(text.utf8)))
        }
        return .status(try decode(text))
    }

    enum Destination: String {
        case status, queue
    }

    /// Adds a write inside the caller's open transaction.
    public static func enqueue(_ write: StatusWrite, on connection: SQLiteConnection, now: Date = Date()) throws {
        let payload = String(decoding: try encoder.encode(write), as: UTF8.self)
        try connection.execute(
            "INSERT INTO outbox (job_id, version, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
            [
                .text(write.jobID.description), .integer(write.version), .text(payload),
                .real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970),
            ])
    }

    /// Adds a message for the job queue inside the caller's open transaction; `version` is that of the
    /// status write it goes with (rows of one job are delivered in order, so the message follows it).
    public static func enqueue(_ message: QueuedMessage, version: Int64, on connection: SQLiteConnection, now: Date = Date()) throws {
        let payload = String(decoding: try encoder.encode(message), as: UTF8.self)
        try connection.execute(
            "INSERT INTO outbox (job_id, version, payload, created_at, next_attempt_at, destination) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(message.jobID.description), .integer(version), .text(payload), .real(now.timeIntervalSince1970),
                .real(now.timeIntervalSince1970), .text(Destination.queue.rawValue),
            ])
    }
}

/// A message for the job queue, as the outbox keeps it: the job it is about (rows of one job are
/// delivered in order) and its body, which only the queue's two ends read.
public struct QueuedMessage: Codable, Sendable, Hashable {
    public var jobID: JobID
    public var body: String

    public init(jobID: JobID, body: String) {
        self.jobID = jobID
        self.body = body
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case body
    }
}

/// What one outbox row delivers: a status write to the status store, or a message to the job queue.
public enum OutboxEntry: Sendable, Hashable {
    case status(StatusWrite)
    case message(QueuedMessage)

    public var jobID: JobID {
        switch self {
        case .status(let write): write.jobID
        case .message(let message): message.jobID
        }
    }
}

/// One outbox row as the operator tools see it.
public struct OutboxRow: Sendable, Hashable {
    public var id: Int64
    /// As stored (a quarantined row's may not even be a valid id).
    public var jobID: String
    public var version: Int64
    /// nil for a queue message, and for a quarantined row whose payload does not decode.
    public var write: StatusWrite?
    /// Set for a row bound for the job queue (whose payload decodes).
    public var message: QueuedMessage?
    public var createdAt: Date
    public var attempts: Int
    /// The last delivery failure, or why the row was quarantined.
    public var lastError: String?
    public var nextAttemptAt: Date
    public var deliveredAt: Date?
    /// Set when the row was set aside because its payload does not decode.
    public var quarantinedAt: Date?
}

/// A row the relay may deliver now.
public struct PendingWrite: Sendable, Hashable {
    public var id: Int64
    public var entry: OutboxEntry
    public var attempts: Int
}

public struct OutboxStats: Sendable, Hashable, Codable {
    /// Undelivered rows the relay will still try (quarantined ones excluded).
    public var pending: Int
    public var delivered: Int
    /// Pending rows past the stuck policy, plus quarantined rows.
    public var stuck: Int
    public var quarantined: Int
    public var oldestPendingAgeSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case pending, delivered, stuck, quarantined
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

    static let columns = "id, job_id, version, payload, created_at, attempts, last_error, next_attempt_at, delivered_at, quarantined_at, destination"

    static func row(_ row: SQLiteRow) -> OutboxRow {
        let entry = try? Outbox.decode(row.text(3) ?? "", destination: row.text(10))
        var write: StatusWrite?
        var message: QueuedMessage?
        switch entry {
        case .status(let status): write = status
        case .message(let queued): message = queued
        case nil: break
        }
        return OutboxRow(
            id: row.integer(0) ?? 0, jobID: row.text(1) ?? "", version: row.integer(2) ?? 0,
            write: write, message: message,
            createdAt: Date(timeIntervalSince1970: row.real(4) ?? 0), attempts: Int(row.integer(5) ?? 0),
            lastError: row.text(6), nextAttemptAt: Date(timeIntervalSince1970: row.real(7) ?? 0),
            deliveredAt: row.real(8).map { Date(timeIntervalSince1970: $0) },
            quarantinedAt: row.real(9).map { Date(timeIntervalSince1970: $0) })
    }

    /// Undelivered rows in id order, up to `limit`, whose job has no earlier row waiting for a retry:
    /// rows of one job are delivered strictly in order. A row whose payload does not decode is
    /// quarantined (kept, with the reason, for `cutline outbox list --stuck`) and the rest go on: later
    /// writes of its job are whole snapshots with higher versions, so delivering them is still safe.
    public func deliverable(limit: Int, now: Date = Date()) async throws -> [PendingWrite] {
        let rows = try await database.read { connection in
            try connection.query(
                """
                SELECT id, payload, attempts, destination FROM outbox o
                WHERE delivered_at IS NULL AND quarantined_at IS NULL AND next_attempt_at <= ?
                  AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.job_id = o.job_id AND e.delivered_at IS NULL
                                  AND e.quarantined_at IS NULL AND e.id < o.id AND e.next_attempt_at > ?)
                ORDER BY id LIMIT ?
                """, [.real(now.timeIntervalSince1970), .real(now.timeIntervalSince1970), .integer(Int64(limit))])
        }
        var pending: [PendingWrite] = []
        var undecodable: [(Int64, String)] = []
        for row in rows {
            let id = row.integer(0) ?? 0
            do {
                pending.append(
                    PendingWrite(id: id, entry: try Outbox.decode(row.text(1) ?? "", destination: row.text(3)), attempts: Int(row.integer(2) ?? 0)))
            } catch {
                undecodable.append((id, "quarantined: the payload is not a \(row.text(3) == "queue" ? "queue message" : "status write") (\(error))"))
            }
        }
        if !undecodable.isEmpty {
            let quarantine = undecodable
            try await database.write { connection in
                for (id, reason) in quarantine {
                    try connection.execute(
                        "UPDATE outbox SET quarantined_at = ?, last_error = ? WHERE id = ?",
                        [.real(now.timeIntervalSince1970), .text(reason), .integer(id)])
                }
            }
        }
        return pending
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
        let cutoff = now.timeIntervalSince1970 - retention.inSeconds
        return try await database.write { connection in
            try connection.execute("DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?", [.real(cutoff)])
            return connection.changes
        }
    }

    public func stats(policy: StuckPolicy = .init(), now: Date = Date()) async throws -> OutboxStats {
        let ageCutoff = now.timeIntervalSince1970 - policy.age.inSeconds
        return try await database.read { connection in
            let row = try connection.query(
                """
                SELECT
                  (SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND quarantined_at IS NULL),
                  (SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL),
                  (SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND (attempts >= ? OR created_at < ? OR quarantined_at IS NOT NULL)),
                  (SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND quarantined_at IS NOT NULL),
                  (SELECT min(created_at) FROM outbox WHERE delivered_at IS NULL AND quarantined_at IS NULL)
                """, [.integer(Int64(policy.attempts)), .real(ageCutoff)])[0]
            return OutboxStats(
                pending: Int(row.integer(0) ?? 0), delivered: Int(row.integer(1) ?? 0), stuck: Int(row.integer(2) ?? 0),
                quarantined: Int(row.integer(3) ?? 0), oldestPendingAgeSeconds: row.real(4).map { now.timeIntervalSince1970 - $0 })
        }
    }

    /// Every row about one job (delivered ones too, while kept), in order.
    public func rows(jobID: String) async throws -> [OutboxRow] {
        try await database.read { connection in
            try connection.query("SELECT \(Self.columns) FROM outbox WHERE job_id = ? ORDER BY id", [.text(jobID)]).map(Self.row)
        }
    }

    /// Makes undelivered rows due now, whatever their backoff (of one job, or all): the operator's
    /// replay. Quarantined rows stay aside. Returns how many.
    @discardableResult
    public func makeDue(jobID: String? = nil, now: Date = Date()) async throws -> Int {
        try await database.write { connection in
            try connection.execute(
                """
                UPDATE outbox SET next_attempt_at = ? WHERE delivered_at IS NULL AND quarantined_at IS NULL AND (? IS NULL OR job_id = ?)
                """, [.real(now.timeIntervalSince1970), jobID.map(SQLiteValue.text) ?? .null, jobID.map(SQLiteValue.text) ?? .null])
            return connection.changes
        }
    }

    /// Undelivered rows (all, or only the stuck and quarantined ones), oldest first.
    public func list(stuckOnly: Bool, policy: StuckPolicy = .init(), limit: Int = 1000, now: Date = Date()) async throws -> [OutboxRow] {
        let ageCutoff = now.timeIntervalSince1970 - policy.age.inSeconds
        return try await database.read { connection in
            let filter = stuckOnly ? "AND (attempts >= ? OR created_at < ? OR quarantined_at IS NOT NULL)" : "AND ? IS NOT NULL AND ? IS NOT NULL"
            return try connection.query(
                "SELECT \(Self.columns) FROM outbox WHERE delivered_at IS NULL \(filter) ORDER BY id LIMIT ?",
                [.integer(Int64(policy.attempts)), .real(ageCutoff), .integer(Int64(limit))]
            ).map(Self.row)
        }
    }
}
