import Ethereum
import OKX

/// `signer`: the keeper's transaction key — a keystore v3 file with its password from an
/// environment variable or a file, or a 0600 raw key file. Never the key itself.
public struct SignerConfig: Sendable {
    public var keystore: String?
    public var passwordEnv: String?
    public var passwordFile: String?
    public var keyFile: String?
    init(_ r: inout ConfigReader) throws(KeeperError) {
        keystore = try r.string("keystore")
        passwordEnv = try r.environmentName("passwordEnv")
        passwordFile = try r.string("passwordFile")
        keyFile = try r.string("keyFile")
        if keystore != nil, keyFile != nil { throw KeeperError(.config, "signer: give keystore or keyFile, not both") }
        if passwordEnv != nil, passwordFile != nil { throw KeeperError(.config, "signer: give passwordEnv or passwordFile, not both") }
        try r.finish()
    }
}

/// `okx`: the OKX v5 REST endpoint.
public struct OKXConfig: Sendable {
    public var baseURL: String
    /// Sends `x-simulated-trading: 1` (demo trading).
    public var simulated: Bool
    public var timeoutMs: Int
    init(_ r: inout ConfigReader) throws(KeeperError) {
        baseURL = try r.string("baseURL", default: "https://www.okx.com")
        guard baseURL.hasPrefix("https://") || baseURL.hasPrefix("http://127.0.0.1") || baseURL.hasPrefix("http://localhost") else {
            throw KeeperError(.config, "okx.baseURL must be https:// (plain http only on loopback)")
        }
        simulated = try r.bool("simulated", default: false)
        timeoutMs = try r.integer("timeoutMs", default: 10_000, in: 100...120_000)
        try r.finish()
    }
}

extension OKXConfig {
    /// A client of this exchange bound to one user's key.
    public func client(_ credentials: OKXCredentials, simulated: Bool, observer: (@Sendable (OKXRequestRecord) -> Void)? = nil) -> OKXClient {
        OKXClient(credentials: credentials, configuration: .init(baseURL: baseURL, simulated: simulated, requestTimeoutMilliseconds: timeoutMs),
                  observer: observer)
    }
}

/// `policy`: payout rules. Amounts are decimal strings in pool units, stored in base units.
public struct PolicyConfig: Sendable {
    public var poolDecimals: Int
    public var coverageBps: Int
    public var maxPayoutPerClaim: UInt256
    public var dailyLimit: UInt256
    public var minPoolReserve: UInt256
    public var reviewAbove: UInt256
    public var coverADL: Bool
    public var maxClaimAgeDays: Int
    public var denylist: [Address]
    /// How long an undecided verification is checked again before it goes to an operator (`held_review`).
    public var decisionWindowHours: Int
    init(_ r: inout ConfigReader) throws(KeeperError) {
        poolDecimals = try r.integer("poolDecimals", default: 18, in: 0...36)
        coverageBps = try r.integer("coverageBps", default: 5_000, in: 0...10_000)
        maxPayoutPerClaim = try r.amount("maxPayoutPerClaim", decimals: poolDecimals, default: "10")
        dailyLimit = try r.amount("dailyLimit", decimals: poolDecimals, default: "100")
        minPoolReserve = try r.amount("minPoolReserve", decimals: poolDecimals, default: "0")
        reviewAbove = try r.amount("reviewAbove", decimals: poolDecimals, default: "5")
        coverADL = try r.bool("coverADL", default: true)
        maxClaimAgeDays = try r.integer("maxClaimAgeDays", default: 30, in: 1...3_650)
        var list = [Address]()
        for (index, text) in try r.strings("denylist").enumerated() {
            list.append(try ConfigReader.address(text, "policy.denylist[\(index)]"))
        }
        denylist = list
        decisionWindowHours = try r.integer("decisionWindowHours", default: 24, in: 1...720)
        try r.finish()
    }
}

/// `fees`: EIP-1559 fee caps and bumping.
public struct FeesConfig: Sendable {
    public var maxFeePerGas: UInt256
    public var bumpPercent: Int
    public var bumpAfterBlocks: Int
    init(_ r: inout ConfigReader) throws(KeeperError) {
        maxFeePerGas = try r.amount("maxFeePerGasGwei", decimals: 9, default: "200")
        bumpPercent = try r.integer("bumpPercent", default: 15, in: 13...1_000)
        bumpAfterBlocks = try r.integer("bumpAfterBlocks", default: 3, in: 1...1_000)
        try r.finish()
    }
}

/// `evidence`: where evidence bundles are written.
public struct EvidenceConfig: Sendable {
    public var dir: String
    init(_ r: inout ConfigReader) throws(KeeperError) {
        dir = try r.string("dir", default: "reports/evidence")
        try r.finish()
    }
}

/// `http`: the metrics/health/API listener.
public struct HTTPConfig: Sendable {
    public var listen: String
    public var apiSecretEnv: String?
    /// `/readyz` answers 503 while the index is more than this many blocks behind the head.
    public var readyMaxLagBlocks: Int
    init(_ r: inout ConfigReader) throws(KeeperError) {
        listen = try r.string("listen", default: "127.0.0.1:9464")
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port) else {
            throw KeeperError(.config, "http.listen must be HOST:PORT, not \"\(listen)\"")
        }
        apiSecretEnv = try r.environmentName("apiSecretEnv")
        readyMaxLagBlocks = try r.integer("readyMaxLagBlocks", default: 50, in: 1...1_000_000)
        try r.finish()
    }
}

/// `alerts`: the HMAC-signed webhook.
public struct AlertsConfig: Sendable {
    public var webhookURL: String?
    public var secretEnv: String?
    /// `signer_balance_low` is raised when the signer holds less than this (wei; config in ETH).
    public var minSignerBalance: UInt256
    /// `rpc_down` is raised after this many rounds in a row failed on the node.
    public var rpcDownAfterRounds: Int
    init(_ r: inout ConfigReader) throws(KeeperError) {
        webhookURL = try r.string("webhookURL")
        secretEnv = try r.environmentName("secretEnv")
        minSignerBalance = try r.amount("minSignerBalance", decimals: 18, default: "0.05")
        rpcDownAfterRounds = try r.integer("rpcDownAfterRounds", default: 5, in: 1...10_000)
        try r.finish()
    }
}

/// `reconcile`: the chain-versus-database pass.
public struct ReconcileConfig: Sendable {
    public var intervalSeconds: Int
    public var pauseOnMismatch: Bool
    init(_ r: inout ConfigReader) throws(KeeperError) {
        intervalSeconds = try r.integer("intervalSeconds", default: 300, in: 1...86_400)
        pauseOnMismatch = try r.bool("pauseOnMismatch", default: true)
        try r.finish()
    }
}

/// `vault`: the master key of the OKX key vault, from an environment variable or a 0600 file.
public struct VaultConfig: Sendable {
    public var masterKeyEnv: String?
    public var masterKeyFile: String?
    init(_ r: inout ConfigReader) throws(KeeperError) {
        masterKeyEnv = try r.environmentName("masterKeyEnv")
        masterKeyFile = try r.string("masterKeyFile")
        try r.finish()
    }
}
