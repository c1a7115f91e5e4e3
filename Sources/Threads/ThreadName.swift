#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's name of a thread (`top -H`, `gdb`, `/proc/<pid>/task/*/comm`), for the threads the
/// keeper starts itself: the HTTP server's, the executors' (Store) and libcurl's (Wire). Linux keeps
/// 15 bytes, and a thread started without a name has its creator's.
public enum ThreadName {
    /// Names the calling thread (Glibc's module lacks `pthread_setname_np`: the name goes where it writes it).
    public static func set(_ name: String) {
#if canImport(Darwin)
        _ = pthread_setname_np(name)
#else
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
#endif
    }

    /// The calling thread's name.
    public static var current: String {
#if canImport(Darwin)
        var buffer = [CChar](repeating: 0, count: 64)
        _ = pthread_getname_np(pthread_self(), &buffer, buffer.count)
        return String(cString: buffer)
#else
        let fd = open("/proc/thread-self/comm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return "" }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
#endif
    }
}
