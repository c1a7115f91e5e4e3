#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Keystore {
    /// Reads and parses the keystore file at `path` (no password needed: the address and cost
    /// parameters are in clear). Errors name the path.
    public static func read(from path: String) throws(EthereumError) -> Keystore {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fileError("cannot open keystore \(path)") }
        defer { close(fd) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw fileError("cannot read keystore \(path)")
            }
            if count == 0 { break }
            contents.append(contentsOf: chunk[0..<count])
            guard contents.count <= maxJSONSize else {
                throw EthereumError(.malformedKeystore, "keystore \(path) is larger than \(maxJSONSize) bytes: not a keystore")
            }
        }
        return try Keystore(json: contents, source: path)
    }

    /// Reads the keystore at `path` and decrypts it. A wrong password throws `.wrongPassword`
    /// ("wrong password for keystore PATH").
    public static func decryptFile(at path: String, password: String) throws(EthereumError) -> PrivateKey {
        try read(from: path).decrypt(password: password)
    }

    /// Writes the keystore to a new file at `path`, readable by the owner only (0600).
    ///
    /// Never overwrites: an existing `path` throws `.fileExists`. The JSON goes to a temporary
    /// file in the same directory (created 0600 with O_EXCL), is synced, then hard-linked to
    /// `path` — `link` fails if `path` exists, so there is no window in which a half-written
    /// file or someone else's file could be replaced.
    public func write(to path: String) throws(EthereumError) {
        let contents = try json()
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: .min ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.fileError("cannot create \(temporary)") }
        defer { unlink(temporary) }
        do throws(EthereumError) {
            // The mode given to open is filtered by the umask; set it exactly.
            guard fchmod(fd, 0o600) == 0 else { throw Self.fileError("cannot chmod \(temporary)") }
            var written = 0
            while written < contents.count {
                let count = contents.withUnsafeBytes { systemWrite(fd, $0.baseAddress?.advanced(by: written), $0.count - written) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw Self.fileError("cannot write \(temporary)")
                }
                written += count
            }
            guard fsync(fd) == 0 else { throw Self.fileError("cannot sync \(temporary)") }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw Self.fileError("cannot close \(temporary)") }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { throw EthereumError(.fileExists, "refusing to overwrite existing file \(path)") }
            throw Self.fileError("cannot create keystore \(path)")
        }
        Self.syncDirectory(of: path)
    }

    /// Encrypts `key` under `password` and writes it to a new 0600 file at `path`.
    @discardableResult
    public static func create(_ key: PrivateKey, password: String, at path: String,
                              keyDerivation: KeyDerivation = .standard) throws(EthereumError) -> Keystore {
        var keystore = try encrypt(key, password: password, keyDerivation: keyDerivation)
        keystore.source = path
        try keystore.write(to: path)
        return keystore
    }

    /// Best effort: makes the new directory entry durable.
    private static func syncDirectory(of path: String) {
        let directory = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private static func fileError(_ what: String) -> EthereumError {
        EthereumError(.fileSystem, "\(what): \(String(cString: strerror(errno)))")
    }
}

// The POSIX calls under names that `Keystore.read(from:)` and `write(to:)` do not shadow.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }
