import Foundation
import HTTPServer
import Indexer
import Testing
@testable import Keeper

/// `http.publicListen` and its companions: read strictly, paths against the file's directory, and the
/// start rule — never plain HTTP beyond the machine.
@Suite struct PublicListenerConfigTests {
    static let chain = ConfigPathsTests.chain

    static func http(_ members: String) throws(KeeperError) -> HTTPConfig {
        try Config.parse(Array("{\(chain), \"http\": {\(members)}}".utf8)).http
    }

    static func refusal(_ members: String) -> String? {
        do throws(KeeperError) {
            _ = try HTTPServer.publicOptions(for: try http(members))
            return nil
        } catch { return error.message }
    }

    @Test func offByDefault() throws {
        let config = try Self.http("")
        #expect(config.publicListen == nil)
        #expect(config.publicOrigins == [])
        #expect(config.publicRateLimitPerMinute == 120)
        #expect(try HTTPServer.publicOptions(for: config) == nil)
    }

    @Test func loopbackWithoutTLSGetsTheRateLimitAndCORS() throws {
        let options = try #require(try HTTPServer.publicOptions(for: try Self.http(#""publicListen": "127.0.0.1:9465", "publicOrigins": ["https://app.example"], "publicRateLimitPerMinute": 30"#)))
        #expect(options.listen.description == "127.0.0.1:9465")
        #expect(options.tls == nil)
        #expect(options.rateLimitPerMinute == 30)
        #expect(options.cors?.allowedOrigins == ["https://app.example"])
        #expect(options.name == "public")
    }

    @Test func aNonLoopbackBindWithoutTLSIsRefused() {
        for address in ["0.0.0.0:8443", "192.0.2.7:443", "[::]:443"] {
            #expect(Self.refusal("\"publicListen\": \"\(address)\"")?.hasSuffix(
                "is not loopback and would serve traders' keys over plain HTTP: set http.tlsCertFile and http.tlsKeyFile, or bind 127.0.0.1 behind a TLS-terminating proxy") == true, "\(address)")
        }
    }

    @Test func tlsFilesComeInPairsAndServeThePublicListener() {
        #expect(Self.refusal(#""publicListen": "127.0.0.1:9465", "tlsCertFile": "cert.pem""#)
                == "http.tlsCertFile and http.tlsKeyFile go together: set both (the certificate chain and its 0600 key) or neither")
        #expect(Self.refusal(#""tlsCertFile": "cert.pem", "tlsKeyFile": "key.pem""#)
                == "http.tlsCertFile and http.tlsKeyFile serve http.publicListen: set http.publicListen, or remove them")
        // Missing files: the server's one line naming the file.
        #expect(Self.refusal(#""publicListen": "0.0.0.0:8443", "tlsCertFile": "/nonexistent/cert.pem", "tlsKeyFile": "/nonexistent/key.pem""#)?
                .hasPrefix("the TLS certificate file /nonexistent/cert.pem holds no usable PEM certificate chain") == true)
    }

    @Test func badAddressesAndOriginsAreNamed() throws {
        #expect(throws: KeeperError(.config, "http.publicListen must be HOST:PORT, not \"example.com\"")) { try Self.http(#""publicListen": "example.com""#) }
        #expect(Self.refusal(#""publicListen": "example.com:443""#) == "http.publicListen: \"example.com\" is not an IPv4 address (write IPv6 as [::1]:PORT)")
        for origin in ["https://app.example/", "app.example", "*", "https://app.example/path", "https://"] {
            #expect(throws: KeeperError.self, "\(origin)") { try Self.http("\"publicOrigins\": [\"\(origin)\"]") }
        }
        let origins = try Self.http(#""publicOrigins": ["https://app.example", "http://localhost:5173"]"#).publicOrigins
        #expect(origins.count == 2)
    }

    @Test func tlsPathsAreReadAgainstTheConfigurationsDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-public-\(UUID().uuidString)/etc")
        let path = try ConfigPathsTests.write("""
            {\(Self.chain), "http": {"publicListen": "0.0.0.0:8443", "tlsCertFile": "tls/fullchain.pem", "tlsKeyFile": "/srv/tls/privkey.pem"}}
            """, to: directory)
        let config = try Config.load(path: path)
        #expect(config.http.tlsCertFile == "\(directory.path)/tls/fullchain.pem")
        #expect(config.http.tlsKeyFile == "/srv/tls/privkey.pem")
    }
}
