import CSQLite

/// A prepared statement. Finalized when released; bound to its connection's thread of use and
/// therefore deliberately not `Sendable` (as in GRDB).
public final class Statement {
    let handle: OpaquePointer
    public let sql: String
    unowned let database: Database

    init(database: Database, sql: String, persistent: Bool) throws(DatabaseError) {
        var handle: OpaquePointer? = nil
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let code = sqlite3_prepare_v3(database.handle, sql, -1, flags, &handle, nil)
        guard code == SQLITE_OK, let handle else {
            throw database.lastError(code: code, sql: sql)
        }
        self.handle = handle
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds `arguments` to parameters 1…n, after clearing earlier bindings.
    public func bind(_ arguments: [any DatabaseValueConvertible]) throws(DatabaseError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard arguments.count == expected else {
            throw DatabaseError(extendedCode: SQLITE_RANGE, message: "expected \(expected) arguments, got \(arguments.count)", sql: sql)
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch argument.databaseValue {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let v): code = sqlite3_bind_int64(handle, index, v)
            case .real(let v): code = sqlite3_bind_double(handle, index, v)
            case .text(let v): code = sqlite3_bind_text(handle, index, v, -1, CSQLite_TRANSIENT())
            case .blob(let v):
                code = v.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), CSQLite_TRANSIENT()) }
            }
            guard code == SQLITE_OK else { throw database.lastError(code: code, sql: sql) }
        }
    }

    /// Advances one step: true when a row is available, false when done.
    func step() throws(DatabaseError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            sqlite3_reset(handle)
            throw database.lastError(code: code, sql: sql)
        }
    }

    func reset() { sqlite3_reset(handle) }

    func row() -> Row {
        let count = sqlite3_column_count(handle)
        var values = [DatabaseValue]()
        var names = [String]()
        values.reserveCapacity(Int(count))
        names.reserveCapacity(Int(count))
        for column in 0..<count {
            names.append(String(cString: sqlite3_column_name(handle, column)))
            values.append(columnValue(column))
        }
        return Row(columns: names, values: values)
    }

    private func columnValue(_ column: Int32) -> DatabaseValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, column) else { return .text("") }
            let length = Int(sqlite3_column_bytes(handle, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite3_column_bytes(handle, column))
            guard length > 0, let blob = sqlite3_column_blob(handle, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: length)))
        default: return .null
        }
    }
}

/// One result row: values by column index or name.
public struct Row: Sendable, Hashable {
    public let columns: [String]
    public let values: [DatabaseValue]

    /// The column's value converted to `T`; throws when the column is missing or holds another type.
    public func get<T: DatabaseValueConvertible>(_ name: String, as type: T.Type = T.self) throws(DatabaseError) -> T {
        guard let index = columns.firstIndex(of: name) else {
            throw DatabaseError(extendedCode: SQLITE_RANGE, message: "no column named \(name)")
        }
        return try get(index)
    }

    public func get<T: DatabaseValueConvertible>(_ index: Int, as type: T.Type = T.self) throws(DatabaseError) -> T {
        guard values.indices.contains(index) else {
            throw DatabaseError(extendedCode: SQLITE_RANGE, message: "no column at index \(index)")
        }
        guard let value = T.fromDatabaseValue(values[index]) else {
            throw DatabaseError(extendedCode: SQLITE_MISMATCH, message: "column \(columns[index]) holds \(values[index]), not \(T.self)")
        }
        return value
    }
}
