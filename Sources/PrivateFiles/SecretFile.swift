#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file that holds a secret (a raw key, a password, a keystore, the vault's master key),
/// refusing one that group or others may read or write, that another user owns, or that is not a
/// regular file. Everything is checked on the opened descriptor (`fstat`), so the file checked is
/// the file read: no window between a `stat` and an `open` in which the path can be swapped.
public enum SecretFile {
    /// A secret file is small; anything larger is not one.
    public static let maximumSize = 64 * 1024

    /// - Parameter what: how errors name the file ("vault key file").
    public static func read(_ path: String, what: String) throws(PrivateFileError) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO planted at the path does not hang; fstat then refuses it.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard fd >= 0 else { throw PrivateFileError(.io, "cannot open the \(what) \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw PrivateFileError(.io, "cannot stat the \(what) \(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw PrivateFileError(.unsuitable, "the \(what) \(path) is not a regular file") }
        try PrivateFile.requirePrivate(info, path: path, what: what)
        guard info.st_uid == geteuid() else {
            throw PrivateFileError(.unsuitable, "the \(what) \(path) belongs to user \(info.st_uid), not to the keeper's user \(geteuid()): run `chown $(id -u) \(path)`")
        }
        var contents = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { wipe(&chunk) }
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                wipe(&contents)
                throw PrivateFileError(.io, "cannot read the \(what) \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            contents.append(contentsOf: chunk[0..<count])
            guard contents.count <= maximumSize else {
                wipe(&contents)
                throw PrivateFileError(.unsuitable, "the \(what) \(path) is larger than \(maximumSize) bytes")
            }
        }
        return contents
    }

    /// Overwrites a buffer that held a secret.
    public static func wipe(_ bytes: inout [UInt8]) {
        for index in bytes.indices { bytes[index] = 0 }
        bytes.removeAll()
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
