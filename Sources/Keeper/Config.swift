import Ethereum
import Foundation
import Indexer
import Wire

/// The keeper's configuration (DESIGN.md §8), loaded from a JSON file and validated strictly:
/// unknown keys are errors that name the key, amounts are decimal strings, secrets appear only as
/// environment-variable names or file paths.
public struct Config: Sendable {
    /// The sections a command reads that have keys without defaults. Each command names those it
    /// uses (DESIGN.md §8): `verify` and `keys` run from a file with neither, as a verification
    /// service without a chain has; a section left out is not read at all.
    public struct Sections: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// `chain`, required when read: the node, the contract, how logs are followed.
        public static let chain = Sections(rawValue: 1)
        /// `signer`: the transaction key (`requireSigner` where one is needed).
        public static let signer = Sections(rawValue: 2)
        public static let all: Sections = [.chain, .signer]
    }

    /// The `chain` section. Only a configuration loaded with `.chain` has one: reading it from
    /// another is a programming error (the command must name `.chain` among the sections it reads).
    public var chain: ChainConfig {
        get {
            guard let chainSection else { preconditionFailure("the configuration was loaded without its chain section") }
            return chainSection
        }
        set { chainSection = newValue }
    }
    private var chainSection: ChainConfig?
    public var signer: SignerConfig
    public var okx: OKXConfig
    public var pool: PoolConfig
    public var policy: PolicyConfig
    public var fees: FeesConfig
    public var store: StoreConfig
    public var evidence: EvidenceConfig
    public var http: HTTPConfig
    public var alerts: AlertsConfig
    public var reconcile: ReconcileConfig
    public var vault: VaultConfig
    public var pipeline: PipelineConfig
    public var log = LogConfig()
    public var console = ConsoleConfig()

    /// Throws, naming `command`, unless the `signer` section names a key.
    public func requireSigner(for command: String) throws(KeeperError) {
        guard signer.keystore == nil, signer.keyFile == nil else { return }
        throw KeeperError(.config, "\(command) needs a signer section: set signer.keystore (with signer.passwordEnv or signer.passwordFile) or signer.keyFile")
    }

    /// The default location of the configuration file.
    public static let defaultPath = "config/keeper.json"

    /// Loads and validates `path`; relative paths in it are read against its directory. Every failure is a `.config` error with one line naming the file and key.
    /// - Parameters:
    ///   - command: the command loading it, named when a section it needs is missing.
    ///   - reads: the sections among `Sections` the command uses; the others are not read.
    ///   - environment: where `chain.rpcUrlsEnv` is read.
    public static func load(path: String, command: String? = nil, reads: Sections = .all,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeeperError) -> Config {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw KeeperError(.config, "cannot read the configuration \(path): \((error as NSError).localizedDescription)")
        }
        // Relative paths in the file are read against the file's directory (Config+Paths).
        let directory = (path as NSString).deletingLastPathComponent
        do { return try parse(Array(data), command: command, reads: reads, environment: environment).resolvingPaths(against: directory) } catch {
            throw KeeperError(.config, "\(path): \(error.message)")
        }
    }

    /// Parses a configuration document (JSON bytes); `chain.rpcUrlsEnv` is read from `environment`.
    public static func parse(_ bytes: [UInt8], command: String? = nil, reads: Sections = .all,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeeperError) -> Config {
        let json: JSON
        do { json = try JSON(parsing: bytes) } catch { throw KeeperError(.config, error.description) }
        var root = try ConfigReader(json, path: "")
        func section<T>(_ key: String, _ build: (inout ConfigReader) throws(KeeperError) -> T) throws(KeeperError) -> T {
            try ConfigReader.parse(root.take(key), path: key, build)
        }
        var chain: ChainConfig? = nil
        if reads.contains(.chain) {
            let absent = root.members["chain"].map(\.isNull) ?? true
            do {
                chain = try section("chain") { r throws(KeeperError) in try ChainConfig(&r, environment: environment) }
            } catch {
                guard absent, let command else { throw error }
                throw KeeperError(.config, "\(command) needs a chain section: \(error.message)")
            }
        } else {
            _ = root.take("chain")
        }
        var signer = SignerConfig()
        if reads.contains(.signer) {
            signer = try section("signer") { r throws(KeeperError) in try SignerConfig(&r) }
        } else {
            _ = root.take("signer")
        }
        let okx = try section("okx") { r throws(KeeperError) in try OKXConfig(&r) }
        let pool = try section("pool") { r throws(KeeperError) in try PoolConfig(&r) }
        let policy = try section("policy") { r throws(KeeperError) in try PolicyConfig(&r, poolDecimals: pool.decimals) }
        let fees = try section("fees") { r throws(KeeperError) in try FeesConfig(&r) }
        let store = try section("store") { r throws(KeeperError) in try StoreConfig(&r) }
        let evidence = try section("evidence") { r throws(KeeperError) in try EvidenceConfig(&r) }
        let http = try section("http") { r throws(KeeperError) in try HTTPConfig(&r) }
        let alerts = try section("alerts") { r throws(KeeperError) in try AlertsConfig(&r) }
        let reconcile = try section("reconcile") { r throws(KeeperError) in try ReconcileConfig(&r) }
        let vault = try section("vault") { r throws(KeeperError) in try VaultConfig(&r) }
        let pipeline = try section("pipeline") { r throws(KeeperError) in try PipelineConfig(&r) }
        let log = try section("log") { r throws(KeeperError) in try LogConfig(&r) }
        let console = try section("console") { r throws(KeeperError) in try ConsoleConfig(&r) }
        try root.finish()
        var config = Config(chainSection: chain, signer: signer, okx: okx, pool: pool, policy: policy, fees: fees, store: store, evidence: evidence,
                            http: http, alerts: alerts, reconcile: reconcile, vault: vault, pipeline: pipeline)
        config.log = log
        config.console = console
        return config
    }
}

