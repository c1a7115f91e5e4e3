import Foundation
import Testing
@testable import Ethereum
@testable import Indexer
@testable import Keeper

/// The configuration keys of issue 14's start-up and health checks: `chain.rpcUrlsEnv`,
/// `signer.minTransactions`, `alerts.rpcDownAfterSeconds`.
struct StartupConfigTests {
    static func parse(chain extra: String = "", root more: String = "", environment: [String: String] = [:]) throws(KeeperError) -> Config {
        try Config.parse(ConfigTests.minimal(chain: extra, root: more), environment: environment)
    }

    static func message(_ body: () throws(KeeperError) -> Config) -> String? {
        do { _ = try body(); return nil } catch { return error.message }
    }

    @Test func defaults() throws {
        let config = try Self.parse()
        #expect(config.signer.minTransactions == 20)
        #expect(config.alerts.rpcDownAfterSeconds == 30)
        #expect(config.chain.rpcUrlsEnv == nil)
        #expect(config.chain.rpcUrls == ["http://127.0.0.1:8545"])
    }

    @Test func environmentURLsComeFirstThenTheFilesAndNeedNoFileList() throws {
        let environment = ["LGK_RPC_URLS": " https://eth.example/v3/KEY1 ,https://backup.example/KEY2,"]
        let both = try Self.parse(chain: #", "rpcUrlsEnv": "LGK_RPC_URLS""#, environment: environment)
        #expect(both.chain.rpcUrls == ["https://eth.example/v3/KEY1", "https://backup.example/KEY2", "http://127.0.0.1:8545"])
        let envOnly = try Config.parse(Array("""
            {"chain": {"rpcUrlsEnv": "LGK_RPC_URLS", "chainId": 1, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}}
            """.utf8), environment: environment)
        #expect(envOnly.chain.rpcUrls == ["https://eth.example/v3/KEY1", "https://backup.example/KEY2"])
        let neither = Self.message { () throws(KeeperError) in
            try Config.parse(Array(#"{"chain": {"chainId": 1, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}}"#.utf8), environment: [:])
        }
        #expect(neither == "chain.rpcUrls must list at least one JSON-RPC URL (or chain.rpcUrlsEnv name a variable that does)")
    }

    @Test func aMissingOrBadVariableIsNamedButItsValueNeverShown() {
        let unset = Self.message { () throws(KeeperError) in try Self.parse(chain: #", "rpcUrlsEnv": "LGK_RPC_URLS""#) }
        #expect(unset == "chain.rpcUrlsEnv names LGK_RPC_URLS, which is not set: set it to the node's JSON-RPC URLs, comma-separated")
        let bad = Self.message { () throws(KeeperError) in
            try Self.parse(chain: #", "rpcUrlsEnv": "LGK_RPC_URLS""#, environment: ["LGK_RPC_URLS": "https://ok.example,wss://SECRETKEY@x"])
        }
        #expect(bad == "entry 2 of LGK_RPC_URLS (chain.rpcUrlsEnv) must be an http:// or https:// URL")
        let value = Self.message { () throws(KeeperError) in try Self.parse(chain: #", "rpcUrlsEnv": "https://SECRETKEY""#) }
        #expect(value?.contains("must name an environment variable") == true && value?.contains("SECRETKEY") == false, "\(value ?? "")")
    }

    @Test func rpcDownAfterRoundsIsReplacedBySeconds() throws {
        #expect(Self.message { () throws(KeeperError) in try Self.parse(root: #", "alerts": {"rpcDownAfterRounds": 5}"#) }
            == "alerts.rpcDownAfterRounds was replaced by alerts.rpcDownAfterSeconds (default 30): give the time instead")
        #expect(try Self.parse(root: #", "alerts": {"rpcDownAfterSeconds": 90}, "signer": {"minTransactions": 0}"#).alerts.rpcDownAfterSeconds == 90)
    }

    @Test func theSignersFloorIsMinTransactionsAtTheFee() {
        #expect(StartupCheck.required(transactions: 20, maxFeePerGas: UInt256(1_000_000_000)) == UInt256(20 * StartupCheck.gasPerTransaction * 1_000_000_000))
        #expect(StartupCheck.required(transactions: 1_000_000_000, maxFeePerGas: .max) == .max, "saturates")
    }
}
