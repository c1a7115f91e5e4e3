import Ethereum

/// What became of a job's transaction, reported once by `TxManager.poll()`.
public struct TxOutcome: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Succeeded with `confirmations` blocks on top.
        case confirmed
        /// Failed on-chain; the reason when it could be decoded by replaying the call.
        case reverted(reason: String?)
        /// The nonce was consumed by a transaction that is none of this job's: the job did not happen.
        case dropped
        /// Not final: the transaction is stuck and a sufficient bump would exceed `maxFeePerGasGwei`.
        /// Reported once per transaction, for an alert.
        case feeCapReached
    }

    public let key: TxJobKey
    public let kind: Kind
    /// The job's transaction: the mined attempt, or the newest one.
    public let hash: Hash
    public let nonce: UInt64
    public let blockNumber: UInt64?

    init(_ transaction: StoredTransaction, _ kind: Kind) {
        key = transaction.key
        self.kind = kind
        hash = transaction.hash
        nonce = transaction.nonce
        blockNumber = transaction.blockNumber
    }

    /// The final outcome a stored transaction stands for, or nil while it is in flight.
    static func final(_ transaction: StoredTransaction) -> TxOutcome? {
        switch transaction.state {
        case .confirmed: TxOutcome(transaction, .confirmed)
        case .reverted: TxOutcome(transaction, .reverted(reason: transaction.revertReason))
        case .dropped: TxOutcome(transaction, .dropped)
        case .pending, .mined: nil
        }
    }
}
