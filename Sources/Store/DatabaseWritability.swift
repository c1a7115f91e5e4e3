#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether this process could write the database at a path now, found without SQLite's write lock
/// (a probe that took it would wait behind the writer): the file, its `-wal` and `-shm` and their
/// directory writable (`access(2)`), the file system mounted read-write with room left (`statvfs`).
public struct DatabaseWritability: Sendable, Equatable {
    /// What stops writes, one line saying what to fix; nil when nothing does.
    public let problem: String?
    /// Bytes free to this process on the database's file system; nil when it could not be read.
    public let freeBytes: UInt64?

    public init(problem: String?, freeBytes: UInt64?) {
        self.problem = problem
        self.freeBytes = freeBytes
    }

    /// Below this much free space the database counts as not writable: a checkpoint or a burst of
    /// claims could not complete.
    public static let defaultMinimumFreeBytes: UInt64 = 16 << 20

    public static func check(databaseAt path: String, minimumFreeBytes: UInt64 = defaultMinimumFreeBytes) -> DatabaseWritability {
        let directory = Self.directory(of: path)
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else {
            return DatabaseWritability(problem: "cannot read the file system of \(directory): \(Self.error())", freeBytes: nil)
        }
        let free = UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
        func failing(_ problem: String) -> DatabaseWritability { DatabaseWritability(problem: problem, freeBytes: free) }
        if stats.f_flag & UInt(ST_RDONLY) != 0 {
            return failing("\(directory) is on a read-only file system: remount it read-write")
        }
        guard access(path, F_OK) == 0 else {
            return failing("\(path) is missing (\(Self.error())): restore it or check store.path")
        }
        for file in [path, path + "-wal", path + "-shm"] where access(file, F_OK) == 0 {
            guard access(file, W_OK) == 0 else {
                return failing("\(file) is not writable by this process (uid \(getuid())): fix its owner or mode")
            }
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            return failing("the directory \(directory) is not writable by this process (uid \(getuid())), and SQLite creates its -wal and -shm files there: fix its owner or mode")
        }
        if free < minimumFreeBytes {
            return failing("only \(Self.mebibytes(free)) free on the file system of \(directory), under the \(Self.mebibytes(minimumFreeBytes)) needed: free some space")
        }
        return DatabaseWritability(problem: nil, freeBytes: free)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func mebibytes(_ bytes: UInt64) -> String { "\(bytes >> 20) MiB" }

    private static func error() -> String { String(cString: strerror(errno)) }
}
