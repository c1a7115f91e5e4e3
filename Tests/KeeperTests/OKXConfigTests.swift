import Foundation
import OKX
import Testing
@testable import Indexer
@testable import Keeper

/// `okx.baseURLs`: each key's region picks its host; `okx.baseURL` stays the www host of older files.
@Suite struct OKXConfigTests {
    static func parse(_ okx: String) throws(KeeperError) -> OKXConfig {
        try Config.parse(ConfigTests.minimal(root: #", "okx": \#(okx)"#)).okx
    }

    static func error(_ okx: String) -> String? {
        do { _ = try parse(okx); return nil } catch { return error.message }
    }

    @Test func defaultsAreOKXsThreeHosts() throws {
        let okx = try Self.parse("{}")
        #expect(okx.baseURLs[.www] == "https://www.okx.com" && okx.baseURLs[.us] == "https://us.okx.com")
        #expect(okx.baseURLs[.eea] == "https://eea.okx.com" && okx.baseURL == "https://www.okx.com")
    }

    @Test func eachRegionCanBeOverriddenAndTheClientFollowsTheKey() throws {
        let okx = try Self.parse(#"{"baseURL": "http://127.0.0.1:9001", "baseURLs": {"us": "http://127.0.0.1:9002"}}"#)
        #expect(okx.baseURLs[.www] == "http://127.0.0.1:9001" && okx.baseURLs[.us] == "http://127.0.0.1:9002")
        #expect(okx.baseURLs[.eea] == "https://eea.okx.com")
        let key = OKXCredentials(apiKey: "k", secretKey: "s", passphrase: "p")
        #expect(okx.client(key.inRegion(.us), simulated: false).configuration.baseURL == "http://127.0.0.1:9002")
        #expect(okx.client(key, simulated: false).configuration.baseURL == "http://127.0.0.1:9001")
    }

    @Test func badHostsAreRefusedWithTheirName() {
        #expect(Self.error(#"{"baseURLs": {"us": "http://example.com"}}"#)?.contains("okx.baseURLs.us must be https://") == true)
        #expect(Self.error(#"{"baseURL": "http://example.com"}"#)?.contains("okx.baseURL must be https://") == true)
        #expect(Self.error(#"{"baseURL": "https://a.example", "baseURLs": {"www": "https://b.example"}}"#)?.contains("not both") == true)
        #expect(Self.error(#"{"baseURLs": {"cn": "https://okx.cn"}}"#)?.contains("cn") == true)
    }
}
