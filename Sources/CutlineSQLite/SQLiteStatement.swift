import CSQLite

/// Owns one prepared statement and finalizes it exactly once. Not Sendable, like its connection.
public final class SQLiteStatement {
    private let handle: OpaquePointer
    private let connection: SQLiteConnection
    public let sql: String

    init(connection: SQLiteConnection, sql: String) throws(SQLiteError) {
        var handle: OpaquePointer?
        let status = sqlite3_prepare_v2(connection.handle, sql, -1, &handle, nil)
        guard status == SQLITE_OK, let handle else { throw connection.error(status, sql: sql) }
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(handle, index)
            case .integer(let v): status = sqlite3_bind_int64(handle, index, v)
            case .real(let v): status = sqlite3_bind_double(handle, index, v)
            case .text(let v): status = sqlite3_bind_text(handle, index, v, -1, cutline_sqlite_transient())
            case .blob(let v):
                status = v.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), cutline_sqlite_transient()) }
            }
            guard status == SQLITE_OK else { throw connection.error(status, sql: sql) }
        }
    }

    /// Advances to the next row; false when done.
    public func step() throws(SQLiteError) -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(status, sql: sql)
        }
    }

    /// The result columns' names, read once per statement.
    private(set) lazy var columnNames: [String] = (0..<sqlite3_column_count(handle)).map { index in
        sqlite3_column_name(handle, index).map { String(cString: $0) } ?? ""
    }

    public func row() -> SQLiteRow {
        let count = sqlite3_column_count(handle)
        var values: [SQLiteValue] = []
        values.reserveCapacity(Int(count))
        for index in 0..<count {
            switch sqlite3_column_type(handle, index) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(handle, index)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(handle, index)))
            case SQLITE_TEXT: values.append(.text(String(cString: sqlite3_column_text(handle, index))))
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(handle, index))
                if let pointer = sqlite3_column_blob(handle, index) {
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: pointer, count: count))))
                } else {
                    values.append(.blob([]))
                }
            default: values.append(.null)
            }
        }
        return SQLiteRow(values: values, columns: columnNames)
    }
}