/// `chain`: where the contract lives and how its logs are followed (DESIGN.md §5).
public struct ChainConfig: Sendable {
    /// JSON-RPC endpoints, tried in order with failover: those of `rpcUrlsEnv` first, then the file's.
    /// They may carry a provider's key, so only their scheme and host are ever printed.
    public var rpcUrls: [String]
    /// The environment variable holding more endpoints, comma-separated (URLs with a provider's key
    /// stay out of the configuration file).
    public var rpcUrlsEnv: String?
    /// Checked against `eth_chainId` at start.
    public var chainId: UInt64
    public var contract: Address
    /// The first block to index (the contract's deployment block).
    public var startBlock: UInt64
    /// Blocks above `head − confirmations` are provisional.
    public var confirmations: Int
    /// Use the node's `finalized` tag instead of `confirmations`.
    public var useFinalizedTag: Bool
    public var pollIntervalMs: Int
    /// The widest `eth_getLogs` range; the follower narrows it when a provider refuses.
    public var maxBlockRange: Int
    /// How often an already confirmed range is fetched again to catch logs a node missed.
    public var rescanIntervalSeconds: Int
    /// How many recent block hashes are kept for reorg detection.
    public var blockHashWindow: Int
    public var requestTimeoutMs: Int
    /// Calls per JSON-RPC batch (Erigon takes 100 by default, geth 1,000; docs/PROVIDERS.md).
    public var maxBatchSize: Int
    /// Calls per second to the node, each call of a batch counted; nil (absent or 0) for no limit.
    public var maxRequestsPerSecond: Int?

    /// The JSON-RPC client's limits from this section.
    public var rpcLimits: RPCLimits { RPCLimits(maxBatchSize: maxBatchSize, maxRequestsPerSecond: maxRequestsPerSecond.map(Double.init)) }

    init(_ r: inout ConfigReader, environment: [String: String]) throws(KeeperError) {
        let fileURLs = try r.strings("rpcUrls")
        for (index, url) in fileURLs.enumerated() where !Self.isHTTP(url) {
            throw KeeperError(.config, "chain.rpcUrls[\(index)] must be an http:// or https:// URL")
        }
        rpcUrlsEnv = try r.environmentName("rpcUrlsEnv")
        rpcUrls = try Self.environmentURLs(rpcUrlsEnv, environment) + fileURLs
        guard !rpcUrls.isEmpty else {
            throw KeeperError(.config, "chain.rpcUrls must list at least one JSON-RPC URL (or chain.rpcUrlsEnv name a variable that does)")
        }
        chainId = UInt64(try r.integer("chainId", in: 1...Int.max))
        contract = try r.address("contract")
        startBlock = UInt64(try r.integer("startBlock", default: 0, in: 0...Int.max))
        confirmations = try r.integer("confirmations", default: 12, in: 0...10_000)
        useFinalizedTag = try r.bool("useFinalizedTag", default: false)
        pollIntervalMs = try r.integer("pollIntervalMs", default: 2_000, in: 10...3_600_000)
        maxBlockRange = try r.integer("maxBlockRange", default: 500, in: 1...100_000)
        rescanIntervalSeconds = try r.integer("rescanIntervalSeconds", default: 300, in: 0...86_400 * 7)
        blockHashWindow = try r.integer("blockHashWindow", default: 1_024, in: 16...1_000_000)
        requestTimeoutMs = try r.integer("requestTimeoutMs", default: 10_000, in: 100...600_000)
        maxBatchSize = try r.integer("maxBatchSize", default: 50, in: 1...1_000)
        let rate = try r.integer("maxRequestsPerSecond", default: 0, in: 0...1_000_000)
        maxRequestsPerSecond = rate == 0 ? nil : rate
        guard blockHashWindow > confirmations else {
            throw KeeperError(.config, "chain.blockHashWindow (\(blockHashWindow)) must exceed chain.confirmations (\(confirmations)) so that a reorg's ancestor is found")
        }
        try r.finish()
    }

    static func isHTTP(_ url: String) -> Bool { url.hasPrefix("http://") || url.hasPrefix("https://") }

    /// The comma-separated URLs of the variable `name`; an unset or empty variable is an error, and
    /// an entry that is not a URL is named by its position only (it may hold a key).
    static func environmentURLs(_ name: String?, _ environment: [String: String]) throws(KeeperError) -> [String] {
        guard let name else { return [] }
        let urls = (environment[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !urls.isEmpty else {
            throw KeeperError(.config, "chain.rpcUrlsEnv names \(name), which is not set: set it to the node's JSON-RPC URLs, comma-separated")
        }
        for (index, url) in urls.enumerated() where !isHTTP(url) {
            throw KeeperError(.config, "entry \(index + 1) of \(name) (chain.rpcUrlsEnv) must be an http:// or https:// URL")
        }
        return urls
    }
}

/// `store`: the SQLite database.
public struct StoreConfig: Sendable {
    public var path: String
    init(_ r: inout ConfigReader) throws(KeeperError) {
        path = try r.string("path", default: "var/keeper.sqlite")
        try r.finish()
    }
}
