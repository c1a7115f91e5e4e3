import Foundation
import Testing
import TestSupport
@testable import Wire

@Suite(.serialized) final class HTTPClientTests {
    let server: ServerProcess
    /// Far more time than the fixture's answers take on a loaded machine.
    let client = HTTPClient(options: .init(connectTimeoutMilliseconds: 10_000, totalTimeoutMilliseconds: 60_000,
                                            maximumResponseBytes: 1 << 20))

    init() throws { server = try ServerProcess(script: "httpfixture.py", arguments: ["--port", "0"]) }
    deinit { server.stop() }

    @Test func postSendsBodyAndHeaders() async throws {
        let body = Array(#"{"jsonrpc":"2.0","id":1}"#.utf8)
        let response = try await client.send(HTTPRequest(method: .post, url: server.baseURL + "/echo",
                                                         headers: [("Content-Type", "application/json"), ("X-Test", "a b")],
                                                         body: body))
        #expect(response.status == 200)
        #expect(response.headers["x-fixture"] == "yes")
        let echoed = try JSON(parsing: response.body)
        #expect(echoed["method"] == "POST")
        #expect(echoed["body"]?.stringValue == String(decoding: body, as: UTF8.self))
        #expect(echoed["headers"]?["x-test"] == "a b")
        #expect(echoed["headers"]?["content-type"] == "application/json")
        #expect(echoed["headers"]?["expect"] == nil)
    }

    @Test func nonSuccessStatusIsAnAnswerNotAnError() async throws {
        let response = try await client.send(HTTPRequest(method: .get, url: server.baseURL + "/status/429"))
        #expect(response.status == 429)
        #expect(String(decoding: response.body, as: UTF8.self) == "status 429")
    }

    @Test func totalTimeoutIsTyped() async throws {
        // A 1 s timeout and an answer after 60 s: a starved client that notices its timeout late still times out.
        let impatient = HTTPClient(options: .init(connectTimeoutMilliseconds: 10_000, totalTimeoutMilliseconds: 1_000))
        let error = await #expect(throws: HTTPError.self) {
            _ = try await impatient.send(HTTPRequest(method: .get, url: self.server.baseURL + "/slow/60000"))
        }
        #expect(error?.code == .timeout)
        #expect(error?.mayHaveReachedServer == true)
    }

