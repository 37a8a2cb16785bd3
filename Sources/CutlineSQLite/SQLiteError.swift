import CSQLite

/// A failed SQLite call: SQLite's extended result code and message, the SQL, and the database file.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let sql: String?
    public let path: String

    public var isBusy: Bool { code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED }
    public var isConstraint: Bool { code & 0xFF == SQLITE_CONSTRAINT }

    public var description: String {
        var text = "SQLite error \(code) (\(String(cString: sqlite3_errstr(code)))) in \(path): \(message)"
        if let sql { text += " [SQL: \(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql)]" }
        return text
    }
}
