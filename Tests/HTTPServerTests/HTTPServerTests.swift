#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Testing
import Wire
@testable import HTTPServer

/// The server on real loopback sockets: normal requests through Wire's libcurl client, malformed
/// and slow ones through raw sockets.
@Suite(.serialized) struct HTTPServerTests {
    let client = HTTPClient(options: .init(connectTimeoutMilliseconds: 10_000, totalTimeoutMilliseconds: 60_000))

    func url(_ server: HTTPServer, _ path: String) -> String { "http://127.0.0.1:\(server.port)\(path)" }

    @Test func bindsAnEphemeralLoopbackPortAndAnswers() async throws {
        try await withServer { server in
            #expect(server.port > 0)
            let response = try await client.send(HTTPRequest(method: .get, url: url(server, "/ok")))
            #expect(response.status == 200)
            #expect(response.body == Array("ok".utf8))
            #expect(response.headers["content-length"] == "2")
        }
    }

    @Test func unknownPathIs404AndWrongMethod405WithAllow() async throws {
        try await withServer { server in
            let missing = try await client.send(HTTPRequest(method: .get, url: url(server, "/missing")))
            #expect(missing.status == 404)
            let error = try JSON(parsing: missing.body)
            #expect(error["error"]?["code"] == "NOT_FOUND")
            let wrong = try await client.send(HTTPRequest(method: .delete, url: url(server, "/echo")))
            #expect(wrong.status == 405)
            #expect(wrong.headers["allow"] == "POST")
        }
    }

