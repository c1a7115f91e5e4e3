import Ethereum
import Indexer
import OKX

/// `signer`: the keeper's transaction key — a keystore v3 file with its password from an
/// environment variable or a file, or a 0600 raw key file. Never the key itself.
public struct SignerConfig: Sendable {
    public var keystore: String?
    public var passwordEnv: String?
    public var passwordFile: String?
    public var keyFile: String?
    /// `run` refuses to start unless the signer can pay this many transactions at current fees.
    public var minTransactions: Int
    init(_ r: inout ConfigReader) throws(KeeperError) {
        keystore = try r.string("keystore")
        minTransactions = try r.integer("minTransactions", default: 20, in: 0...1_000_000_000)
        passwordEnv = try r.environmentName("passwordEnv")
        passwordFile = try r.string("passwordFile")
        keyFile = try r.string("keyFile")
        if keystore != nil, keyFile != nil { throw KeeperError(.config, "signer: give keystore or keyFile, not both") }
        if passwordEnv != nil, passwordFile != nil { throw KeeperError(.config, "signer: give passwordEnv or passwordFile, not both") }
        try r.finish()
    }
}

/// `okx`: the OKX v5 REST hosts. A key works only on its own region's host, so each key's
/// region (`keys add --region www|us|eea`) picks its base URL from `baseURLs`
/// (default https://www.okx.com, https://us.okx.com, https://eea.okx.com). `baseURL` is kept as
/// the `www` region's URL for older configuration files; giving both for `www` is an error.
public struct OKXConfig: Sendable {
    public var baseURLs: OKXBaseURLs
    /// The `www` region's base URL.
    public var baseURL: String { baseURLs[.www] }
    /// Sends `x-simulated-trading: 1` (demo trading).
    public var simulated: Bool
    public var timeoutMs: Int
    init(_ r: inout ConfigReader) throws(KeeperError) {
        var overrides: [OKXRegion: String] = [:]
        if let www = try r.string("baseURL") {
            guard Self.isAllowed(www) else { throw KeeperError(.config, "\(r.name("baseURL")) must be https:// (plain http only on loopback)") }
            overrides[.www] = www
        }
        var urls = try r.section("baseURLs")
        for region in OKXRegion.allCases {
            guard let url = try urls.string(region.rawValue) else { continue }
            if overrides[region] != nil { throw KeeperError(.config, "okx: give the www URL as baseURL or baseURLs.www, not both") }
            guard Self.isAllowed(url) else {
                throw KeeperError(.config, "\(urls.name(region.rawValue)) must be https:// (plain http only on loopback)")
            }
            overrides[region] = url
        }
        try urls.finish()
        baseURLs = OKXBaseURLs(overrides)
        simulated = try r.bool("simulated", default: false)
        timeoutMs = try r.integer("timeoutMs", default: 10_000, in: 100...120_000)
        try r.finish()
    }
}

extension OKXConfig {
    /// A client of this exchange bound to one user's key, on the host of the key's region.
    /// - Parameter publicCache: where public reference data is kept between claims (the pipeline's
    ///   verifications share `OKXPublicCache.shared`); nil reads it afresh.
    public func client(_ credentials: OKXCredentials, simulated: Bool, observer: (@Sendable (OKXRequestRecord) -> Void)? = nil,
                       publicCache: OKXPublicCache? = nil) -> OKXClient {
        OKXClient(credentials: credentials,
                  configuration: .init(baseURL: baseURLs[credentials.region], simulated: simulated, requestTimeoutMilliseconds: timeoutMs),
                  observer: observer, publicCache: publicCache)
    }

    /// `https://…`, or plain http on loopback only.
    static func isAllowed(_ url: String) -> Bool {
        url.hasPrefix("https://") || url.hasPrefix("http://127.0.0.1") || url.hasPrefix("http://localhost")
    }
}

/// `pool`: what the pool pays in. Checked at start against the contract's `asset()` (and a
/// token's `symbol()` and `decimals()`): a keeper never pays from a pool it misreads.
public struct PoolConfig: Sendable, Equatable {
    /// The settlement currency the pool pays, as OKX writes it (`"USDT"`, `"ETH"`): only a loss
    /// in this currency is covered; nothing is converted.
    public var currency: String
    /// Decimals of the pool's asset: the policy's amounts are written in whole units and kept in base units.
    public var decimals: Int
    /// Whether the file names the currency: a native-coin pool must (the default is a token's).
    public var currencyIsExplicit: Bool

    public init(currency: String, decimals: Int, currencyIsExplicit: Bool = true) {
        self.currency = currency
        self.decimals = decimals
        self.currencyIsExplicit = currencyIsExplicit
    }

    init(_ r: inout ConfigReader) throws(KeeperError) {
        let named = try r.string("currency")
        currency = named ?? "USDT"
        currencyIsExplicit = named != nil
        guard (1...16).contains(currency.count), currency.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) }) else {
            throw KeeperError(.config, "pool.currency must be an uppercase currency code such as \"USDT\" or \"ETH\", not \"\(ConfigReader.excerpt(currency))\"")
        }
        decimals = try r.integer("decimals", default: 6, in: 0...30)
        try r.finish()
    }
}

