#if canImport(Glibc)
import Glibc
#endif
import COpenSSL

/// How one connection's bytes travel: straight over the non-blocking socket, or through a TLS
/// session on it. Either way every wait is a poll(2) with a deadline, so a silent or slow client
/// holds its thread no longer than the server's timeouts. Used by one connection thread only.
final class HTTPTransport {
    let fd: Int32
    private let ssl: OpaquePointer?
    /// A TLS session that failed (or was never set up) must not be shut down cleanly.
    private var broken = false

    /// A plain transport, or a TLS one when `identity` is given (nil if OpenSSL refuses a session).
    init?(fd: Int32, identity: TLSIdentity?) {
        self.fd = fd
        guard let identity else { ssl = nil; return }
        guard let ssl = SSL_new(identity.context) else { return nil }
        guard SSL_set_fd(ssl, fd) == 1 else { SSL_free(ssl); return nil }
        self.ssl = ssl
    }

    deinit { if let ssl { SSL_free(ssl) } }

    /// Completes the TLS handshake before `deadline` (monotonic ms); true at once for a plain
    /// transport. False when the client stays silent, leaves, speaks something other than TLS 1.2+,
    /// or `stopping` turns true.
    func handshake(deadline: Int64, stopping: () -> Bool) -> Bool {
        guard let ssl else { return true }
        while true {
            ERR_clear_error()
            let result = SSL_accept(ssl)
            if result == 1 { return true }
            guard let events = wants(SSL_get_error(ssl, result)) else { return fail() }
            let left = deadline - HTTPSocket.monotonicMilliseconds()
            guard left > 0, !stopping() else { broken = true; return false }
            _ = HTTPSocket.wait(fd, events: events, timeoutMs: Int32(min(left, 100)))
        }
    }

    /// Appends what arrives (at most `maximum` bytes) to `buffer`, waiting up to `timeoutMs`.
    func read(into buffer: inout [UInt8], maximum: Int, timeoutMs: Int32) -> HTTPSocket.ReadResult {
        guard let ssl else { return HTTPSocket.read(fd, into: &buffer, maximum: maximum, timeoutMs: timeoutMs) }
        guard !broken else { return .failed }
        let deadline = HTTPSocket.monotonicMilliseconds() + Int64(timeoutMs)
        var chunk = [UInt8](repeating: 0, count: max(1, maximum))
        while true {
            var count = 0
            ERR_clear_error()
            let result = chunk.withUnsafeMutableBytes { SSL_read_ex(ssl, $0.baseAddress, $0.count, &count) }
            if result == 1 {
                buffer.append(contentsOf: chunk[..<count])
                return .bytes(count)
            }
            let error = SSL_get_error(ssl, result)
            if error == SSL_ERROR_ZERO_RETURN { return .closed }
            guard let events = wants(error) else { _ = fail(); return .failed }
            let left = deadline - HTTPSocket.monotonicMilliseconds()
            guard left > 0, HTTPSocket.wait(fd, events: events, timeoutMs: Int32(left)) else { return .timedOut }
        }
    }

    /// Writes all of `bytes` before `deadline` (monotonic ms); false if the peer went away or was too slow.
    func write(_ bytes: [UInt8], deadline: Int64) -> Bool {
        guard let ssl else { return HTTPSocket.write(fd, bytes, deadline: deadline) }
        guard !broken else { return false }
        var offset = 0
        while offset < bytes.count {
            var count = 0
            ERR_clear_error()
            let result = bytes.withUnsafeBytes { SSL_write_ex(ssl, $0.baseAddress! + offset, $0.count - offset, &count) }
            if result == 1 { offset += count; continue }
            guard let events = wants(SSL_get_error(ssl, result)) else { return fail() }
            let left = deadline - HTTPSocket.monotonicMilliseconds()
            guard left > 0 else { return false }
            _ = HTTPSocket.wait(fd, events: events, timeoutMs: Int32(min(left, 1_000)))
        }
        return true
    }

    /// Ends the session (TLS close_notify, sent without waiting), half-closes and drains as
    /// `HTTPSocket.halfCloseAndDrain` does. The server closes the descriptor.
    func halfCloseAndDrain(graceMs: Int64) {
        if let ssl, !broken {
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
            ERR_clear_error()
        }
        HTTPSocket.halfCloseAndDrain(fd, graceMs: graceMs)
    }

    /// The poll events an OpenSSL WANT_READ / WANT_WRITE asks for; nil for a real failure.
    private func wants(_ error: Int32) -> Int16? {
        switch error {
        case SSL_ERROR_WANT_READ: Int16(POLLIN)
        case SSL_ERROR_WANT_WRITE: Int16(POLLOUT)
        default: nil
        }
    }

    private func fail() -> Bool {
        broken = true
        ERR_clear_error()
        return false
    }
}
