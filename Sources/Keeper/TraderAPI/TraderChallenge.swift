import Crypto
import Ethereum
import Indexer
import OKX
import Store

/// One sign-in challenge of the trader API (`trader_challenges`, migration 015): a one-time nonce
/// issued for one wallet and one action, valid for `lifetimeMilliseconds`. A register or remove
/// challenge names the API key (kept as its SHA-256, never in clear) and its region; an evidence
/// challenge names the order.
public struct TraderChallenge: Sendable, Equatable {
    public enum Action: String, Sendable {
        /// `POST /api/keys`: store the wallet's read-only OKX key.
        case register
        /// `DELETE /api/keys`: remove it.
        case remove
        /// `POST /api/claims/{wallet}/{orderId}/evidence`: read the claim's evidence bundle.
        case evidence
    }

    /// Ten minutes, as the issue and EIP-4361's usual wallets expect.
    public static let lifetimeMilliseconds: Int64 = 600_000
    /// Outstanding challenges kept per wallet; asking for more forgets the oldest.
    static let perWallet = 8

    public let nonce: String
    public let wallet: Address
    public let action: Action
    public let apiKeyHash: String?
    public let region: OKXRegion?
    public let orderID: UInt256?
    /// Epoch milliseconds, whole seconds (the message shows seconds).
    public let issuedAt: Int64
    public let expiresAt: Int64
    public let usedAt: Int64?

    /// A new challenge issued at `now` (rounded down to the second) with a fresh 128-bit nonce.
    static func issue(wallet: Address, action: Action, apiKey: String?, region: OKXRegion?, orderID: UInt256?,
                      now: Int64) throws(TraderAPIError) -> TraderChallenge {
        let random: [UInt8]
        do { random = try SecureRandom.bytes(16) } catch { throw .unavailable("no randomness for a nonce") }
        let issued = now - now % 1_000
        return TraderChallenge(nonce: Hex.encode(random), wallet: wallet, action: action, apiKeyHash: apiKey.map(OKXCredentials.hash(apiKey:)),
                               region: region, orderID: orderID, issuedAt: issued, expiresAt: issued + lifetimeMilliseconds, usedAt: nil)
    }

    /// Stores the challenge, forgetting challenges expired a day ago and the wallet's oldest beyond `perWallet`.
    func insert(into db: Database) throws {
        try db.execute("DELETE FROM trader_challenges WHERE expires_at < ?", [issuedAt - 86_400_000])
        try db.execute("""
            DELETE FROM trader_challenges WHERE wallet = ?1 AND nonce NOT IN (
              SELECT nonce FROM trader_challenges WHERE wallet = ?1 ORDER BY issued_at DESC, rowid DESC LIMIT ?2)
            """, [wallet.description.lowercased(), Self.perWallet - 1])
        try db.execute("""
            INSERT INTO trader_challenges (nonce, wallet, action, api_key_hash, region, order_id, issued_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [nonce, wallet.description.lowercased(), action.rawValue, apiKeyHash, region?.rawValue, orderID?.description, issuedAt, expiresAt])
    }

    /// The challenge with `nonce`, if one was issued and not forgotten.
    static func find(nonce: String, in db: Database) throws -> TraderChallenge? {
        guard let row = try db.fetchOne("SELECT * FROM trader_challenges WHERE nonce = ?", [nonce]) else { return nil }
        let actionText: String = try row.get("action")
        guard let action = Action(rawValue: actionText) else { throw KeeperError(.badData, "challenge \(nonce) has an unknown action") }
        return TraderChallenge(
            nonce: try row.get("nonce"), wallet: try Address(hex: try row.get("wallet", as: String.self)),
            action: action,
            apiKeyHash: try row.get("api_key_hash", as: String?.self),
            region: try row.get("region", as: String?.self).flatMap(OKXRegion.init(rawValue:)),
            orderID: try row.get("order_id", as: String?.self).map { try UInt256(decimal: $0) },
            issuedAt: try row.get("issued_at"), expiresAt: try row.get("expires_at"), usedAt: try row.get("used_at", as: Int64?.self))
    }

    /// Marks the challenge used at `now`; false when it already was (another request took it first).
    static func use(nonce: String, at now: Int64, in db: Database) throws -> Bool {
        try db.execute("UPDATE trader_challenges SET used_at = ? WHERE nonce = ? AND used_at IS NULL", [now, nonce]) == 1
    }
}