/// `policy`: payout rules. Amounts are decimal strings in whole units of the pool's asset,
/// stored in its base units (`pool.decimals`).
public struct PolicyConfig: Sendable {
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
    init(_ r: inout ConfigReader, poolDecimals: Int) throws(KeeperError) {
        if r.take("poolDecimals") != nil {
            throw KeeperError(.config, "policy.poolDecimals moved to pool.decimals (with pool.currency): move it there")
        }
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
    /// The trader API's own listener (nil: not served). Never plain HTTP beyond the machine: TLS or loopback.
    public var publicListen: String?
    /// Browser origins (`https://app.example`) the public listener answers with CORS headers.
    public var publicOrigins: [String]
    /// The public listener's PEM certificate chain and 0600 PEM key (both or neither; checked when `run` starts it).
    public var tlsCertFile: String?
    public var tlsKeyFile: String?
    /// Requests per minute one client address may make on the public listener.
    public var publicRateLimitPerMinute: Int
    /// The host (and port) traders reach the public listener at, as the sign-in messages name it
    /// (EIP-4361's `domain`); nil: `publicListen` itself.
    public var publicDomain: String?
    init(_ r: inout ConfigReader) throws(KeeperError) {
        listen = try r.string("listen", default: "127.0.0.1:9464")
        try Self.requireHostPort(listen, "http.listen")
        apiSecretEnv = try r.environmentName("apiSecretEnv")
        readyMaxLagBlocks = try r.integer("readyMaxLagBlocks", default: 50, in: 1...1_000_000)
        publicListen = try r.string("publicListen")
        if let publicListen { try Self.requireHostPort(publicListen, "http.publicListen") }
        publicOrigins = try r.strings("publicOrigins")
        for (index, origin) in publicOrigins.enumerated() where !Self.isOrigin(origin) {
            throw KeeperError(.config, "http.publicOrigins[\(index)] must be an origin like \"https://app.example\" (scheme, host, optional port; no path, no trailing slash), not \"\(origin.prefix(80))\"")
        }
        tlsCertFile = try r.string("tlsCertFile")
        tlsKeyFile = try r.string("tlsKeyFile")
        publicRateLimitPerMinute = try r.integer("publicRateLimitPerMinute", default: 120, in: 1...1_000_000)
        publicDomain = try r.string("publicDomain")
        if let publicDomain, !Self.isDomain(publicDomain) {
            throw KeeperError(.config, "http.publicDomain must be the host traders reach the keeper at, such as \"keeper.example\" or \"keeper.example:8443\" (no scheme, no path), not \"\(publicDomain.prefix(80))\"")
        }
        try r.finish()
    }

    private static func requireHostPort(_ text: String, _ key: String) throws(KeeperError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw KeeperError(.config, "\(key) must be HOST:PORT, not \"\(text)\"")
        }
    }

    /// The domain of the trader API's sign-in messages: `host[:port]` of letters, digits, `.`, `-` (or `[IPv6]`).
    public var signInDomain: String? { publicDomain ?? publicListen }

    static func isDomain(_ text: String) -> Bool {
        (1...253).contains(text.utf8.count) && text.utf8.allSatisfy { c in
            (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x2E || c == 0x2D || c == 0x3A || c == 0x5B || c == 0x5D
        } && text.first != "." && text.first != "-" && text.first != ":"
    }

    /// `http://` or `https://`, a host, an optional port; nothing after (a browser's `Origin` has no path).
    static func isOrigin(_ text: String) -> Bool {
        guard let scheme = ["https://", "http://"].first(where: { text.hasPrefix($0) }) else { return false }
        let rest = text.dropFirst(scheme.count)
        return !rest.isEmpty && !rest.contains { "/?#@ *".contains($0) }
    }
}

/// `alerts`: the HMAC-signed webhook.
public struct AlertsConfig: Sendable {
    public var webhookURL: String?
    public var secretEnv: String?
    /// `signer_balance_low` is raised when the signer holds less than this (wei; config in ETH).
    public var minSignerBalance: UInt256
    /// `rpc_down` is raised once no round has reached the node for this long.
    public var rpcDownAfterSeconds: Int
    /// The most one delivery attempt may take, connection included; delivery runs beside the loop.
    public var timeoutMs: Int
    init(_ r: inout ConfigReader) throws(KeeperError) {
        webhookURL = try r.string("webhookURL")
        secretEnv = try r.environmentName("secretEnv")
        minSignerBalance = try r.amount("minSignerBalance", decimals: 18, default: "0.05")
        if r.take("rpcDownAfterRounds") != nil {
            throw KeeperError(.config, "alerts.rpcDownAfterRounds was replaced by alerts.rpcDownAfterSeconds (default 30): give the time instead")
        }
        rpcDownAfterSeconds = try r.integer("rpcDownAfterSeconds", default: 30, in: 1...86_400)
        timeoutMs = try r.integer("timeoutMs", default: 10_000, in: 100...300_000)
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

/// `pipeline`: how many claims are worked on at once.
public struct PipelineConfig: Sendable {
    /// Claims verified on OKX at the same time; OKX's per-user and per-IP limits still space the requests.
    public var maxConcurrentVerifications: Int
    /// The most claims one batch transaction carries (the contract takes up to 256); gas sizes it below that.
    public var maxBatchItems: Int
    init(_ r: inout ConfigReader) throws(KeeperError) {
        maxConcurrentVerifications = try r.integer("maxConcurrentVerifications", default: 32, in: 1...1_024)
        maxBatchItems = try r.integer("maxBatchItems", default: 256, in: 1...256)
        try r.finish()
    }
}
