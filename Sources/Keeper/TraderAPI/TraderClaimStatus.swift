import Ethereum
import Indexer
import Settlement
import Store
import Verification
import Wire

/// `GET /api/claims/{wallet}/{orderId}`: what a trader (or anyone) may know of a claim — its state,
/// the amount in pool units, the verdict and payout transactions as the chain holds them, the
/// evidence root and whether the chain's `PayoutVerified` carries it, and what the trader can do
/// next. No reason text (it may name keys or OKX answers) and no evidence bundle (it holds the
/// trader's OKX data: `TraderEvidence` serves it to the wallet alone).
public enum TraderClaimStatus {
    /// What the trader can do next.
    public enum NextStep: String, Sendable {
        case registerKey = "register_key"
        case waitForReview = "wait_for_review"
        case wait
        case nothing

        var text: String {
            switch self {
            case .registerKey: "register a read-only OKX key for this wallet (POST /api/keys/challenge, then POST /api/keys); the claim resumes at once"
            case .waitForReview: "nothing to do: an operator reviews this claim"
            case .wait: "nothing to do: the keeper is settling this claim"
            case .nothing: "nothing: the claim is settled"
            }
        }
    }

    static func nextStep(_ claim: Claim) -> NextStep {
        switch claim.state {
        case .needsKey: .registerKey
        case .heldReview: .waitForReview
        case .paid, .rejected: .nothing
        case .failed: .waitForReview
        case .requested, .verifying, .verifyPending, .verified, .awaitingLimit, .awaitingFunds, .executePending: .wait
        }
    }

    /// The claim's public status, or nil when the keeper has no such claim.
    static func read(wallet: Address, orderID: UInt256, pool: PoolUnit, in db: Database) throws -> JSON? {
        guard let claim = try ClaimLedger(database: db).claim(user: wallet, orderID: orderID) else { return nil }
        let user = wallet.description.lowercased()
        let verified = try PayoutVerifiedRecord.find(in: db, orderID: orderID.description, user: user)
        let executed = try db.fetchAll("SELECT tx_hash, block_number FROM events WHERE name = 'PayoutExecuted' AND user = ? AND order_id = ? ORDER BY block_number, log_index",
                                       [user, orderID.description])
        var evidence: JSON = .null
        if let root = claim.evidenceRoot {
            let onChain: String
            if verified.isEmpty { onChain = "not_yet" } else if verified.contains(where: { $0.evidenceRoot == root }) { onChain = "match" } else { onChain = "mismatch" }
            evidence = ["root": .string(root.description), "chain": .string(onChain)]
        }
        let next = nextStep(claim)
        var object: [String: JSON] = [
            "wallet": .string(user),
            "orderId": .string(orderID.description),
            "state": .string(claim.state.rawValue),
            "currency": .string(pool.currency),
            "amount": claim.amount.map { .string(PoolUnit.whole($0, decimals: pool.decimals)) } ?? .null,
            "liquidated": claim.liquidated.map(JSON.bool) ?? .null,
            "verdictTx": verified.last.map { .string($0.transactionHash) } ?? .null,
            "payoutTx": try executed.last.map { .string(try $0.get(0, as: String.self)) } ?? .null,
            "evidence": evidence,
            "next": ["step": .string(next.rawValue), "text": .string(next.text)],
        ]
        if let block = verified.last?.blockNumber { object["verdictBlock"] = JSON(Int(block)) }
        return .object(object)
    }
}
