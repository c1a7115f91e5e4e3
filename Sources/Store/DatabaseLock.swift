#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite

/// An exclusive advisory lock (`flock`) on `<database>.lock`, held for the life of the value:
/// one writer per database (DESIGN.md §5). The holder's pid is written into the file so that a
/// second process can name it.
public final class DatabaseLock: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32

    /// Takes the lock for the database at `databasePath`, or throws `SQLITE_BUSY` naming the holder.
    public init(databasePath: String) throws(DatabaseError) {
        path = databasePath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DatabaseError(extendedCode: SQLITE_CANTOPEN, message: "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        _ = fchmod(fd, 0o600)  // the mode given to open is filtered by the umask; a lock file from before is made private too
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.readPID(fd)
            close(fd)
            guard reason == EWOULDBLOCK else {
                throw DatabaseError(extendedCode: SQLITE_IOERR, message: "cannot lock \(path): \(String(cString: strerror(reason)))")
            }
            let who = holder.map { "another keeper (pid \($0))" } ?? "another keeper"
            throw DatabaseError(extendedCode: SQLITE_BUSY, message: "\(databasePath) is in use by \(who); stop it first — one writer per database")
        }
        descriptor = fd
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Unlocks before closing: a child another thread of this process is spawning holds a copy of
    /// the descriptor until it execs, and closing ours alone would leave the lock held meanwhile.
    deinit {
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: " \n"))
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        return String(drop { characters.contains($0) }.reversed().drop { characters.contains($0) }.reversed())
    }
}
