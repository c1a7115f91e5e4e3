import Ethereum
import Indexer
import Store

/// One row of `claims`, typed: a user's request for a payout on one OKX order, and how far its
/// settlement has come.
public struct Claim: Sendable, Equatable {
    public let id: Int64
    public let chainID: UInt64
    public let user: Address
    public let orderID: UInt256
    public let instID: String
    /// Declared on-chain, in pool base units.
    public let principal: UInt256
    public let leverage: Int
    public let state: ClaimState
    /// The verified payout in pool base units (0 when not liquidated), once verified.
    public let amount: UInt256?
    public let liquidated: Bool?
    public let evidenceID: String?
    public let evidenceRoot: Hash?
    /// Why the claim is waiting, was refused or failed.
    public let reason: String?
    public let attempts: Int
    /// Epoch milliseconds before which the pipeline leaves the claim alone (backoff).
    public let nextAttemptAt: Int64
    /// An operator's decision on a held claim.
    public let review: Review?
    /// Who made `review`, and their note.
    public let reviewBy: String?
    public let reviewNote: String?
    /// When verification first came back undecided (epoch ms), while it has not decided since.
    public let undecidedSince: Int64?
    /// The UTC day (days since 1970, chain time) the payout was submitted on; counts against that day's limit.
    public let payoutDay: Int64?
    /// The OKX position whose loss the verdict covers: its lifecycle identity (`posId@cTime`).
    public let positionID: String?
    public let requestBlockNumber: UInt64
    public let requestTxHash: Hash
    public let requestLogIndex: UInt64

    public enum Review: String, Sendable {
        case approved
        case rejected
    }

    /// Whether the claim carries a verdict (amount, liquidated, evidence root) of its own.
    public var hasVerdict: Bool { amount != nil && liquidated != nil && evidenceRoot != nil }

    /// `user/orderId`, how logs and the audit log name a claim.
    public var subject: String { "\(user.description.lowercased())/\(orderID)" }

    /// Whether `other` is the same request (the same log): a reorg may move a request, never rename it.
    func isSameRequest(as other: Claim) -> Bool {
        subject == other.subject && requestTxHash == other.requestTxHash && requestLogIndex == other.requestLogIndex
    }

    init(row: Row) throws {
        id = try row.get("id")
        chainID = try row.get("chain_id")
        user = try Address(hex: try row.get("user", as: String.self))
        orderID = try UInt256(decimal: try row.get("order_id", as: String.self))
        instID = try row.get("inst_id")
        principal = try UInt256(decimal: try row.get("principal", as: String.self))
        leverage = try row.get("leverage")
        let stateText: String = try row.get("state")
        guard let state = ClaimState(rawValue: stateText) else { throw KeeperError(.badData, "claim \(id) has an unknown state \(stateText)") }
        self.state = state
        amount = try row.get("amount", as: String?.self).map { try UInt256(decimal: $0) }
        liquidated = try row.get("liquidated", as: Bool?.self)
        evidenceID = try row.get("evidence_id", as: String?.self)
        evidenceRoot = try row.get("evidence_root", as: String?.self).map { try Hash(hex: $0) }
        reason = try row.get("reason", as: String?.self)
        attempts = try row.get("attempts")
        nextAttemptAt = try row.get("next_attempt_at")
        review = try row.get("review", as: String?.self).flatMap(Review.init(rawValue:))
        reviewBy = try row.get("review_by", as: String?.self)
        reviewNote = try row.get("review_note", as: String?.self)
        undecidedSince = try row.get("undecided_since", as: Int64?.self)
        payoutDay = try row.get("payout_day", as: Int64?.self)
        positionID = try row.get("position_id", as: String?.self)
        requestBlockNumber = try row.get("request_block_number")
        requestTxHash = try Hash(hex: try row.get("request_tx_hash", as: String.self))
        requestLogIndex = try row.get("request_log_index")
    }
}
