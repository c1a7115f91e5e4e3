#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Files only the keeper's user may read. What the keeper creates (its database, evidence, lock and
/// key files) is 0600 in 0700 directories whatever the umask: modes are set with `fchmod`/`chmod`
/// after creation, since the mode given to `open`/`mkdir` is filtered by the umask.
public enum PrivateFile {
    public static let fileMode: mode_t = 0o600
    public static let directoryMode: mode_t = 0o700

    /// Creates `path` and any missing parent directories, each new one 0700. Directories that
    /// already exist are left as they are.
    public static func createDirectories(_ path: String) throws(PrivateFileError) {
        guard !path.isEmpty else { return }
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw PrivateFileError(.io, "\(path) exists and is not a directory") }
            return
        }
        let parent = parentDirectory(of: path)
        if parent != path { try createDirectories(parent) }
        guard mkdir(path, directoryMode) == 0 || errno == EEXIST else {
            throw PrivateFileError(.io, "cannot create the directory \(path): \(String(cString: strerror(errno)))")
        }
        guard chmod(path, directoryMode) == 0 else {
            throw PrivateFileError(.io, "cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes `bytes` to `path` atomically (a 0600 temporary file in the same directory, synced,
    /// then renamed over `path`), so that a reader never sees half a file.
    public static func write(_ bytes: [UInt8], to path: String) throws(PrivateFileError) {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard fd >= 0 else { throw PrivateFileError(.io, "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        let ok: Bool = {
            defer { close(fd) }
            guard fchmod(fd, fileMode) == 0 else { return false }
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, $0.count - written) }
                if count < 0 { if errno == EINTR { continue }; return false }
                written += count
            }
            return fsync(fd) == 0
        }()
        guard ok, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw PrivateFileError(.io, "cannot write \(path): \(reason)")
        }
    }

    /// Makes sure `path` is a file that group and others cannot open: creates it empty and 0600
    /// when `create` and it does not exist; throws `.openToOthers` with the `chmod` that fixes it
    /// when its mode lets group or others in. Returns false when it does not exist (and `create` is false).
    ///
    /// An existing file is looked at with `stat`, never opened: it may be a database SQLite has open
    /// in this process, and closing any descriptor of it would drop SQLite's POSIX locks on it
    /// (https://www.sqlite.org/howtocorrupt.html §2.2).
    @discardableResult
    public static func ensurePrivate(_ path: String, create: Bool, what: String) throws(PrivateFileError) -> Bool {
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else { throw PrivateFileError(.io, "cannot stat \(path): \(String(cString: strerror(errno)))") }
            guard create else { return false }
            let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
            if fd >= 0 {
                defer { close(fd) }
                guard fchmod(fd, fileMode) == 0 else { throw PrivateFileError(.io, "cannot set the mode of \(path): \(String(cString: strerror(errno)))") }
                return true
            }
            // Created meanwhile by another process: judged as any existing file.
            guard errno == EEXIST, stat(path, &info) == 0 else { throw PrivateFileError(.io, "cannot create \(path): \(String(cString: strerror(errno)))") }
        }
        try requirePrivate(info, path: path, what: what)
        return true
    }

    /// Throws `.openToOthers` when the mode lets group or others read or write.
    static func requirePrivate(_ info: stat, path: String, what: String) throws(PrivateFileError) {
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw PrivateFileError(.openToOthers, "the \(what) \(path) has mode \(String(mode, radix: 8)), open to group or others: run `chmod 600 \(path)`")
        }
    }

    static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }
}

/// Why a private or secret file could not be used; the message names the file and the fix, never its content.
public struct PrivateFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// Group or others may read or write it: `chmod 600` fixes it.
        case openToOthers
        /// Not a regular file, owned by another user, or too large to be what it should be.
        case unsuitable
        /// The system refused an open, read, write or rename.
        case io
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
