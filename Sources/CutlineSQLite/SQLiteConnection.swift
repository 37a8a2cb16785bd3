import CSQLite
import Foundation

/// Owns one sqlite3 connection and closes it exactly once. Not Sendable: use it only inside the
/// `SQLiteDatabase` queue that owns it.
public final class SQLiteConnection {
    let handle: OpaquePointer
    public let path: String

    init(path: String) throws(SQLiteError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw SQLiteError(code: status, message: message, sql: nil, path: path)
        }
        self.handle = handle
        self.path = path
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    func error(_ status: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: status, message: String(cString: sqlite3_errmsg(handle)), sql: sql, path: path)
    }

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw error(status, sql: sql) }
    }

    /// Runs one statement with bound values, returning no rows.
    public func execute(_ sql: String, _ values: [SQLiteValue]) throws(SQLiteError) {
        let statement = try prepare(sql)
        try statement.bind(values)
        while try statement.step() {}
    }

    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql)
    }

    /// All rows of a query, each as its column values.
    public func query(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> [SQLiteRow] {
        let statement = try prepare(sql)
        try statement.bind(values)
        var rows: [SQLiteRow] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// A value bound to or read from SQL.
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// One row of a query: its values, readable by column name (as the query names them) or position.
public struct SQLiteRow: Sendable {
    public let values: [SQLiteValue]
    /// The columns' names, in order (shared by every row of a statement).
    public let columns: [String]

    public init(values: [SQLiteValue], columns: [String] = []) {
        self.values = values
        self.columns = columns
    }

    public subscript(_ index: Int) -> SQLiteValue { values[index] }

    /// The value of the column named `name`; `.null` when the query has no such column.
    public subscript(_ name: String) -> SQLiteValue {
        columns.firstIndex(of: name).map { values[$0] } ?? .null
    }

    public func integer(_ index: Int) -> Int64? { self[index].integer }
    public func real(_ index: Int) -> Double? { self[index].real }
    public func text(_ index: Int) -> String? { self[index].text }
    public func blob(_ index: Int) -> [UInt8]? { self[index].blob }

    public func integer(_ name: String) -> Int64? { self[name].integer }
    public func real(_ name: String) -> Double? { self[name].real }
    public func text(_ name: String) -> String? { self[name].text }
    public func blob(_ name: String) -> [UInt8]? { self[name].blob }
}

extension SQLiteValue {
    public var integer: Int64? { if case .integer(let v) = self { v } else { nil } }
    public var real: Double? {
        switch self {
        case .real(let v): v
        case .integer(let v): Double(v)
        default: nil
        }
    }
    public var text: String? { if case .text(let v) = self { v } else { nil } }
    public var blob: [UInt8]? { if case .blob(let v) = self { v } else { nil } }
}
