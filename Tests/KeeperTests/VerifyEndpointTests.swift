import Foundation
import TestSupport
import HTTPServer
import Synchronization
import Testing
import Wire
@testable import Keeper

/// `POST /api/verify` end to end over loopback, with a test verifier in place of the real one.
@Suite(.serialized) struct VerifyEndpointTests {
    static let secretText = "endpoint-test-secret-0123456789"
    let secret = try! APISecret(Array(secretText.utf8))
    let client = HTTPClient(options: .init(connectTimeoutMilliseconds: 10_000, totalTimeoutMilliseconds: 60_000))

    /// Records what the verifier saw and answers with a seed-002-shaped body.
    final class Recorder: Sendable {
        let seen = Mutex<[VerifyRequest]>([])
        let echoSecret: Bool
        init(echoSecret: Bool = false) { self.echoSecret = echoSecret }

        func verify(_ request: VerifyRequest) async -> (status: Int, body: JSON) {
            seen.withLock { $0.append(request) }
            var meta: JSON = ["exchange": "okx", "ordId": .string(request.ordId), "instId": .string(request.instId),
                              "requestId": request.requestId.map { .string($0) } ?? .null]
            if echoSecret, case .inline(let credentials) = request.key, case .object(var members) = meta {
                members["leak"] = .string(credentials.secretKey)
                meta = .object(members)
            }
            return (200, ["meta": meta, "error": .null])
        }
    }

    func withVerifyServer(_ recorder: Recorder, now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
                          inlineCredentials: Bool = true, _ body: (HTTPServer) async throws -> Void) async throws {
        var router = HTTPRouter()
        let authenticator = APIAuthenticator(secret: secret, now: now)
        VerifyEndpoint.register(in: &router, authenticator: authenticator, inlineCredentials: inlineCredentials) { await recorder.verify($0) }
        var options = HTTPServer.Options()
        options.listen = try HTTPListenAddress(parsing: "127.0.0.1:0")
        let server = HTTPServer(router: router, options: options)
        try server.start()
        do {
            try await body(server)
            await server.stop(grace: .seconds(2))
        } catch {
            await server.stop(grace: .seconds(2))
            throw error
        }
    }

    func post(_ server: HTTPServer, body: String, timestamp: Int64 = Int64(Date().timeIntervalSince1970),
              signature: String? = nil, headers extra: [(name: String, value: String)] = [("Content-Type", "application/json")]) async throws -> HTTPResponse {
        let bytes = Array(body.utf8)
        let signature = signature ?? APIAuthenticator.signature(secret: secret, timestamp: String(timestamp), body: bytes)
        return try await client.send(HTTPRequest(method: .post, url: "http://127.0.0.1:\(server.port)/api/verify",
                                                 headers: extra + [("X-Timestamp", String(timestamp)), ("X-Signature", signature)], body: bytes))
    }

    func errorCode(_ response: HTTPResponse) throws -> String? { try JSON(parsing: response.body)["error"]?["code"]?.stringValue }

