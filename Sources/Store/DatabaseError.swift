import CSQLite

/// A failed SQLite call: the extended result code, SQLite's message and the SQL involved.
/// Modelled on GRDB's `DatabaseError`.
public struct DatabaseError: Error, Equatable, CustomStringConvertible {
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_BUSY`, …).
    public let extendedCode: Int32
    public let message: String
    public let sql: String?

    public init(extendedCode: Int32, message: String, sql: String? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    /// The primary result code (`SQLITE_CONSTRAINT`, `SQLITE_BUSY`, …).
    public var code: Int32 { extendedCode & 0xFF }

    public var isUniqueViolation: Bool {
        extendedCode == CSQLite_CONSTRAINT_UNIQUE() || extendedCode == CSQLite_CONSTRAINT_PRIMARYKEY()
    }

    /// A database file refused because group or others may open it; the message holds the `chmod` that fixes it.
    public var isOpenToOthers: Bool { extendedCode == Database.openToOthersCode }

    public var description: String {
        let name = String(cString: sqlite3_errstr(extendedCode))
        if let sql { return "SQLite error \(extendedCode) (\(name)): \(message) — while executing `\(sql)`" }
        return "SQLite error \(extendedCode) (\(name)): \(message)"
    }
}
