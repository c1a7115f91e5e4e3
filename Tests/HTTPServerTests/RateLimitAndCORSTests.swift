import Foundation
import Testing
import Wire
@testable import HTTPServer

/// The public listener's options: a per-client request rate and CORS for listed origins only.
@Suite(.serialized) struct RateLimitAndCORSTests {
    let client = HTTPClient(options: .init(connectTimeoutMilliseconds: 10_000, totalTimeoutMilliseconds: 60_000))

    @Test func aClientOverItsRateGets429WithRetryAfter() async throws {
        // The limiter's clock stands still: however slow the machine, no token comes back between requests.
        try await withServer(options: HTTPServer.Options(rateLimitPerMinute: 3), rateLimitClock: { 1_000_000 }) { server in
            let url = "http://127.0.0.1:\(server.port)/ok"
            for _ in 0..<3 {
                let response = try await client.send(HTTPRequest(method: .get, url: url))
                #expect(response.status == 200)
            }
            let limited = try await client.send(HTTPRequest(method: .get, url: url))
            #expect(limited.status == 429)
            // One request per 60/3 s.
            let wait = try #require(limited.headers["retry-after"].flatMap { Int($0) })
            #expect(wait == 20)
            let error = try JSON(parsing: limited.body)
            #expect(error["error"]?["code"] == "RATE_LIMITED")
            #expect(error["error"]?["hint"] == .string("retry after \(wait) s"))
        }
    }

    @Test func withoutTheOptionThereIsNoLimit() async throws {
        try await withServer { server in
            for _ in 0..<30 {
                let response = try await client.send(HTTPRequest(method: .get, url: "http://127.0.0.1:\(server.port)/ok"))
                #expect(response.status == 200)
            }
        }
    }

    @Test func theBucketRefillsAtTheRateAndKeysByAddressNotPort() {
        let limiter = HTTPRateLimiter(perMinute: 60)
        let client = HTTPRateLimiter.client(of: "10.0.0.1:5555")
        #expect(client == "10.0.0.1")
        #expect(HTTPRateLimiter.client(of: "[::1]:443") == "[::1]")
        for _ in 0..<60 { #expect(limiter.take(client, nowMs: 0) == nil) }
        #expect(limiter.take(HTTPRateLimiter.client(of: "10.0.0.1:6666"), nowMs: 0) == 1)
        #expect(limiter.take("10.0.0.2", nowMs: 0) == nil)  // another client has its own allowance
        #expect(limiter.take(client, nowMs: 999) == 1)
        #expect(limiter.take(client, nowMs: 1_000) == nil)  // one token a second
        #expect(limiter.take(client, nowMs: 1_000) == 1)
    }

    @Test func listedOriginsGetCORSHeadersOthersNone() async throws {
        let options = HTTPServer.Options(cors: HTTPCORSPolicy(allowedOrigins: ["https://app.example"]))
        try await withServer(options: options) { server in
            let url = "http://127.0.0.1:\(server.port)/ok"
            let listed = try await client.send(HTTPRequest(method: .get, url: url, headers: [("Origin", "https://app.example")]))
            #expect(listed.status == 200)
            #expect(listed.headers["access-control-allow-origin"] == "https://app.example")
            #expect(listed.headers["vary"] == "Origin")
            #expect(listed.headers["access-control-allow-credentials"] == nil)
            for origin in ["https://evil.example", "https://app.example.evil", "http://app.example", "null"] {
                let other = try await client.send(HTTPRequest(method: .get, url: url, headers: [("Origin", origin)]))
                #expect(other.status == 200)
                #expect(other.headers["access-control-allow-origin"] == nil, "\(origin)")
            }
        }
    }

    @Test func preflightIsAnsweredForListedOriginsAnd403ForOthers() async throws {
        let options = HTTPServer.Options(cors: HTTPCORSPolicy(allowedOrigins: ["https://app.example"]))
        try await withServer(options: options) { server in
            // Raw: Wire's client has no OPTIONS method (the keeper never sends one).
            func preflight(_ origin: String) async throws -> String {
                try await offPool { try RawClient.exchange(port: server.port, "OPTIONS /echo HTTP/1.1\r\nHost: a\r\nOrigin: \(origin)\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n") }
            }
            let listed = try await preflight("https://app.example")
            #expect(RawClient.status(listed) == 204)
            #expect(listed.contains("\r\nAccess-Control-Allow-Origin: https://app.example\r\n"))
            #expect(listed.contains("\r\nAccess-Control-Allow-Methods: GET, POST, DELETE\r\n"))
            #expect(listed.contains("\r\nAccess-Control-Allow-Headers: Content-Type\r\n"))
            #expect(listed.contains("\r\nVary: Origin\r\n"))
            let other = try await preflight("https://evil.example")
            #expect(RawClient.status(other) == 403)
            #expect(!other.contains("Access-Control-Allow-Origin"))
            #expect(other.contains("\"code\":\"CORS_ORIGIN_REFUSED\""))
        }
    }
}
