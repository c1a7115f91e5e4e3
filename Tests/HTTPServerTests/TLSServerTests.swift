#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing
import Wire
@testable import HTTPServer

/// HTTPS on the server: a self-signed P-256 certificate for IP 127.0.0.1 made by the `openssl`
/// command at test time, requested through Wire's libcurl client trusting that certificate alone.
@Suite(.serialized) struct TLSServerTests {
    /// A temporary directory with `cert.pem` and a 0600 `key.pem` (`openssl req -x509`), plus `other-key.pem`.
    final class Files: Sendable {
        let directory: String
        var cert: String { directory + "/cert.pem" }
        var key: String { directory + "/key.pem" }
        var otherKey: String { directory + "/other-key.pem" }

        init() throws {
            directory = NSTemporaryDirectory() + "lgk-tls-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                              "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem", "-days", "2",
                              "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
            try Self.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", directory + "/other-key.pem"])
            chmod(directory + "/key.pem", 0o600)
            chmod(directory + "/other-key.pem", 0o600)
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }

        static func openssl(_ arguments: [String]) throws {
            guard try Subprocess.run("/usr/bin/openssl", arguments).termination == .exited(0) else { throw RawClient.Failure("openssl \(arguments.first ?? "") failed") }
        }

        func identity() throws -> TLSIdentity { try TLSIdentity(certificateFile: cert, keyFile: key) }
    }

    func tlsOptions(_ files: Files, requestTimeoutMs: Int = 60_000) throws -> HTTPServer.Options {
        var options = HTTPServer.Options(requestTimeoutMs: requestTimeoutMs)
        options.tls = try files.identity()
        return options
    }

    @Test func servesHTTPSVerifiedAgainstItsCertificate() async throws {
        let files = try Files()
        try await withServer(options: try tlsOptions(files)) { server in
            let client = HTTPClient(options: .init(connectTimeoutMilliseconds: 10_000, totalTimeoutMilliseconds: 60_000, caFile: files.cert))
            let ok = try await client.send(HTTPRequest(method: .get, url: "https://127.0.0.1:\(server.port)/ok"))
            #expect(ok.status == 200)
            #expect(ok.body == Array("ok".utf8))
            // A body of several TLS records (16 KiB each), both ways, within the default 64 KiB body limit.
            let body = (0..<60_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let echo = try await client.send(HTTPRequest(method: .post, url: "https://127.0.0.1:\(server.port)/echo", body: body))
            #expect(echo.status == 200)
            #expect(echo.body.count == body.count && echo.body == body, "the echoed body differs")
            // Without the certificate as CA the client refuses the server: verification is on.
            let untrusting = HTTPClient(options: .init(connectTimeoutMilliseconds: 10_000, totalTimeoutMilliseconds: 60_000))
            await #expect(throws: HTTPError.self) { try await untrusting.send(HTTPRequest(method: .get, url: "https://127.0.0.1:\(server.port)/ok")) }
        }
    }

    @Test func plainHTTPToTheTLSPortGetsNoHTTPAnswer() async throws {
        let files = try Files()
        // A 60 s deadline and a client that waits 120 s: closed at once is far below both, even on a loaded machine.
        try await withServer(options: try tlsOptions(files, requestTimeoutMs: 60_000)) { server in
            let started = Date()
            let answer = try await offPool { try RawClient.exchange(port: server.port, "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n", timeout: 120) }
            #expect(RawClient.status(answer) == nil)
            #expect(!answer.contains("ok"))
            #expect(Date().timeIntervalSince(started) < 30, "the server closes at once, not at the deadline")
        }
    }

    @Test func aSilentClientIsClosedAtTheDeadlineAndDoesNotHoldStop() async throws {
        let files = try Files()
        var options = try tlsOptions(files, requestTimeoutMs: 1_000)
        options.listen = try HTTPListenAddress(parsing: "127.0.0.1:0")
        let server = HTTPServer(router: TestRoutes.router(), options: options)
        try server.start()
        let port = server.port
        // Closed by the server once the handshake deadline passes.
        let started = Date()
        let silent = try await offPool { () throws -> [UInt8] in try RawClient(port: port).readAll(timeout: 60) }
        #expect(silent.isEmpty)
        // Closed by the server (1 s deadline), not by the client giving up after 60 s; generous for a loaded machine.
        #expect(Date().timeIntervalSince(started) < 30)
        await server.stop(grace: .seconds(2))

        // A silent client on a server with a long deadline, then stop: the handshake gives up for the stop,
        // without waiting for the 60 s deadline or the 30 s grace (bounds far apart, for a loaded machine).
        var patient = try tlsOptions(files, requestTimeoutMs: 60_000)
        patient.listen = try HTTPListenAddress(parsing: "127.0.0.1:0")
        let stopping = HTTPServer(router: TestRoutes.router(), options: patient)
        try stopping.start()
        let held = try RawClient(port: stopping.port)
        try await Task.sleep(for: .milliseconds(200))
        let stopStarted = Date()
        await stopping.stop(grace: .seconds(30))
        #expect(Date().timeIntervalSince(stopStarted) < 15)
        #expect(stopping.activeConnections == 0)
        _ = held
    }

    @Test func aKeyFileOpenToOthersIsRefused() throws {
        let files = try Files()
        chmod(files.key, 0o644)
        #expect(throws: HTTPServerError(.badTLS, "the TLS key file \(files.key) has mode 644, open to group or others: run `chmod 600 \(files.key)`")) {
            try files.identity()
        }
    }

    @Test func aKeyThatDoesNotMatchTheCertificateIsRefused() throws {
        let files = try Files()
        let error = #expect(throws: HTTPServerError.self) { try TLSIdentity(certificateFile: files.cert, keyFile: files.otherKey) }
        #expect(error?.code == .badTLS)
        #expect(error?.message == "the TLS key file \(files.otherKey) does not match the certificate in \(files.cert): give the private key the certificate was issued for")
    }

    @Test func aMissingOrNonPEMFileIsNamed() throws {
        let files = try Files()
        let missing = #expect(throws: HTTPServerError.self) { try TLSIdentity(certificateFile: files.directory + "/nope.pem", keyFile: files.key) }
        #expect(missing?.message.hasPrefix("the TLS certificate file \(files.directory)/nope.pem holds no usable PEM certificate chain") == true)
        // The certificate where the key should be: a file with no private key in it.
        try FileManager.default.copyItem(atPath: files.cert, toPath: files.directory + "/cert-as-key.pem")
        chmod(files.directory + "/cert-as-key.pem", 0o600)
        let notKey = #expect(throws: HTTPServerError.self) { try TLSIdentity(certificateFile: files.cert, keyFile: files.directory + "/cert-as-key.pem") }
        #expect(notKey?.message.hasPrefix("the TLS key file \(files.directory)/cert-as-key.pem holds no PEM private key") == true)
    }
}
