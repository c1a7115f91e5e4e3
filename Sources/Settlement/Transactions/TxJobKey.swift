import Ethereum

/// What a keeper transaction does to a claim.
public enum TxAction: String, Sendable, Hashable, CaseIterable {
    case verify
    case execute
}

/// The idempotency key of one job (DESIGN.md §6): the claim request's log and the action. At most
/// one transaction (one nonce, possibly re-signed with higher fees) exists per key.
public struct TxJobKey: Hashable, Sendable, CustomStringConvertible {
    public let chainID: UInt64
    public let requestTxHash: Hash
    public let requestLogIndex: UInt64
    public let action: TxAction

    public init(chainID: UInt64, requestTxHash: Hash, requestLogIndex: UInt64, action: TxAction) {
        self.chainID = chainID
        self.requestTxHash = requestTxHash
        self.requestLogIndex = requestLogIndex
        self.action = action
    }

    public var description: String { "\(action.rawValue)@\(chainID)/\(requestTxHash)/\(requestLogIndex)" }
}

/// Where a job's transaction stands (`txs.state`).
public enum TxState: String, Sendable, Hashable, CaseIterable {
    /// Signed and stored; broadcast or waiting to be (re)broadcast; not in a block.
    case pending
    /// In a block with fewer than `confirmations` blocks on top.
    case mined
    /// Succeeded, with `confirmations` blocks on top. Final.
    case confirmed
    /// Failed on-chain (status 0), with `confirmations` blocks on top. Final.
    case reverted
    /// The nonce was consumed by a transaction that is none of this job's attempts (the key was used
    /// elsewhere). Final: the job did not happen; read the contract before doing it again.
    case dropped

    /// No further change is expected.
    public var isFinal: Bool { self == .confirmed || self == .reverted || self == .dropped }
}

/// The state of one signed attempt (`tx_attempts.state`): each fee bump adds an attempt at the same nonce.
public enum TxAttemptState: String, Sendable, Hashable {
    case pending
    /// A later attempt replaced it, or another attempt was mined.
    case replaced
    /// This attempt is the one in the block.
    case mined
}
