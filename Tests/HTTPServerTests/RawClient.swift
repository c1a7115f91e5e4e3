#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import HTTPServer

/// A bare TCP client for the bytes no HTTP library would send.
final class RawClient: @unchecked Sendable {
    let fd: Int32

    /// Connects to 127.0.0.1:`port` (blocking).
    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let text = String(cString: strerror(errno))
            close(fd)
            throw Failure("connect: \(text)")
        }
    }

    deinit { close(fd) }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure("send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Reads until the server closes or `timeout` passes; returns what arrived (a reset ends it too).
    func readAll(timeout: Double = 30) -> [UInt8] {
        var out = [UInt8]()
        let deadline = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(1, deadline.timeIntervalSinceNow * 1_000))
            guard poll(&entry, 1, left) > 0 else { break }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            out += chunk[..<count]
        }
        return out
    }

    /// Reads until `marker` has arrived (or the connection ends or `timeout` passes).
    func read(until marker: String, timeout: Double = 30) -> String {
        var out = [UInt8]()
        let needle = Array(marker.utf8)
        let deadline = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while Date() < deadline, !Self.contains(out, needle) {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1_000))) > 0 else { break }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            out += chunk[..<count]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The response's status code, or nil if the bytes do not start with a status line.
    static func status(_ bytes: [UInt8]) -> Int? { status(String(decoding: bytes, as: UTF8.self)) }

    static func status(_ text: String) -> Int? {
        guard text.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// One request on a fresh connection; the whole answer as text.
    static func exchange(port: Int, _ request: String, timeout: Double = 30) throws -> String {
        let client = try RawClient(port: port)
        try client.send(request)
        return String(decoding: client.readAll(timeout: timeout), as: UTF8.self)
    }
}

/// Runs blocking socket code on a Dispatch thread, never on Swift's cooperative pool, which the
/// server's handlers need (on a two-core machine the pool has two threads).
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// Starts a server on an ephemeral loopback port for one test and stops it afterwards.
func withServer<T>(_ router: HTTPRouter = TestRoutes.router(), options: HTTPServer.Options = HTTPServer.Options(),
                   rateLimitClock: (@Sendable () -> Int64)? = nil, _ body: (HTTPServer) async throws -> T) async throws -> T {
    var options = options
    options.listen = try HTTPListenAddress(parsing: "127.0.0.1:0")
    let server = rateLimitClock.map { HTTPServer(router: router, options: options, rateLimitClock: $0) } ?? HTTPServer(router: router, options: options)
    try server.start()
    do {
        let result = try await body(server)
        await server.stop(grace: .seconds(2))
        return result
    } catch {
        await server.stop(grace: .seconds(2))
        throw error
    }
}

enum TestRoutes {
    /// `GET /ok` → 200 "ok"; `POST /echo` → the body back; `GET /slow?ms=N` sleeps first.
    static func router() -> HTTPRouter {
        var router = HTTPRouter()
        router.add(.get, "/ok") { _ in .text(200, "ok") }
        router.add(.post, "/echo") { request in HTTPServerResponse(status: 200, body: request.body) }
        router.add(.get, "/slow") { request in
            let ms = request.query.flatMap { Int($0.dropFirst(3)) } ?? 300
            try? await Task.sleep(for: .milliseconds(ms))
            return .text(200, "slept")
        }
        return router
    }
}
