#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Indexer

/// Reads a file that holds a secret (a raw key, a password, a keystore), refusing one that group or
/// others may read or write. The mode is checked on the opened descriptor (`fstat`), so the file
/// checked is the file read. Errors name the file and the fix, never its content.
enum SecretFile {
    /// A secret file is small; anything larger is not one.
    static let maximumSize = 64 * 1024

    static func read(_ path: String, what: String) throws(KeeperError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KeeperError(.config, "cannot open the \(what) \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw KeeperError(.config, "cannot stat the \(what) \(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw KeeperError(.config, "the \(what) \(path) is not a regular file") }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw KeeperError(.config, "the \(what) \(path) has mode \(String(mode, radix: 8)), open to group or others: run `chmod 600 \(path)`")
        }
        var contents = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { wipe(&chunk) }
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                wipe(&contents)
                throw KeeperError(.config, "cannot read the \(what) \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            contents.append(contentsOf: chunk[0..<count])
            guard contents.count <= maximumSize else {
                wipe(&contents)
                throw KeeperError(.config, "the \(what) \(path) is larger than \(maximumSize) bytes")
            }
        }
        return contents
    }

    /// Overwrites a buffer that held a secret.
    static func wipe(_ bytes: inout [UInt8]) {
        for index in bytes.indices { bytes[index] = 0 }
        bytes.removeAll()
    }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