    @Test func aBodyOverTheLimitIs413FromTheHeader() async throws {
        var options = HTTPServer.Options()
        options.limits.maxBodyBytes = 1_024
        try await withServer(options: options) { server in
            // Raw: the declared length alone is refused, nothing of the body is sent.
            let answer = try await offPool { try RawClient.exchange(port: server.port, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000\r\n\r\n") }
            #expect(RawClient.status(answer) == 413)
            #expect(answer.contains("Connection: close"))
            // libcurl sending the body anyway still reads the 413.
            let big = try await client.send(HTTPRequest(method: .post, url: url(server, "/echo"), body: [UInt8](repeating: 0x61, count: 200_000)))
            #expect(big.status == 413)
            let fits = try await client.send(HTTPRequest(method: .post, url: url(server, "/echo"), body: [UInt8](repeating: 0x61, count: 1_024)))
            #expect(fits.status == 200)
            #expect(fits.body.count == 1_024)
        }
    }

    @Test func oversizedHeadersAre431() async throws {
        try await withServer { server in
            let answer = try await offPool { try RawClient.exchange(port: server.port, "GET /ok HTTP/1.1\r\nHost: a\r\nX-Big: \(String(repeating: "b", count: 20_000))\r\n\r\n") }
            #expect(RawClient.status(answer) == 431)
            let viaCurl = try await client.send(HTTPRequest(method: .get, url: url(server, "/ok"), headers: [("X-Big", String(repeating: "b", count: 10_000))]))
            #expect(viaCurl.status == 431)
        }
    }

    @Test func garbageIs400AndTheConnectionCloses() async throws {
        try await withServer { server in
            for garbage in ["\u{16}\u{03}\u{01}\u{00}\u{a5}\u{01}", "HELLO\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nbroken header\r\n\r\n",
                            "GET /ok HTTP/1.1\r\nHost: a\r\nContent-Length: -4\r\n\r\n",
                            "GET /ok HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"] {
                let answer = try await offPool { try RawClient.exchange(port: server.port, garbage) }
                #expect(RawClient.status(answer) == 400, "\(garbage.debugDescription) → \(answer.prefix(40))")
                #expect(answer.contains("\"code\":\"BAD_REQUEST\""))
            }
            let chunked = try await offPool { try RawClient.exchange(port: server.port, "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n") }
            #expect(RawClient.status(chunked) == 411)
            // Each connection was closed by the server (the client read to its end); the server counts
            // it gone a moment after closing it.
            try await eventually { server.activeConnections == 0 }
        }
    }

    @Test func slowClientsGet408() async throws {
        var options = HTTPServer.Options()
        options.requestTimeoutMs = 300
        try await withServer(options: options) { server in
            // Half a head, then nothing.
            let stalled = try RawClient(port: server.port)
            try stalled.send("GET /ok HTTP/1.1\r\nHo")
            let start = Date()
            let answer = String(decoding: try await offPool { stalled.readAll(timeout: 60) }, as: UTF8.self)
            #expect(RawClient.status(answer) == 408)
            // At the 300 ms deadline, not when the client gives up (60 s): bounds far apart, for a loaded machine.
            #expect(Date().timeIntervalSince(start) < 30)
            // A byte every 100 ms never finishes: the deadline covers the whole request, not each read.
            let trickle = try RawClient(port: server.port)
            var refused = false
            for byte in "GET /ok HTTP/1.1\r\nHost: a\r\nX-Slow: abcdefghijklmnop".utf8 {
                guard (try? trickle.send([byte])) != nil else { refused = true; break }
                try await Task.sleep(for: .milliseconds(100))
                if Date().timeIntervalSince(start) > 6 { break }
            }
            let trickled = String(decoding: try await offPool { trickle.readAll(timeout: 60) }, as: UTF8.self)
            #expect(refused || RawClient.status(trickled) == 408)
            #expect(RawClient.status(trickled) == 408 || trickled.isEmpty)
        }
    }

    @Test func idleConnectionsAreClosedSilently() async throws {
        var options = HTTPServer.Options()
        options.idleTimeoutMs = 200
        try await withServer(options: options) { server in
            let idle = try RawClient(port: server.port)
            let start = Date()
            let nothing = try await offPool { idle.readAll(timeout: 60) }
            #expect(nothing.isEmpty)
            // Closed at the 200 ms idle timeout, not when the client gives up (60 s).
            #expect(Date().timeIntervalSince(start) < 30)
        }
    }

    @Test func keepAliveServesPipelinedRequestsInOrder() async throws {
        try await withServer { server in
            let connection = try RawClient(port: server.port)
            try connection.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcHEAD /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let text = String(decoding: try await offPool { connection.readAll() }, as: UTF8.self)
            let parts = text.components(separatedBy: "HTTP/1.1 200 OK\r\n")
            try #require(parts.count == 4)
            #expect(parts[1].hasSuffix("\r\n\r\nok"))
            #expect(parts[1].contains("Connection: keep-alive"))
            #expect(parts[2].hasSuffix("\r\n\r\nabc"))
            #expect(parts[3].contains("Content-Length: 2\r\n"))   // HEAD: the length of the GET body, no body
            #expect(parts[3].hasSuffix("Connection: close\r\n\r\n"))
        }
    }

    @Test func expect100ContinueGetsAnInterimAnswer() async throws {
        try await withServer { server in
            let connection = try RawClient(port: server.port)
            try connection.send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n")
            let interim = try await offPool { connection.read(until: "\r\n\r\n") }
            #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
            try connection.send("data")
            let answer = String(decoding: try await offPool { connection.readAll() }, as: UTF8.self)
            #expect(RawClient.status(answer) == 200)
            #expect(answer.hasSuffix("data"))
        }
    }

    @Test func connectionsOverTheLimitAre503AndFreedSlotsAreReused() async throws {
        var options = HTTPServer.Options()
        options.maxConnections = 8
        options.idleTimeoutMs = 30_000
        try await withServer(options: options) { server in
            var holders = [RawClient]()
            for _ in 0..<8 { holders.append(try RawClient(port: server.port)) }
            try await eventually { server.activeConnections == 8 }
            for _ in 0..<20 {
                let answer = try await offPool { try RawClient.exchange(port: server.port, "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n", timeout: 30) }
                #expect(RawClient.status(answer) == 503)
            }
            #expect(server.activeConnections == 8)
            holders.removeAll()
            try await eventually { server.activeConnections == 0 }
            let answer = try await offPool { try RawClient.exchange(port: server.port, "GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") }
            #expect(RawClient.status(answer) == 200)
        }
    }

    @Test func aThousandSequentialConnections() async throws {
        try await withServer { server in
            for index in 0..<1_000 {
                let response = try await client.send(HTTPRequest(method: .post, url: url(server, "/echo"),
                                                                 headers: [("Connection", "close")], body: Array("n\(index)".utf8)))
                guard response.status == 200, response.body == Array("n\(index)".utf8) else {
                    Issue.record("request \(index): \(response.status)"); return
                }
            }
            try await eventually { server.activeConnections == 0 }
        }
    }

    @Test func threeHundredConcurrentConnections() async throws {
        var options = HTTPServer.Options()
        options.maxConnections = 400
        options.idleTimeoutMs = 60_000  // the first connection waits for the 300th: seconds on a loaded machine
        try await withServer(options: options) { server in
            // All connected before any request is sent, so that the server holds all of them at once.
            var clients = [RawClient]()
            for _ in 0..<300 { clients.append(try RawClient(port: server.port)) }
            try await eventually { server.activeConnections == 300 }
            for client in clients { try client.send("GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") }
            var statuses = [Int: Int]()
            for client in clients { statuses[RawClient.status(try await offPool { client.readAll() }) ?? 0, default: 0] += 1 }
            #expect(statuses == [200: 300])
            clients.removeAll()
            try await eventually { server.activeConnections == 0 }
        }
    }

    /// Thousands of hostile connections (garbage, half heads, oversized claims, silence) against a
    /// small limit: the server never holds more than its limit, memory stays flat, and it still answers.
    @Test func aFloodOfBadConnectionsLeavesTheServerHealthy() async throws {
        var options = HTTPServer.Options()
        options.maxConnections = 16
        options.requestTimeoutMs = 500
        options.idleTimeoutMs = 500
        try await withServer(options: options) { server in
            let port = server.port
            let before = residentBytes()
            let peak = Mutex(0)
            let inputs = ["\u{16}\u{03}\u{01}", "GET /ok HTTP/1.1\r\nHo", "", "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999\r\n\r\n",
                          "GET /ok HTTP/1.1\r\nX: \(String(repeating: "x", count: 9_000))\r\n\r\n"]
            try await offPool {
                for round in 0..<2_000 {
                    let client = try RawClient(port: port)
                    try? client.send(inputs[round % inputs.count])
                    peak.withLock { $0 = max($0, server.activeConnections) }
                }
            }
            #expect(peak.withLock { $0 } <= 16)
            try await eventually { server.activeConnections == 0 }
            // Flood connections still in the kernel's accept queue may take the slots first (a 503 "busy"
            // is the server's right answer then); once they are drained it answers.
            var statuses = [Int]()
            for _ in 0..<50 {
                let answer = try await offPool { try RawClient.exchange(port: port, "GET /ok HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") }
                statuses.append(RawClient.status(answer) ?? 0)
                if statuses.last == 200 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(statuses.last == 200, "answers after the flood: \(statuses)")
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 503 }, "busy or served, nothing else: \(statuses)")
            #expect(residentBytes() - before < 64 << 20)
        }
    }

    /// The server a route may look at once it exists.
    final class ServerHolder: Sendable {
        let server = Mutex<HTTPServer?>(nil)
        let handling = Mutex(false)
        var isStopping: Bool { server.withLock { $0?.isStopping ?? false } }
    }

    @Test func gracefulStopFinishesRequestsInFlight() async throws {
        var options = HTTPServer.Options()
        options.listen = try HTTPListenAddress(parsing: "127.0.0.1:0")
        // The handler is still running when the stop begins, however late a loaded machine runs either:
        // it answers only once the server is stopping (a timed sleep could end before the stop was called).
        let holder = ServerHolder()
        var router = TestRoutes.router()
        router.add(.get, "/until-stop") { _ in
            holder.handling.withLock { $0 = true }
            let deadline = ContinuousClock.now + .seconds(60)
            while !holder.isStopping, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
            return .text(200, "slept")
        }
        let server = HTTPServer(router: router, options: options)
        holder.server.withLock { $0 = server }
        try server.start()
        let port = server.port
        let inFlight = Task { try await offPool { try RawClient.exchange(port: port, "GET /until-stop HTTP/1.1\r\nHost: a\r\n\r\n") } }
        try await eventually { holder.handling.withLock { $0 } }
        // A grace far beyond the handler's answer; stop returns when it ends.
        await server.stop(grace: .seconds(60))
        let answer = try await inFlight.value
        #expect(RawClient.status(answer) == 200)
        #expect(answer.contains("Connection: close"))
        #expect(answer.hasSuffix("slept"))
        #expect(throws: RawClient.Failure.self) { try RawClient(port: port) }
    }

    @Test func stopCutsOffWhatOutlivesTheGracePeriod() async throws {
        var options = HTTPServer.Options()
        options.listen = try HTTPListenAddress(parsing: "127.0.0.1:0")
        let server = HTTPServer(router: TestRoutes.router(), options: options)
        try server.start()
        let port = server.port
        let inFlight = Task { try await offPool { try RawClient.exchange(port: port, "GET /slow?ms=120000 HTTP/1.1\r\nHost: a\r\n\r\n", timeout: 60) } }
        try await eventually { server.activeConnections == 1 }
        let start = Date()
        await server.stop(grace: .milliseconds(200))
        // Cut off after the grace, not when the 120 s handler ends (bounds far apart, for a loaded machine).
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(server.activeConnections == 0)
        let answer = try await inFlight.value
        #expect(RawClient.status(answer) != 200)
    }

    @Test func portInUseIsAnUnavailableError() async throws {
        try await withServer { server in
            var options = HTTPServer.Options()
            options.listen = try HTTPListenAddress(parsing: "127.0.0.1:\(server.port)")
            let second = HTTPServer(router: HTTPRouter(), options: options)
            let error = #expect(throws: HTTPServerError.self) { try second.start() }
            #expect(error?.code == .unavailable)
            #expect(error?.message.hasPrefix("cannot listen on 127.0.0.1:\(server.port): ") == true)
        }
    }
}

/// This process's resident set size, from /proc/self/statm.
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Polls `condition` until true or 30 seconds pass (generous: a loaded machine can pause a thread for seconds).
func eventually(_ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(30)
    while !condition() {
        guard Date() < deadline else { Issue.record("condition not met within 30 s"); return }
        try await Task.sleep(for: .milliseconds(10))
    }
}
