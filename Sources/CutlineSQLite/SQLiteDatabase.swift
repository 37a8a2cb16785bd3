import CSQLite
import Foundation

/// A database file with one connection that runs on its own serial queue, never on Swift's
/// cooperative pool (after GRDB's DatabaseQueue). WAL journal, a busy timeout, and named migrations.
public final class SQLiteDatabase: @unchecked Sendable {
    // Safe to share: `connection` is only touched on `queue`.
    private let connection: SQLiteConnection
    private let queue: DispatchQueue
    public let path: String

    /// Opens (creating if needed) the database and applies the migrations it has not seen yet; with
    /// `migrations` nil the schema is left as it is (tools that inspect another program's database).
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000, migrations: [SQLiteMigration]? = []) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // Job records are the users' own: the file is the owner's alone from its creation (SQLite
        // gives its -wal and -shm files the database's mode). O_EXCL: only a file that did not exist is
        // opened here, because closing any descriptor of a database this process already has open
        // would drop that connection's POSIX locks.
        let created = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if created >= 0 { close(created) }
        self.path = path
        self.connection = try SQLiteConnection(path: path)
        self.queue = DispatchQueue(label: "cutline.sqlite.\((path as NSString).lastPathComponent)")
        sqlite3_busy_timeout(connection.handle, busyTimeoutMilliseconds)
        // WAL lets readers in other processes (the operator CLI) read while a service writes.
        // synchronous=FULL: a commit reaches the disk before it returns, so what a service acknowledged (a job
        // accepted, a status write queued) survives a power loss too; NORMAL would only survive a
        // process crash. scripts/bench-state measures the cost.
        try Self.enableWriteAheadLog(connection, timeoutMilliseconds: busyTimeoutMilliseconds)
        try connection.execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        if let migrations { try Self.migrate(connection, migrations) }
    }

    /// Switching to WAL needs a moment alone with the file, and SQLite answers SQLITE_BUSY at once
    /// (without its busy handler) when another connection is opening the same new file: try again
    /// within the busy timeout.
    static func enableWriteAheadLog(_ connection: SQLiteConnection, timeoutMilliseconds: Int32) throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeoutMilliseconds))
        while true {
            do {
                _ = try connection.query("PRAGMA journal_mode=WAL")
                return
            } catch {
                guard error.isBusy, ContinuousClock.now < deadline else { throw error }
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
    }

    /// Applies the migrations not applied yet, in order, all in one `BEGIN IMMEDIATE` transaction: two
    /// processes opening a new file at once cannot both see "not applied" (the second waits for the
    /// first's lock, then finds them applied), after GRDB's `DatabaseMigrator`. Applied names are
    /// recorded in `cutline_migrations`; one this program does not know means a newer program made the
    /// file, which is refused rather than half understood.
    static func migrate(_ connection: SQLiteConnection, _ migrations: [SQLiteMigration]) throws {
        let names = migrations.map(\.name)
        precondition(Set(names).count == names.count, "migration names must be unique: \(names)")
        try transaction(connection) { connection in
            try connection.execute("CREATE TABLE IF NOT EXISTS cutline_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
            var applied = Set(try connection.query("SELECT name FROM cutline_migrations").compactMap { $0.text(0) })
            if applied.isEmpty {
                // Files from before named migrations counted them in user_version.
                let legacy = Int(try connection.query("PRAGMA user_version").first?.integer(0) ?? 0)
                applied = Set(names.prefix(legacy))
                for name in names.prefix(legacy) { try record(name, connection) }
            }
            let unknown = applied.subtracting(names)
            guard unknown.isEmpty else {
                throw SQLiteError(
                    code: SQLITE_ERROR,
                    message:
                        "the database has migrations this program does not know (\(unknown.sorted().joined(separator: ", "))): it was made by a newer Cutline; upgrade",
                    sql: nil, path: connection.path)
            }
            for migration in migrations where !applied.contains(migration.name) {
                try connection.execute(migration.sql)
                try record(migration.name, connection)
            }
        }
    }

    private static func record(_ name: String, _ connection: SQLiteConnection) throws {
        try connection.execute("INSERT INTO cutline_migrations (name, applied_at) VALUES (?, ?)", [.text(name), .real(Date().timeIntervalSince1970)])
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

/// One named schema change. Names are what the database remembers, so a migration is never renamed
/// or edited once released: a change is a new migration.
public struct SQLiteMigration: Sendable, Hashable {
    public let name: String
    public let sql: String

    public init(_ name: String, _ sql: String) {
        self.name = name
        self.sql = sql
    }
}