    @Test func refusedConnectionIsTypedAndSafeToRetry() async throws {
        let refusing = try RefusingPort()
        let port = refusing.port
        let error = await #expect(throws: HTTPError.self) {
            _ = try await self.client.send(HTTPRequest(method: .post, url: "http://127.0.0.1:\(port)/", body: [1]))
        }
        withExtendedLifetime(refusing) {}
        #expect(error?.code == .connectFailed)
        #expect(error?.mayHaveReachedServer == false)
    }

    @Test func droppedConnectionIsTyped() async throws {
        let error = await #expect(throws: HTTPError.self) {
            _ = try await self.client.send(HTTPRequest(method: .get, url: self.server.baseURL + "/drop"))
        }
        #expect(error?.code == .connectionLost)
    }

    @Test func oversizedAnswerIsRefused() async throws {
        let error = await #expect(throws: HTTPError.self) {
            _ = try await self.client.send(HTTPRequest(method: .get, url: self.server.baseURL + "/big/\(2 << 20)"))
        }
        #expect(error?.code == .responseTooLarge)
        let small = try await client.send(HTTPRequest(method: .get, url: server.baseURL + "/big/1000"))
        #expect(small.body.count == 1000)
    }

    @Test func manyTransfersRunSideBySide() async throws {
        // The gate answers none of these until all are open at once. A client that ran each transfer on
        // a thread of its own never had more than ~46 in flight (BENCHMARKS.md): it would get 504s.
        let count = 200
        let patient = HTTPClient(options: .init(connectTimeoutMilliseconds: 60_000, totalTimeoutMilliseconds: 300_000))
        let url = server.baseURL + "/gate/\(count)/\(UUID().uuidString)/120000"
        let answers = try await withThrowingTaskGroup(of: HTTPResponse.self) { group in
            for _ in 0..<count {
                group.addTask { try await patient.send(HTTPRequest(method: .get, url: url)) }
            }
            return try await group.reduce(into: [HTTPResponse]()) { $0.append($1) }
        }
        #expect(answers.count == count)
        let refused = answers.filter { $0.status != 200 }.count
        let reason = answers.first { $0.status != 200 }.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
        #expect(refused == 0, "the fixture's gate: \(reason)")
    }

    @Test func timeoutsArePerTransfer() async throws {
        // Side by side on the one libcurl thread: a 1 s deadline ends its own transfer, not the other's.
        let impatient = HTTPClient(options: .init(connectTimeoutMilliseconds: 10_000, totalTimeoutMilliseconds: 1_000))
        let (client, url) = (client, server.baseURL)
        async let slow = client.send(HTTPRequest(method: .get, url: url + "/slow/3000"))
        let error = await #expect(throws: HTTPError.self) {
            _ = try await impatient.send(HTTPRequest(method: .get, url: url + "/slow/60000"))
        }
        #expect(error?.code == .timeout)
        let answer = try await slow
        #expect(answer.status == 200)
        #expect(String(decoding: answer.body, as: UTF8.self) == "slow")
    }

    @Test func oversizedAnswerFailsOnlyItsOwnTransfer() async throws {
        let (client, url) = (client, server.baseURL)
        let small = Task { try await client.send(HTTPRequest(method: .get, url: url + "/big/1000")) }
        let big = Task { try await client.send(HTTPRequest(method: .get, url: url + "/big/\(2 << 20)")) }
        let error = await #expect(throws: HTTPError.self) { _ = try await big.value }
        #expect(error?.code == .responseTooLarge)
        #expect(try await small.value.body.count == 1000)
    }

    @Test func sendBlockingWaitsForTheAnswer() throws {
        let response = try client.sendBlocking(HTTPRequest(method: .post, url: server.baseURL + "/echo", body: Array("hi".utf8)))
        #expect(response.status == 200)
        #expect(try JSON(parsing: response.body)["body"]?.stringValue == "hi")
        let error = #expect(throws: HTTPError.self) {
            _ = try self.client.sendBlocking(HTTPRequest(method: .get, url: self.server.baseURL + "/big/\(2 << 20)"))
        }
        #expect(error?.code == .responseTooLarge)
    }

    @Test func manyClientsShareOneLibcurlThread() async throws {
        for _ in 0..<20 {
            let response = try await HTTPClient().send(HTTPRequest(method: .get, url: server.baseURL + "/status/200"))
            #expect(response.status == 200)
        }
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let names = tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
        #expect(names.filter { $0 == "lgk-curl\n" }.count == 1, "threads: \(names.sorted())")
    }

    @Test func connectionsAreReused() async throws {
        let first = try await client.send(HTTPRequest(method: .get, url: server.baseURL + "/conn"))
        let second = try await client.send(HTTPRequest(method: .get, url: server.baseURL + "/conn"))
        #expect(first.body == second.body, "the same client port means the same kept-alive connection")
    }

    @Test func eachClientKeepsItsOwnConnections() async throws {
        // One libcurl thread serves every client, but a new client does not pick up another's idle
        // connection: the OKX retry tests count a dropped connection as one failed attempt.
        let first = try await client.send(HTTPRequest(method: .get, url: server.baseURL + "/conn"))
        let other = try await HTTPClient().send(HTTPRequest(method: .get, url: server.baseURL + "/conn"))
        let again = try await client.send(HTTPRequest(method: .get, url: server.baseURL + "/conn"))
        #expect(first.body != other.body)
        #expect(first.body == again.body)
    }

    @Test func errorsNeverCarryTheURLPathOrCredentials() async throws {
        let refusing = try RefusingPort()
        let port = refusing.port
        let error = await #expect(throws: HTTPError.self) {
            _ = try await self.client.send(HTTPRequest(method: .get, url: "http://user:secret@127.0.0.1:\(port)/v3/APIKEY123"))
        }
        withExtendedLifetime(refusing) {}
        #expect(error?.message.contains("APIKEY123") == false)
        #expect(error?.message.contains("secret") == false)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
    }

    @Test func unsupportedSchemeIsInvalidRequest() async throws {
        let error = await #expect(throws: HTTPError.self) {
            _ = try await self.client.send(HTTPRequest(method: .get, url: "file:///etc/passwd"))
        }
        #expect(error?.code == .invalidRequest)
    }
}

/// A loopback port bound but never listening, so connections to it are refused; held until released,
/// so that a server a parallel test starts cannot be given the same port meanwhile (a closed probe
/// port could be).
final class RefusingPort {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPError(.transport, "cannot open a probe socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            close(fd)
            throw HTTPError(.transport, "cannot bind a probe socket")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
