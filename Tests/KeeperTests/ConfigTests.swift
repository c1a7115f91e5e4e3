import Foundation
import Logging
import Testing
@testable import Ethereum
@testable import Indexer
@testable import Keeper
import Verification

@Suite struct ConfigTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examplePath = root.appendingPathComponent("config/keeper.example.json").path

    static func minimal(chain extra: String = "", root more: String = "") -> [UInt8] {
        Array("""
        {"chain": {"rpcUrls": ["http://127.0.0.1:8545"], "chainId": 1337,
                   "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"\(extra)}\(more)}
        """.utf8)
    }

    static func error(_ bytes: [UInt8]) -> KeeperError? {
        do { _ = try Config.parse(bytes); return nil } catch { return error }
    }

    @Test func exampleLoadsWithEverySection() throws {
        let config = try Config.load(path: Self.examplePath)
        #expect(config.chain.confirmations == 12)
        #expect(config.chain.maxBlockRange == 500)
        #expect(config.store.path == Self.root.appendingPathComponent("config/var/keeper.sqlite").path, "read against config/")
        #expect(config.pool == PoolConfig(currency: "USDT", decimals: 6, currencyIsExplicit: true))
        #expect(config.policy.maxPayoutPerClaim == (try UInt256(decimal: "10000000")), "10 USDT in base units (pool.decimals 6)")
        #expect(config.fees.maxFeePerGas == (try UInt256(decimal: "200000000000")))
        #expect(config.signer.passwordEnv == "LGK_KEYSTORE_PASSWORD")
        #expect(config.http.listen == "127.0.0.1:9464")
    }

    @Test func defaultsFillAbsentSections() throws {
        let config = try Config.parse(Self.minimal())
        #expect(config.chain.startBlock == 0)
        #expect(config.chain.useFinalizedTag == false)
        #expect(config.okx.baseURL == "https://www.okx.com")
        #expect(config.reconcile.pauseOnMismatch)
        #expect(config.pool == PoolConfig(currency: "USDT", decimals: 6, currencyIsExplicit: false))
        #expect(config.policy.dailyLimit == UInt256(100_000_000), "100 USDT in base units")
    }

    @Test func theLogSectionAndAlertTimeout() throws {
        let defaults = try Config.parse(Self.minimal())
        #expect(defaults.log.format == .logfmt && defaults.log.level == .info && defaults.alerts.timeoutMs == 10_000)
        let example = try Config.load(path: Self.examplePath)
        #expect(example.log.format == .logfmt && example.log.level == .info && example.alerts.timeoutMs == 10_000)
        let set = try Config.parse(Self.minimal(root: #", "log": {"format": "json", "level": "warn"}, "alerts": {"timeoutMs": 500}"#))
        #expect(set.log.format == .json && set.log.level == .warn && set.alerts.timeoutMs == 500)
        #expect(Self.error(Self.minimal(root: #", "log": {"format": "text"}"#))?.message == #"log.format must be "logfmt" or "json", not "text""#)
        #expect(Self.error(Self.minimal(root: #", "log": {"level": "verbose\n"}"#))?.message == #"log.level must be "debug", "info", "warn" or "error", not "verbose?""#)
        #expect(Self.error(Self.minimal(root: #", "log": {"file": "x"}"#))?.code == .config, "an unknown key")
    }

    @Test func policyAmountsAreReadWithThePoolsDecimals() throws {
        let config = try Config.parse(Self.minimal(root: #", "pool": {"currency": "ETH", "decimals": 18}, "policy": {"dailyLimit": "1.5"}"#))
        #expect(config.pool == PoolConfig(currency: "ETH", decimals: 18, currencyIsExplicit: true))
        #expect(config.policy.dailyLimit == (try UInt256(decimal: "1500000000000000000")))
        let policy = try CoveragePolicy(pool: config.pool, policy: config.policy)
        #expect(policy.currency == "ETH" && policy.poolDecimals == 18)
    }

    @Test func poolDecimalsInThePolicySectionNamesItsNewPlace() {
        let error = Self.error(Self.minimal(root: #", "policy": {"poolDecimals": 18}"#))
        #expect(error?.code == .config)
        #expect(error?.message == "policy.poolDecimals moved to pool.decimals (with pool.currency): move it there")
    }

    @Test(arguments: [
        (#"{"currency": "usdt"}"#, #"pool.currency must be an uppercase currency code such as "USDT" or "ETH", not "usdt""#),
        (#"{"currency": ""}"#, #"pool.currency must be an uppercase currency code such as "USDT" or "ETH", not """#),
        (#"{"decimals": 31}"#, "pool.decimals must be between 0 and 30, not 31"),
        (#"{"currency": "USDT", "decimal": 6}"#, "unknown key pool.decimal — did you mean decimals?"),
    ])
    func badPoolValuesAreNamed(section: String, message: String) {
        #expect(Self.error(Self.minimal(root: #", "pool": \#(section)"#))?.message == message)
    }

    @Test func unknownKeyIsNamedWithASuggestion() {
        let bytes = Array(#"{"chain": {"rpcUrl": ["http://127.0.0.1:8545"], "chainId": 1, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}}"#.utf8)
        let error = Self.error(bytes)
        #expect(error?.code == .config)
        #expect(error?.message == "unknown key chain.rpcUrl — did you mean rpcUrls?")
        let typo = Self.error(Self.minimal(chain: #", "confirmation": 3"#))
        #expect(typo?.message == "unknown key chain.confirmation — did you mean confirmations?")
        let section = Self.error(Self.minimal(root: #", "stroe": {"path": "x"}"#))
        #expect(section?.message == "unknown key stroe — did you mean store?")
    }

    @Test(arguments: [
        (#", "confirmations": -1"#, "chain.confirmations must be between 0 and 10000, not -1"),
        (#", "confirmations": "12""#, "chain.confirmations must be a whole number"),
        (#", "maxBlockRange": 0"#, "chain.maxBlockRange must be between 1 and 100000, not 0"),
        (#", "useFinalizedTag": "yes""#, "chain.useFinalizedTag must be true or false"),
    ])
    func badChainValuesAreNamed(extra: String, message: String) {
        #expect(Self.error(Self.minimal(chain: extra))?.message == message)
    }

    @Test func badValuesElsewhereAreNamed() {
        #expect(Self.error(Self.minimal(root: #", "policy": {"dailyLimit": 100}"#))?.message.hasPrefix("policy.dailyLimit must be a decimal string") == true)
        #expect(Self.error(Self.minimal(root: #", "policy": {"dailyLimit": "1.2.3"}"#))?.message.hasPrefix("policy.dailyLimit must be a non-negative decimal") == true)
        #expect(Self.error(Self.minimal(root: #", "pool": {"decimals": 2}, "policy": {"dailyLimit": "1.234"}"#))?.message == "policy.dailyLimit has 3 decimals; at most 2 are meaningful")
        #expect(Self.error(Self.minimal(root: #", "signer": {"passwordEnv": "hunter2 secret"}"#))?.message.hasPrefix("signer.passwordEnv must name an environment variable") == true)
        let key = "0x" + String(repeating: "ab", count: 32)
        #expect(Self.error(Self.minimal(root: #", "signer": {"keyFile": "\#(key)"}"#))?.message.contains("looks like a private key") == true)
        #expect(Self.error(Array(#"{"chain": {"rpcUrls": [], "chainId": 1, "contract": "0x00"}}"#.utf8))?.message == "chain.rpcUrls must list at least one JSON-RPC URL (or chain.rpcUrlsEnv name a variable that does)")
        #expect(Self.error(Array(#"{"chain": {"rpcUrls": ["http://x"], "chainId": 1, "contract": "0x1234"}}"#.utf8))?.message.hasPrefix("chain.contract:") == true)
        #expect(Self.error(Array("{".utf8))?.code == .config)
    }

    @Test func missingFileIsAConfigError() {
        #expect(throws: KeeperError.self) { try Config.load(path: "/nonexistent/keeper.json") }
    }

    /// A command reads only the sections it names: a `chain` whose variable is unset here and a
    /// `signer` are not read by `verify`; a command that needs a missing `chain` names itself.
    @Test func aCommandReadsOnlyTheSectionsItUses() throws {
        let bytes = Array(#"{"chain": {"rpcUrlsEnv": "LGK_UNSET_URLS", "chainId": 1, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}, "signer": {"keyFile": "k"}}"#.utf8)
        let verify = try Config.parse(bytes, command: "verify", reads: [], environment: [:])
        #expect(verify.signer.keyFile == nil && verify.store.path == "var/keeper.sqlite")
        #expect { try Config.parse(bytes, command: "run", environment: [:]) } throws: { error in
            let message = (error as? KeeperError)?.message ?? ""
            return message.contains("LGK_UNSET_URLS, which is not set") && !message.contains("needs a chain section")
        }
        #expect { try Config.parse(Array("{}".utf8), command: "index", reads: .chain, environment: [:]) } throws: { error in
            (error as? KeeperError)?.message.hasPrefix("index needs a chain section: chain.rpcUrls must list at least one JSON-RPC URL") == true
        }
        let withSigner = try Config.parse(Array(#"{"chain": {"rpcUrls": ["http://127.0.0.1:1"], "chainId": 1, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}}"#.utf8),
                                          command: "run", environment: [:])
        #expect { try withSigner.requireSigner(for: "run") } throws: { error in
            (error as? KeeperError)?.message.hasPrefix("run needs a signer section: set signer.keystore") == true
        }
        #expect { try Config.parse(Array(#"{"chian": {}}"#.utf8), command: "verify", reads: [], environment: [:]) } throws: { error in
            (error as? KeeperError)?.message.contains("unknown key chian") == true
        }
    }
}
