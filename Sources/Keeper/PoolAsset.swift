import Ethereum
import Indexer
import Settlement

/// What the contract's pool pays in, as the chain says: `asset()`, and for a token its `symbol()`
/// and `decimals()`. Commands that move or count pool money check it against the `pool` section
/// before they start (`check`), so that a keeper never pays USDT amounts from an ETH pool.
public struct PoolAsset: Sendable, Equatable {
    /// The token's address; nil for the chain's native coin.
    public let token: Address?
    /// The token's `symbol()`; nil for the native coin, whose name the chain does not say.
    public let symbol: String?
    /// The token's `decimals()`; 18 for the native coin (wei).
    public let decimals: Int

    /// Decimals of an EVM chain's native coin.
    public static let nativeDecimals = 18

    public init(token: Address?, symbol: String?, decimals: Int) {
        self.token = token
        self.symbol = symbol
        self.decimals = decimals
    }

    /// Reads the pool's asset from the contract (and the token, when there is one).
    public static func read(_ reader: ContractReader) async throws(KeeperError) -> PoolAsset {
        guard let token = try await reader.asset() else { return PoolAsset(token: nil, symbol: nil, decimals: nativeDecimals) }
        return PoolAsset(token: token, symbol: try await reader.symbol(of: token), decimals: try await reader.decimals(of: token))
    }

    /// Reads the pool's asset and checks it against `pool`; a disagreement is a one-line `.config` error.
    @discardableResult
    public static func check(_ reader: ContractReader, against pool: PoolConfig) async throws(KeeperError) -> PoolAsset {
        let asset = try await read(reader)
        try asset.check(against: pool)
        return asset
    }

    /// Throws a `.config` error saying what to set when `pool` does not describe this asset. A
    /// native-coin pool needs `pool.currency` set on purpose: the default (`USDT`) names a token.
    public func check(against pool: PoolConfig) throws(KeeperError) {
        let configured = "pool.currency \"\(pool.currency)\" with pool.decimals \(pool.decimals)"
        guard let token else {
            guard pool.currencyIsExplicit, pool.decimals == Self.nativeDecimals else {
                throw KeeperError(.config, "the pool pays in the chain's native coin (asset() is the zero address), not \(configured): "
                    + "set pool.currency to that coin (e.g. \"ETH\") and pool.decimals to \(Self.nativeDecimals)")
            }
            return
        }
        let symbol = Self.printable(symbol ?? "")
        guard symbol.uppercased() == pool.currency, decimals == pool.decimals else {
            throw KeeperError(.config, "the pool pays in \(symbol.isEmpty ? "a token without a symbol" : "\"\(symbol)\"") (token \(token.checksummed), "
                + "\(decimals) decimals), not \(configured): set pool.currency to \"\(symbol.uppercased())\" and pool.decimals to \(decimals), or check chain.contract")
        }
    }

    /// A token's symbol is the token deployer's text: printable characters only, cut short.
    public static func printable(_ text: String) -> String {
        let kept = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x22 && !(0x7F...0x9F).contains($0.value) }))
        return kept.count > 16 ? String(kept.prefix(16)) + "…" : kept
    }
}