    @Test func aSignedRequestReachesTheVerifierTyped() async throws {
        let recorder = Recorder()
        try await withVerifyServer(recorder) { server in
            let response = try await post(server, body: VerifyRequestTests.seedExample)
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["cache-control"] == "no-store")
            let json = try JSON(parsing: response.body)
            #expect(json["meta"]?["ordId"] == "2940071038556348417")
            #expect(json["meta"]?["requestId"] == "uuid-1234")
            let seen = recorder.seen.withLock { $0 }
            #expect(seen.count == 1)
            #expect(seen.first?.instId == "BTC-USDT-SWAP")
            if case .inline(let credentials)? = seen.first?.key { #expect(credentials.passphrase == "Test-Passphrase-1!") } else {
                Issue.record("not an inline key")
            }
        }
    }

    @Test func badAuthIs401WithAJSONBodyAndNeverReachesTheVerifier() async throws {
        let recorder = Recorder()
        // Read the clock at each request, with a minute's margin past the 300 s window: a slow
        // machine must not carry a timestamp back inside it.
        var now: Int64 { Int64(Date().timeIntervalSince1970) }
        try await withVerifyServer(recorder) { server in
            let body = VerifyRequestTests.seedExample
            let cases: [(String, HTTPResponse)] = [
                ("expired", try await post(server, body: body, timestamp: now - 360)),
                ("future", try await post(server, body: body, timestamp: now + 360)),
                ("bad", try await post(server, body: body, signature: String(repeating: "ab", count: 32))),
                ("wrong secret", try await post(server, body: body, signature: APIAuthenticator.signature(
                    secret: try APISecret(Array("another-secret-0123456789".utf8)), timestamp: String(now), body: Array(body.utf8)))),
                ("missing", try await client.send(HTTPRequest(method: .post, url: "http://127.0.0.1:\(server.port)/api/verify", body: Array(body.utf8)))),
            ]
            for (name, response) in cases {
                #expect(response.status == 401, "\(name)")
                #expect(try errorCode(response) == "UNAUTHORIZED", "\(name)")
                #expect(response.headers["www-authenticate"] == "LGK-HMAC-SHA256")
                #expect(!String(decoding: response.body, as: UTF8.self).contains("TEST-SECRET-KEY"))
            }
            #expect(recorder.seen.withLock { $0.isEmpty })
        }
    }

    @Test func aReplayIsRefused() async throws {
        let recorder = Recorder()
        try await withVerifyServer(recorder) { server in
            let now = Int64(Date().timeIntervalSince1970)
            let first = try await post(server, body: VerifyRequestTests.seedExample, timestamp: now)
            #expect(first.status == 200)
            let replay = try await post(server, body: VerifyRequestTests.seedExample, timestamp: now)
            #expect(replay.status == 401)
            let message = try JSON(parsing: replay.body)["error"]?["msg"]?.stringValue
            #expect(message == APIAuthenticator.Refusal.replayed.message)
            #expect(recorder.seen.withLock { $0.count } == 1)
        }
    }

    @Test func malformedBodiesAre400AndEchoNoCredential() async throws {
        let recorder = Recorder()
        try await withVerifyServer(recorder) { server in
            let missingPassphrase = #"{"ordId":"1","instId":"BTC-USDT-SWAP","keyMode":"inline","apiKey":"leaky-api-key-1","secretKey":"leaky-secret-key-2"}"#
            for body in ["not json", "{}", missingPassphrase, #"{"ordId":"1","instId":"BTC-USDT-SWAP","keyMode":"inline","apiKey":"leaky-api-key-1","secretKey":{"v":"leaky-secret-key-2"},"passphrase":"p"}"#] {
                let response = try await post(server, body: body)
                #expect(response.status == 400, "\(body)")
                #expect(try errorCode(response) == "BAD_REQUEST")
                let text = String(decoding: response.body, as: UTF8.self)
                #expect(!text.contains("leaky"), "\(text)")
            }
            #expect(recorder.seen.withLock { $0.isEmpty })
        }
    }

    @Test func aVerifierThatEchoesASecretIsWithheld() async throws {
        try await withVerifyServer(Recorder(echoSecret: true)) { server in
            let response = try await post(server, body: VerifyRequestTests.seedExample)
            #expect(response.status == 500)
            #expect(!String(decoding: response.body, as: UTF8.self).contains("TEST-SECRET-KEY-abcdef"))
        }
    }

    @Test func wrongMethodAndMediaType() async throws {
        try await withVerifyServer(Recorder()) { server in
            let get = try await client.send(HTTPRequest(method: .get, url: "http://127.0.0.1:\(server.port)/api/verify"))
            #expect(get.status == 405)
            #expect(get.headers["allow"] == "POST")
            let first = Int64(Date().timeIntervalSince1970)
            let text = try await post(server, body: VerifyRequestTests.seedExample, timestamp: first, headers: [("Content-Type", "text/plain")])
            #expect(text.status == 415)
            // Another timestamp than the first's (not "now − 1", which equals it once a second has
            // passed): the refused request above already spent its signature.
            let withCharset = try await post(server, body: VerifyRequestTests.seedExample, timestamp: first - 1,
                                             headers: [("Content-Type", "application/json; charset=utf-8")])
            #expect(withCharset.status == 200)
        }
    }

    @Test func theReadmeSigningRecipeMatches() async throws {
        // README: printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$LGK_API_SECRET" -r | cut -d' ' -f1
        let openssl = ["/usr/bin/openssl", "/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let openssl else { return }
        let body = VerifyRequestTests.seedExample
        let digest = try Subprocess.run(openssl, ["dgst", "-sha256", "-hmac", Self.secretText, "-r"], input: Data("1712345678.\(body)".utf8))
        let text = String(decoding: digest.stdout, as: UTF8.self)
        #expect(text.split(separator: " ").first.map(String.init) == APIAuthenticator.signature(secret: secret, timestamp: "1712345678", body: Array(body.utf8)))
    }

    /// `http.listen` not loopback (plain HTTP beyond the machine): inline keys are refused before the
    /// verifier sees them; a vault alias still works.
    @Test func inlineCredentialsAreRefusedWhenTheListenerIsNotLoopback() async throws {
        let recorder = Recorder()
        try await withVerifyServer(recorder, inlineCredentials: false) { server in
            let inline = try await post(server, body: #"{"ordId":"1","instId":"BTC-USDT-SWAP","keyMode":"inline","apiKey":"k-1","secretKey":"s-2","passphrase":"p-3"}"#)
            #expect(inline.status == 403)
            let error = try JSON(parsing: inline.body)["error"]
            #expect(error?["code"] == "INLINE_KEY_REFUSED")
            #expect(error?["hint"]?.stringValue?.contains("keyMode \"alias\"") == true)
            #expect(recorder.seen.withLock { $0.isEmpty })
            let alias = try await post(server, body: #"{"ordId":"1","instId":"BTC-USDT-SWAP","keyMode":"alias","keyAlias":"main"}"#)
            #expect(alias.status == 200)
            #expect(recorder.seen.withLock { $0.count } == 1)
        }
    }
}
