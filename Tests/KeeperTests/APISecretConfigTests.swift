import HTTPServer
import Testing
@testable import Indexer
@testable import Keeper

/// The keeper's `POST /api/verify` secret: named by `http.apiSecretEnv`, read from the environment.
struct APISecretConfigTests {
    @Test func theSecretComesFromTheNamedEnvironmentVariable() throws {
        let config = try Config.parse(Array(#"{"chain":{"rpcUrls":["http://127.0.0.1:8545"],"chainId":1,"contract":"0x0000000000000000000000000000000000000001"},"http":{"apiSecretEnv":"LGK_API_SECRET"}}"#.utf8))
        let secret = try APISecret.from(config.http, environment: ["LGK_API_SECRET": "a-long-enough-test-secret"])
        #expect("\(secret)" == "APISecret(redacted)")
        #expect(throws: KeeperError.self) { try APISecret.from(config.http, environment: [:]) }
        let short = #expect(throws: KeeperError.self) { try APISecret.from(config.http, environment: ["LGK_API_SECRET": "short"]) }
        #expect(short?.code == .config)
        #expect(short?.message == "LGK_API_SECRET: the API secret must be at least 16 bytes")
        let noEnv = try Config.parse(Array(#"{"chain":{"rpcUrls":["http://127.0.0.1:8545"],"chainId":1,"contract":"0x0000000000000000000000000000000000000001"}}"#.utf8))
        #expect(throws: KeeperError.self) { try APISecret.from(noEnv.http, environment: ["LGK_API_SECRET": "a-long-enough-test-secret"]) }
        #expect(try HTTPServer.options(for: noEnv.http).listen == .default)
    }

    @Test func aBadListenAddressIsAConfigErrorNamingTheKey() throws {
        var config = try Config.parse(Array(#"{"chain":{"rpcUrls":["http://127.0.0.1:8545"],"chainId":1,"contract":"0x0000000000000000000000000000000000000001"}}"#.utf8))
        config.http.listen = "example.com:80"
        let error = #expect(throws: KeeperError.self) { try HTTPServer.options(for: config.http) }
        #expect(error?.code == .config)
        #expect(error?.message == #"http.listen: "example.com" is not an IPv4 address (write IPv6 as [::1]:PORT)"#)
    }

    @Test func theServerErrorsMapToTheKeeperCodes() {
        #expect(KeeperError(HTTPServerError(.unavailable, "cannot listen on 127.0.0.1:1: Address already in use")).code == .unavailable)
        #expect(KeeperError(HTTPServerError(.alreadyStarted, "x")).code == .software)
        #expect(KeeperError(HTTPServerError(.weakSecret, "x")).code == .config)
    }
}
