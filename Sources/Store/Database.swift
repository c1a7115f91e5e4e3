import CSQLite
import Foundation
import PrivateFiles

/// One SQLite connection, in the manner of GRDB's `Database`: owns the handle, caches prepared
/// statements, runs closures in transactions. Use it from one thread at a time: the keeper's writer
/// connection lives on its writer thread (`ThreadPoolExecutor`), readers come from `DatabaseReaderPool`.
public final class Database {
    let handle: OpaquePointer
    public let path: String
    private var statementCache = [String: Statement]()
    private var transactionDepth = 0

    /// How a connection opens its file.
    public enum Mode: Sendable {
        /// Reads and writes, creating the file if needed and switching it to WAL.
        case readWrite
        /// A reader beside the writer: opens an existing file without creating it or changing its
        /// journal mode, and refuses writes (`PRAGMA query_only`). It asks for write access all the
        /// same, so that `isReadOnly` says whether this process could write the file.
        case reader
    }

    /// Opens (creating if needed) the database at `path` in WAL mode with a busy timeout, foreign
    /// keys on and `synchronous = FULL`. `":memory:"` opens a private in-memory database.
    ///
    /// The file holds the key vault and the signed transactions: a new one is created 0600 (its
    /// `-wal` and `-shm` take its mode), and one that group or others may open is refused with the
    /// `chmod` that fixes it (`isOpenToOthers`).
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5_000, mode: Mode = .readWrite) throws(DatabaseError) {
        if path != ":memory:", !path.isEmpty, !path.hasPrefix("file:") {
            do {
                try PrivateFile.ensurePrivate(path, create: mode == .readWrite, what: "database")
                for suffix in ["-wal", "-shm"] { try PrivateFile.ensurePrivate(path + suffix, create: false, what: "database file") }
            } catch {
                throw DatabaseError(extendedCode: error.code == .openToOthers ? Self.openToOthersCode : SQLITE_CANTOPEN, message: error.message)
            }
        }
        var handle: OpaquePointer? = nil
        let create = mode == .readWrite ? SQLITE_OPEN_CREATE : 0
        let flags = SQLITE_OPEN_READWRITE | create | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw DatabaseError(extendedCode: code, message: "cannot open \(path): \(message)")
        }
        self.handle = handle
        self.path = path
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        if mode == .reader {
            try execute("PRAGMA query_only = ON")
        } else if path != ":memory:" {
            let mode = try fetchOne("PRAGMA journal_mode = WAL", as: String.self)
            guard mode?.lowercased() == "wal" else {
                throw DatabaseError(extendedCode: SQLITE_ERROR, message: "cannot enable WAL on \(path) (journal_mode is \(mode ?? "unknown"))")
            }
            // FULL: each commit is on disk when COMMIT returns. The keeper commits a signed
            // transaction before broadcasting it (DESIGN.md §6); under NORMAL a power loss can take
            // that last commit back after the broadcast, and the restarted keeper would sign the job again.
            try execute("PRAGMA synchronous = FULL")
        }
        try execute("PRAGMA foreign_keys = ON")
    }

    /// The result code of a database file that group or others may open (`SQLITE_PERM`).
    public static let openToOthersCode = SQLITE_PERM

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements without arguments (schema, pragmas).
    public func execute(_ sql: String) throws(DatabaseError) {
        var message: UnsafeMutablePointer<CChar>? = nil
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw DatabaseError(extendedCode: sqlite3_extended_errcode(handle), message: text, sql: sql)
        }
    }

    /// Runs one statement with arguments; returns the number of rows it changed.
    @discardableResult
    public func execute(_ sql: String, _ arguments: [any DatabaseValueConvertible]) throws(DatabaseError) -> Int {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// All rows of a query.
    public func fetchAll(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws(DatabaseError) -> [Row] {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        var rows = [Row]()
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// The first row of a query, or nil.
    public func fetchOne(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws(DatabaseError) -> Row? {
        let statement = try cachedStatement(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        return try statement.step() ? statement.row() : nil
    }

    /// The first column of the first row, converted to `T`; nil when there is no row or it is NULL.
    public func fetchOne<T: DatabaseValueConvertible>(_ sql: String, _ arguments: [any DatabaseValueConvertible] = [], as type: T.Type) throws(DatabaseError) -> T? {
        guard let row = try fetchOne(sql, arguments), let first = row.values.first, first != .null else { return nil }
        return try row.get(0, as: T.self)
    }

    /// True when SQLite opened the main database read-only (the file or its directory is not
    /// writable by this process), whatever `Mode` asked for.
    public var isReadOnly: Bool { sqlite3_db_readonly(handle, "main") == 1 }

    public var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    /// Nested calls become savepoints, so an inner failure undoes only the inner work.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: (Database) throws -> T) throws -> T {
        let savepoint = "lgk_sp\(transactionDepth)"
        if transactionDepth == 0 {
            try execute("BEGIN \(kind.rawValue) TRANSACTION")
        } else {
            try execute("SAVEPOINT \(savepoint)")
        }
        transactionDepth += 1
        do {
            let result = try body(self)
            transactionDepth -= 1
            try execute(transactionDepth == 0 ? "COMMIT TRANSACTION" : "RELEASE SAVEPOINT \(savepoint)")
            return result
        } catch {
            transactionDepth -= 1
            if transactionDepth == 0 {
                try? execute("ROLLBACK TRANSACTION")  // the original error matters more than a failed rollback
            } else {
                try? execute("ROLLBACK TO SAVEPOINT \(savepoint)")
                try? execute("RELEASE SAVEPOINT \(savepoint)")
            }
            throw error
        }
    }

    public var isInsideTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    func cachedStatement(_ sql: String) throws(DatabaseError) -> Statement {
        if let statement = statementCache[sql] { return statement }
        let statement = try Statement(database: self, sql: sql, persistent: true)
        statementCache[sql] = statement
        return statement
    }

    func lastError(code: Int32, sql: String?) -> DatabaseError {
        let extended = sqlite3_extended_errcode(handle)
        return DatabaseError(extendedCode: extended != 0 ? extended : code,
                             message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}

public enum TransactionKind: String, Sendable {
    case deferred = "DEFERRED"
    /// Takes the write lock at BEGIN, so a busy database is reported before any work is done.
    case immediate = "IMMEDIATE"
    case exclusive = "EXCLUSIVE"
}
