import Foundation

/// Reader connections beside the one writer, in the manner of GRDB's `DatabasePool`: up to
/// `maximumReaders` connections opened as `.reader`, each read in a DEFERRED transaction so that it
/// sees one snapshot. In WAL mode a reader never waits on the writer, whatever it holds.
/// A read that throws closes its connection; the next read opens a fresh one.
public final class DatabaseReaderPool: @unchecked Sendable {
    public let path: String
    public let maximumReaders: Int
    private let busyTimeoutMilliseconds: Int32
    /// Guards `idle`, `open` and `executor`; signalled when a connection is returned or closed.
    private let condition = NSCondition()
    private var idle = [Database]()
    /// Connections open, idle or in use.
    private var open = 0
    /// The reader threads, started by the first `read`.
    private var executor: ThreadPoolExecutor?

    public init(path: String, maximumReaders: Int = 4, busyTimeoutMilliseconds: Int32 = 1_000) {
        self.path = path
        self.maximumReaders = max(1, maximumReaders)
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
    }

    /// A read holds the pool, so none is in flight here: the reader threads can end.
    deinit { executor?.shutdown() }

    /// Runs `body` on one of the pool's reader threads (never Swift's cooperative pool) and returns
    /// its value; the caller's task waits without holding a thread.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await readerThreads().run { () throws -> T in try self.readSync(body) }
    }

    /// Runs `body` on the calling thread, blocking it until a connection is free. For threads that
    /// may block (the HTTP server's, a `ThreadPoolExecutor`'s), never for the cooperative pool.
    public func readSync<T>(_ body: (Database) throws -> T) throws -> T {
        let db = try checkOut()
        let value: T
        do {
            value = try db.transaction(.deferred) { db in try body(db) }
        } catch {
            close()
            throw error
        }
        checkIn(db)
        return value
    }

    private func readerThreads() -> ThreadPoolExecutor {
        condition.lock()
        defer { condition.unlock() }
        if let executor { return executor }
        let started = ThreadPoolExecutor(name: "lgk-reader", threads: maximumReaders)
        executor = started
        return started
    }

    private func checkOut() throws(DatabaseError) -> Database {
        condition.lock()
        while idle.isEmpty && open >= maximumReaders { condition.wait() }
        if let db = idle.popLast() {
            condition.unlock()
            return db
        }
        open += 1
        condition.unlock()
        do { return try Database(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, mode: .reader) } catch {
            close()
            throw error
        }
    }

    private func checkIn(_ db: Database) {
        condition.lock()
        idle.append(db)
        condition.signal()
        condition.unlock()
    }

    /// Forgets a connection that was checked out (it is closed when its last reference goes).
    private func close() {
        condition.lock()
        open -= 1
        condition.signal()
        condition.unlock()
    }
}
