import Foundation
import Testing
import TestSupport
import Wire

/// `lg-keeper run` with `http.publicListen`: a second listener, HTTPS with the configured certificate,
/// that serves nothing of the operations surface, while `http.listen` still does; and the start rule
/// (a non-loopback public bind without TLS exits 78 with one line).
@Suite(.serialized) struct PublicListenerRunTests {
    /// A self-signed P-256 certificate for IP 127.0.0.1 and its 0600 key, made by `openssl req -x509`.
    static func certificate(in directory: String) throws -> (cert: String, key: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                             "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem", "-days", "2",
                             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        guard try Subprocess.run("/usr/bin/openssl", arguments).termination == .exited(0) else { throw ScenarioError(description: "openssl req failed") }
        guard chmod(directory + "/key.pem", 0o600) == 0 else { throw ScenarioError(description: "chmod failed") }
        return (directory + "/cert.pem", directory + "/key.pem")
    }

    /// The address of the listener whose "http listening" line names `listener`.
    static func address(_ keeper: KeeperBinary.Running, listener: String) async throws -> (address: String, line: String) {
        for _ in 0..<600 {  // up to a minute: a loaded machine starts the keeper slowly
            if let line = keeper.stderr.split(separator: "\n").first(where: { $0.contains("msg=\"http listening\"") && $0.contains("listener=\(listener) ") }),
               let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") })?.dropFirst("address=".count) {
                return (String(address), String(line))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ScenarioError(description: "the keeper never logged its \(listener) listener")
    }

    @Test(.timeLimit(.minutes(4))) func thePublicListenerServesNoneOfTheOperationsSurface() async throws {
        let tlsDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-public-tls-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: tlsDirectory) }
        let (cert, key) = try Self.certificate(in: tlsDirectory)
        let harness = try SettlementHarness(sections: [
            "http": ["listen": "127.0.0.1:0", "apiSecretEnv": "LGK_API_SECRET", "publicListen": "127.0.0.1:0",
                     "publicOrigins": ["https://app.example"], "tlsCertFile": .string(cert), "tlsKeyFile": .string(key)],
            "console": ["enabled": true],
        ], environment: ["LGK_API_SECRET": "public-listener-test-secret-0123456"])
        defer { harness.stop() }

        // The start rule first: a public bind beyond loopback without TLS never starts.
        let plain = try harness.writeConfig("plain-public.json", ["http": ["listen": "127.0.0.1:0", "publicListen": "0.0.0.0:0"]])
        let refused = try KeeperBinary.run(["run", "--config", plain], environment: harness.environment)
        let last = refused.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(refused.status == 78, "exit \(refused.status): \(refused.stderr.suffix(1_500))")
        #expect(last.contains("http.publicListen 0.0.0.0:0 is not loopback and would serve traders' keys over plain HTTP: set http.tlsCertFile and http.tlsKeyFile, or bind 127.0.0.1 behind a TLS-terminating proxy"), "\(last)")

        let keeper = try harness.startKeeper()
        do {
            let operations = try await Self.address(keeper, listener: "operations")
            let publicListener = try await Self.address(keeper, listener: "public")
            #expect(publicListener.line.contains("tls=true"), "\(publicListener.line)")
            #expect(operations.line.contains("tls=false"), "\(operations.line)")
            let client = HTTPClient(options: .init(connectTimeoutMilliseconds: 10_000, totalTimeoutMilliseconds: 60_000, caFile: cert))
            let publicBase = "https://\(publicListener.address)"
            let operationsBase = "http://\(operations.address)"
            for (method, path) in [(HTTPRequest.Method.get, "/metrics"), (.get, "/readyz"), (.get, "/healthz"), (.get, "/console/"),
                                   (.get, "/console/login"), (.post, "/api/verify")] {
                let there = try await client.send(HTTPRequest(method: method, url: publicBase + path, headers: [("Origin", "https://app.example")]))
                #expect(there.status == 404, "\(path) on the public listener: \(there.status)")
                #expect(try JSON(parsing: there.body)["error"]?["code"] == "NOT_FOUND")
                #expect(there.headers["access-control-allow-origin"] == "https://app.example")
                let here = try await client.send(HTTPRequest(method: method, url: operationsBase + path))
                #expect(here.status != 404, "\(path) on http.listen: \(here.status)")
            }
            // Plain HTTP to the TLS port gets no HTTP answer.
            let plainClient = HTTPClient(options: .init(connectTimeoutMilliseconds: 2_000, totalTimeoutMilliseconds: 5_000))
            await #expect(throws: HTTPError.self) { try await plainClient.send(HTTPRequest(method: .get, url: "http://\(publicListener.address)/metrics")) }
            let stopped = keeper.terminate()
            #expect(stopped.status == 0, "both listeners stop on SIGTERM: \(stopped.stderr.suffix(1_500))")
            #expect(stopped.stderr.components(separatedBy: "msg=\"http stopped\"").count == 3, "two listeners stopped")
        } catch {
            Issue.record("lg-keeper run log: \(keeper.terminate().stderr.suffix(4_000))")
            throw error
        }
    }
}
