import CSQLite
import Foundation

/// A database file with one connection that runs on its own serial queue, never on Swift's
/// cooperative pool (after GRDB's DatabaseQueue). WAL journal, a busy timeout, and numbered migrations.
public final class SQLiteDatabase: @unchecked Sendable {
    // Safe to share: `connection` is only touched on `queue`.
    private let connection: SQLiteConnection
    private let queue: DispatchQueue
    public let path: String

    /// Opens (creating if needed) the database and applies the migrations it has not seen yet; with
    /// `migrations` nil the schema is left as it is (tools that inspect another program's database).
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000, migrations: [String]? = []) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        self.path = path
        self.connection = try SQLiteConnection(path: path)
        self.queue = DispatchQueue(label: "cutline.sqlite.\((path as NSString).lastPathComponent)")
        sqlite3_busy_timeout(connection.handle, busyTimeoutMilliseconds)
        // WAL lets readers in other processes (the operator CLI) read while a service writes;
        // synchronous=NORMAL is durable across process crashes in WAL mode.
        _ = try connection.query("PRAGMA journal_mode=WAL")
        try connection.execute("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
        if let migrations { try Self.migrate(connection, migrations) }
    }

    /// Schema version N is `migrations[N-1]`; each runs once, in its own transaction, and bumps user_version.
    static func migrate(_ connection: SQLiteConnection, _ migrations: [String]) throws {
        let current = Int(try connection.query("PRAGMA user_version").first?.integer(0) ?? 0)
        guard current <= migrations.count else {
            throw SQLiteError(code: SQLITE_ERROR, message: "database schema version \(current) is newer than this program knows (\(migrations.count)); upgrade Cutline", sql: nil, path: connection.path)
        }
        for (offset, sql) in migrations.enumerated().dropFirst(current) {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.execute(sql)
                try connection.execute("PRAGMA user_version = \(offset + 1)")
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction, committed if it returns, rolled back if it throws.
    public func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await perform { connection in try Self.transaction(connection, body) }
    }

    /// The same, blocking the calling thread (for threads of their own, e.g. a benchmark writer).
    public func writeSync<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try queue.sync { try Self.transaction(connection, body) }
    }

    /// Runs `body` without a transaction of its own (reads, pragmas).
    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await perform(body)
    }

    static func transaction<T>(_ connection: SQLiteConnection, _ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let result = try body(connection)
            try connection.execute("COMMIT")
            return result
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private func perform<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(self.connection) })
            }
        }
    }
}
