#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin POSIX socket calls for the HTTP server: non-blocking descriptors, waits through poll(2)
/// with a timeout, sends with MSG_NOSIGNAL so that a vanished peer is an error, not SIGPIPE.
enum HTTPSocket {
    enum ReadResult: Equatable {
        case bytes(Int)
        case closed
        case timedOut
        case failed
    }

    /// Binds and listens; returns the descriptor and the bound port.
    static func listen(_ address: HTTPListenAddress, backlog: Int32) throws(HTTPServerError) -> (fd: Int32, port: Int) {
        let domain = address.family == .ipv4 ? AF_INET : AF_INET6
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError(.unavailable, "cannot create a socket: \(errorText())") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32
        switch address.family {
        case .ipv4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(address.port).bigEndian)
            guard inet_pton(AF_INET, address.host, &sin.sin_addr) == 1 else {
                close(fd)
                throw HTTPServerError(.badAddress, "\(address.host) is not an IPv4 address")
            }
            bound = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        case .ipv6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = in_port_t(UInt16(address.port).bigEndian)
            guard inet_pton(AF_INET6, address.host, &sin6.sin6_addr) == 1 else {
                close(fd)
                throw HTTPServerError(.badAddress, "\(address.host) is not an IPv6 address")
            }
            bound = withUnsafePointer(to: &sin6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        guard bound == 0 else {
            let text = errorText()
            close(fd)
            throw HTTPServerError(.unavailable, "cannot listen on \(address): \(text)")
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let text = errorText()
            close(fd)
            throw HTTPServerError(.unavailable, "cannot listen on \(address): \(text)")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, peerName(storage).port)
    }

    /// Waits up to `timeoutMs` for a connection; returns its non-blocking descriptor and peer.
    static func accept(_ listener: Int32, timeoutMs: Int32) -> (fd: Int32, peer: String)? {
        guard wait(listener, events: Int16(POLLIN), timeoutMs: timeoutMs) else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.accept(listener, $0, &length)
            }
        }
        guard fd >= 0 else {
            // Out of descriptors: pause rather than spin on a listener that stays readable.
            if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM { usleep(50_000) }
            return nil
        }
        // accept4 is a GNU extension Swift's Glibc module does not show: set the flags after.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let peer = peerName(storage)
        return (fd, peer.port > 0 ? "\(peer.host):\(peer.port)" : peer.host)
    }

    /// Reads what is available into `buffer` (at most `maximum` bytes), waiting up to `timeoutMs`.
    static func read(_ fd: Int32, into buffer: inout [UInt8], maximum: Int, timeoutMs: Int32) -> ReadResult {
        guard wait(fd, events: Int16(POLLIN), timeoutMs: timeoutMs) else { return .timedOut }
        var chunk = [UInt8](repeating: 0, count: max(1, maximum))
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer.append(contentsOf: chunk[..<count])
            return .bytes(count)
        }
        if count == 0 { return .closed }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .bytes(0) : .failed
    }

    /// Writes all of `bytes` before `deadline` (monotonic ms); false if the peer went away or was too slow.
    static func write(_ fd: Int32, _ bytes: [UInt8], deadline: Int64) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent > 0 { offset += sent; continue }
            guard sent < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return false }
            let left = deadline - monotonicMilliseconds()
            guard left > 0 else { return false }
            _ = wait(fd, events: Int16(POLLOUT), timeoutMs: Int32(min(left, 1_000)))
        }
        return true
    }

    /// Sends what fits without waiting (for refusals from the accept thread).
    static func writeNow(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
    }

    /// Half-closes, then discards what the peer is still sending for up to `graceMs` (so that an
    /// answer sent before the request was read is not lost to a reset). The caller closes.
    static func halfCloseAndDrain(_ fd: Int32, graceMs: Int64) {
        shutdown(fd, Int32(SHUT_WR))
        let deadline = monotonicMilliseconds() + graceMs
        var discarded = 0
        var sink = [UInt8](repeating: 0, count: 4_096)
        while discarded < 1 << 20 {
            let count = sink.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { discarded += count; continue }
            guard count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { break }
            let left = deadline - monotonicMilliseconds()
            guard left > 0, wait(fd, events: Int16(POLLIN), timeoutMs: Int32(left)) else { break }
        }
    }

    static func wait(_ fd: Int32, events: Int16, timeoutMs: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let ready = poll(&entry, 1, max(0, timeoutMs))
        return ready > 0
    }

    static func monotonicMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
    }

    private static func peerName(_ storage: sockaddr_storage) -> (host: String, port: Int) {
        var storage = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var address = sin.pointee.sin_addr
                    inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                    return (String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), Int(UInt16(bigEndian: sin.pointee.sin_port)))
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var address = sin6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                    return ("[" + String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "]", Int(UInt16(bigEndian: sin6.pointee.sin6_port)))
                }
            }
        default:
            return ("unknown", 0)
        }
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}
