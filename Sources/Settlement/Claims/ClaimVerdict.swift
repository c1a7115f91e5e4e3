import Ethereum
import OKX

/// A verdict ready to be written on-chain with `verifyPayout`.
public struct ClaimVerdict: Sendable, Equatable {
    public let amount: UInt256
    public let liquidated: Bool
    public let evidenceID: String
    public let evidenceRoot: Hash
    /// Why nothing is paid although liquidated (too old, ADL not covered…).
    public let refusal: String?
    /// The OKX position the verdict matched, as its lifecycle (`posId@cTime`), if any.
    public let positionID: String?

    public init(amount: UInt256, liquidated: Bool, evidenceID: String, evidenceRoot: Hash, refusal: String?, positionID: String?) {
        self.amount = amount
        self.liquidated = liquidated
        self.evidenceID = evidenceID
        self.evidenceRoot = evidenceRoot
        self.refusal = refusal
        self.positionID = positionID
    }
}

/// What one verification attempt of a claim came to.
public enum VerificationAttempt: Sendable, Equatable {
    /// Complete and consistent: may be written on-chain.
    case verdict(ClaimVerdict)
    /// Incomplete history, a position not yet closed or visible, an unknown type, contradicting
    /// answers: check again, within `policy.decisionWindowHours`, then hold for an operator.
    case undecided(String)
    /// The trader's key is expired, revoked, wrong or lacks Read: park in `needs_key` until a new key.
    case keyInvalid(String)
    /// OKX says the trader's key can do more than read: it leaves the vault, and the claim waits in
    /// `needs_key` for a read-only key.
    case keyNotReadOnly(KeyPowers)
    /// Rate limit, 5xx, timeout, 50102 still failing: try again later.
    case transient(String)
    /// Order not found or not the key's own: retrying cannot help.
    case permanent(String)
}

/// A claim's user's OKX key as the vault holds it (`ClaimVerifying.key(for:)`).
public enum ClaimKeyLookup: Sendable {
    case found(OKXCredentials)
    /// No key registered for the wallet yet.
    case missing
    /// The vault cannot be opened now (master key, database): try again later.
    case unreadable(String)
}

/// A held key OKX says can do more than read (`account/config`), and which key it is.
public struct KeyPowers: Sendable, Equatable {
    /// SHA-256 of the API key (`OKXCredentials.hash(apiKey:)`): the vault row to remove.
    public let apiKeyHash: String
    /// OKX's answer for the key.
    public let config: OKXAccountConfig

    public init(apiKeyHash: String, config: OKXAccountConfig) {
        self.apiKeyHash = apiKeyHash
        self.config = config
    }

    /// "trade", "withdraw", "trade and withdraw"…
    public var powers: String { config.powersBeyondReading ?? "only read" }
}
