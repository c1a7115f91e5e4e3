import Ethereum
import Foundation
import Indexer
import Settlement
import Verification
import Wire

extension CoveragePolicy {
    /// The insurance terms of the `pool` and `policy` sections.
    public init(pool: PoolConfig, policy config: PolicyConfig) throws(KeeperError) {
        let maxPayout: Decimal
        do { maxPayout = try PoolUnits.decimal(config.maxPayoutPerClaim) } catch {
            throw KeeperError(.config, "policy.maxPayoutPerClaim: \(error.message)")
        }
        do {
            try self.init(currency: pool.currency, poolDecimals: pool.decimals, coverageBps: config.coverageBps, maxPayoutPerClaim: maxPayout,
                          coverADL: config.coverADL, maxClaimAgeDays: config.maxClaimAgeDays)
        } catch {
            throw KeeperError(.config, "policy: \(error.message)")
        }
    }
}

extension PoolConfig {
    /// Every key at its default: a USDT pool, 6 decimals (not explicit: a native pool refuses it).
    public static func defaults() throws(KeeperError) -> PoolConfig {
        try ConfigReader.parse(.object([:]), path: "pool") { r throws(KeeperError) in try PoolConfig(&r) }
    }
}

extension PolicyConfig {
    /// Every key at its default (as if the section were `{}`), amounts in base units of `pool`'s
    /// asset, for commands run without a configuration file.
    public static func defaults(pool: PoolConfig) throws(KeeperError) -> PolicyConfig {
        try ConfigReader.parse(.object([:]), path: "policy") { r throws(KeeperError) in try PolicyConfig(&r, poolDecimals: pool.decimals) }
    }
}

extension OKXConfig {
    /// Every key at its default: `https://www.okx.com`, live trading, 10 s.
    public static func defaults() throws(KeeperError) -> OKXConfig {
        try ConfigReader.parse(.object([:]), path: "okx") { r throws(KeeperError) in try OKXConfig(&r) }
    }
}

/// Amounts in the pool's smallest unit.
public enum PoolUnits {
    /// A pool-unit `Decimal` (a whole, non-negative number, as `Payout` computes it) as a `UInt256`.
    public static func integer(_ amount: Decimal) throws(KeeperError) -> UInt256 {
        let text = NSDecimalNumber(decimal: amount).description(withLocale: Locale(identifier: "en_US_POSIX"))
        do { return try UInt256(decimal: text) } catch {
            throw KeeperError(.software, "the amount \(text) is not a whole, non-negative number of pool units")
        }
    }

    /// A `UInt256` of pool units as a `Decimal` (exact up to 38 significant digits).
    public static func decimal(_ amount: UInt256) throws(KeeperError) -> Decimal {
        let text = amount.description
        guard text.count <= 38, let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw KeeperError(.badData, "\(text) pool units exceed what a decimal holds exactly")
        }
        return value
    }

    /// Base units as whole units of the asset, exactly: 12500000 with 6 decimals is `"12.5"`.
    public static func text(_ amount: UInt256, decimals: Int) -> String { PoolUnit.whole(amount, decimals: decimals) }

    /// A human amount such as `"325"` or `"12.5"` (the token, like the config's amounts) in pool units.
    public static func parse(_ text: String, decimals: Int, name: String) throws(KeeperError) -> UInt256 {
        do { return try ConfigReader.baseUnits(text, decimals: decimals, name: name) } catch {
            throw KeeperError(.badData, error.message)
        }
    }
}
