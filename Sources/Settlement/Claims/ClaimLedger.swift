import Ethereum
import Foundation
import Indexer
import Store
import Wire

/// The pipeline's access to `claims`: reads, and state transitions that are checked against the
/// state machine, written with their audit row, and refused when the row moved underneath.
public struct ClaimLedger {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// The fields a transition may set besides the state. nil leaves a column as it is.
    public struct Changes: Sendable {
        public var amount: UInt256?
        public var liquidated: Bool?
        public var evidenceID: String?
        public var evidenceRoot: Hash?
        public var reason: String??
        public var attempts: Int?
        public var nextAttemptAt: Int64?
        public var review: Claim.Review??
        public var reviewBy: String??
        public var reviewNote: String??
        public var payoutDay: Int64?
        public var positionID: String?
        public var undecidedSince: Int64??

        public init(amount: UInt256? = nil, liquidated: Bool? = nil, evidenceID: String? = nil, evidenceRoot: Hash? = nil,
                    reason: String?? = nil, attempts: Int? = nil, nextAttemptAt: Int64? = nil, review: Claim.Review?? = nil,
                    reviewBy: String?? = nil, reviewNote: String?? = nil, payoutDay: Int64? = nil, positionID: String? = nil,
                    undecidedSince: Int64?? = nil) {
            self.amount = amount
            self.liquidated = liquidated
            self.evidenceID = evidenceID
            self.evidenceRoot = evidenceRoot
            self.reason = reason
            self.attempts = attempts
            self.nextAttemptAt = nextAttemptAt
            self.review = review
            self.reviewBy = reviewBy
            self.reviewNote = reviewNote
            self.payoutDay = payoutDay
            self.positionID = positionID
            self.undecidedSince = undecidedSince
        }

        var assignments: [(column: String, value: any DatabaseValueConvertible)] {
            var list = [(column: String, value: any DatabaseValueConvertible)]()
            if let amount { list.append(("amount", amount.description)) }
            if let liquidated { list.append(("liquidated", liquidated)) }
            if let evidenceID { list.append(("evidence_id", evidenceID)) }
            if let evidenceRoot { list.append(("evidence_root", evidenceRoot.description)) }
            if let reason { list.append(("reason", reason)) }
            if let attempts { list.append(("attempts", attempts)) }
            if let nextAttemptAt { list.append(("next_attempt_at", nextAttemptAt)) }
            if let review { list.append(("review", review?.rawValue)) }
            if let reviewBy { list.append(("review_by", reviewBy)) }
            if let reviewNote { list.append(("review_note", reviewNote)) }
            if let payoutDay { list.append(("payout_day", payoutDay)) }
            if let positionID { list.append(("position_id", positionID)) }
            if let undecidedSince { list.append(("undecided_since", undecidedSince)) }
            return list
        }

        var auditDetail: [String: JSON] {
            var detail = [String: JSON]()
            if let amount { detail["amount"] = .string(amount.description) }
            if let liquidated { detail["liquidated"] = .bool(liquidated) }
            if let evidenceID { detail["evidenceId"] = .string(evidenceID) }
            if let evidenceRoot { detail["evidenceRoot"] = .string(evidenceRoot.description) }
            if let reason { detail["reason"] = reason.map { .string($0) } ?? .null }
            if let review { detail["review"] = review.map { .string($0.rawValue) } ?? .null }
            if let reviewBy { detail["reviewBy"] = reviewBy.map { .string($0) } ?? .null }
            if let reviewNote { detail["reviewNote"] = reviewNote.map { .string($0) } ?? .null }
            if let undecidedSince { detail["undecidedSince"] = undecidedSince.map { JSON(Int($0)) } ?? .null }
            if let payoutDay { detail["payoutDay"] = JSON(Int(payoutDay)) }
            if let positionID { detail["positionId"] = .string(positionID) }
            return detail
        }
    }

    // MARK: Reads

    public func claim(user: Address, orderID: UInt256) throws(KeeperError) -> Claim? {
        try IndexStore.wrap {
            try database.fetchOne("SELECT * FROM claims WHERE user = ? AND order_id = ?", [user.description.lowercased(), orderID.description])
                .map(Claim.init(row:))
        }
    }

    public func claim(id: Int64) throws(KeeperError) -> Claim? {
        try IndexStore.wrap { try database.fetchOne("SELECT * FROM claims WHERE id = ?", [id]).map(Claim.init(row:)) }
    }

    /// Every claim, or those in `state`, oldest request first.
    /// The positions whose loss a claim other than `claim` covers: its verdict pays something and
    /// the claim is not failed (an operator's rejection frees the position).
    /// Every position a claim's paying verdict covers, with the claims that hold it (what
    /// `claimedPositions(except:)` answers for all claims at once).
    public func positionHolders() throws(KeeperError) -> [String: Set<Int64>] {
        try IndexStore.wrap {
            var holders = [String: Set<Int64>]()
            for row in try database.fetchAll("""
                SELECT position_id, id FROM claims
                WHERE position_id IS NOT NULL AND amount IS NOT NULL AND amount != '0' AND state != 'failed'
                """) {
                holders[try row.get(0, as: String.self), default: []].insert(try row.get(1, as: Int64.self))
            }
            return holders
        }
    }

    public func claimedPositions(except claim: Claim) throws(KeeperError) -> Set<String> {
        try IndexStore.wrap {
            Set(try database.fetchAll("""
                SELECT DISTINCT position_id FROM claims
                WHERE position_id IS NOT NULL AND id != ? AND amount IS NOT NULL AND amount != '0' AND state != 'failed'
                """, [claim.id]).map { try $0.get(0, as: String.self) })
        }
    }

    /// Every transition and decision about `claim`, from the audit log, oldest first.
    public func history(of claim: Claim) throws(KeeperError) -> [AuditLog.Entry] {
        try IndexStore.wrap { try AuditLog.entries(database, subject: claim.subject) }
    }

    public func list(state: ClaimState? = nil) throws(KeeperError) -> [Claim] {
        try IndexStore.wrap {
            if let state {
                return try database.fetchAll("SELECT * FROM claims WHERE state = ? ORDER BY request_block_number, request_log_index", [state.rawValue]).map(Claim.init(row:))
            }
            return try database.fetchAll("SELECT * FROM claims ORDER BY request_block_number, request_log_index").map(Claim.init(row:))
        }
    }

    /// One page of claims, newest request first (the console's list), and how many there are in all.
    public func page(state: ClaimState?, limit: Int, offset: Int) throws(KeeperError) -> (claims: [Claim], total: Int) {
        try IndexStore.wrap {
            let filter = state == nil ? "" : "WHERE state = ?1"
            let arguments: [any DatabaseValueConvertible] = state.map { [$0.rawValue] } ?? []
            let total = try database.fetchOne("SELECT count(*) FROM claims \(filter)", arguments, as: Int.self) ?? 0
            let claims = try database.fetchAll("""
                SELECT * FROM claims \(filter) ORDER BY request_block_number DESC, request_log_index DESC LIMIT \(max(limit, 0)) OFFSET \(max(offset, 0))
                """, arguments).map(Claim.init(row:))
            return (claims, total)
        }
    }

    /// Unfinished claims requested in a confirmed block while processing is not halted, whose
    /// backoff has passed, oldest first; not a claim waiting for a transaction in flight (its own or
    /// one covering it, `tx_items`): only that transaction's outcome can move it.
    public func actionable(now: Int64, limit: Int = 100) throws(KeeperError) -> [Claim] {
        try IndexStore.wrap {
            try database.fetchAll("""
                SELECT * FROM actionable_claims c WHERE state NOT IN ('paid', 'rejected', 'failed') AND next_attempt_at <= ?
                  AND NOT (state IN ('verify_pending', 'execute_pending') AND (
                    EXISTS (SELECT 1 FROM txs t WHERE t.chain_id = c.chain_id AND t.request_tx_hash = c.request_tx_hash
                              AND t.request_log_index = c.request_log_index AND t.state IN ('pending', 'mined'))
                    OR EXISTS (SELECT 1 FROM tx_items i JOIN txs t ON t.id = i.tx_id WHERE i.chain_id = c.chain_id
                                 AND i.request_tx_hash = c.request_tx_hash AND i.request_log_index = c.request_log_index
                                 AND t.state IN ('pending', 'mined'))))
                ORDER BY request_block_number, request_log_index LIMIT ?
                """, [now, limit]).map(Claim.init(row:))
        }
    }

    /// Whether the same trader has an earlier-requested claim on the same instrument that is being
    /// verified now (requested, or verifying without backoff and not undecided): its verdict comes first.
    public func hasEarlierClaimBeingVerified(than claim: Claim) throws(KeeperError) -> Bool {
        try IndexStore.wrap {
            try database.fetchOne("""
                SELECT count(*) FROM claims WHERE user = ?1 AND inst_id = ?2 AND id != ?3
                  AND (state = 'requested' OR (state = 'verifying' AND attempts = 0 AND undecided_since IS NULL))
                  AND (request_block_number < ?4 OR (request_block_number = ?4 AND request_log_index < ?5))
                """, [claim.user.description.lowercased(), claim.instID, claim.id, claim.requestBlockNumber, claim.requestLogIndex], as: Int.self) ?? 0 > 0
        }
    }

    /// Claims still `requested` whose request block is above the confirmed one (not actionable yet),
    /// oldest first, while processing is not halted.
    public func unconfirmed(limit: Int) throws(KeeperError) -> [Claim] {
        try IndexStore.wrap {
            try database.fetchAll("""
                SELECT claims.* FROM claims JOIN cursor ON cursor.id = 1
                WHERE cursor.halted = 0 AND claims.state = 'requested' AND claims.request_block_number > cursor.confirmed_block
                ORDER BY request_block_number, request_log_index LIMIT ?
                """, [limit]).map(Claim.init(row:))
        }
    }

    /// The amount paid or being paid on `day` (UTC days since 1970) by this keeper's own record.
    public func committedPayouts(day: Int64) throws(KeeperError) -> UInt256 {
        try IndexStore.wrap {
            var total = UInt256.zero
            for row in try database.fetchAll("SELECT amount FROM claims WHERE payout_day = ? AND state IN ('execute_pending', 'paid')", [day]) {
                total = try total.adding(try UInt256(decimal: try row.get(0, as: String.self)))
            }
            return total
        }
    }

    // MARK: Writes

    /// Moves `claim` to `state` with `changes`, and appends the audit row, in one transaction (or
    /// inside the caller's, e.g. the transaction manager's commit of a signed transaction).
    /// Throws if the stored row is no longer in `claim.state` or the move is not in the state machine.
    public func transition(_ claim: Claim, to state: ClaimState, _ changes: Changes = Changes(), why: String? = nil) throws(KeeperError) {
        try IndexStore.wrap { try database.transaction { db in try Self.transition(claim, to: state, changes, why: why, in: db) } }
    }

    public static func transition(_ claim: Claim, to state: ClaimState, _ changes: Changes = Changes(), why: String? = nil, in db: Database) throws {
        guard claim.state.successors.contains(state) else {
            throw KeeperError(.software, "claim \(claim.subject): \(claim.state.rawValue) → \(state.rawValue) is not a transition of the claim state machine")
        }
        let assignments = changes.assignments
        let sets = (["state = ?", "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')"] + assignments.map { "\($0.column) = ?" }).joined(separator: ", ")
        let arguments: [any DatabaseValueConvertible] = [state.rawValue] + assignments.map(\.value) + [claim.id, claim.state.rawValue]
        let changed = try db.execute("UPDATE claims SET \(sets) WHERE id = ? AND state = ?", arguments)
        guard changed == 1 else {
            throw KeeperError(.badData, "claim \(claim.subject) is no longer \(claim.state.rawValue): another writer moved it")
        }
        var detail = changes.auditDetail
        detail["from"] = .string(claim.state.rawValue)
        detail["to"] = .string(state.rawValue)
        if let why { detail["why"] = .string(why) }
        try AuditLog.append(db, kind: "claim.transition", subject: claim.subject, detail: .object(detail))
    }

    /// Leaves the claim in its state and looks at it again at `time` (epoch ms): not a transition,
    /// so no audit row.
    public func reschedule(_ claim: Claim, at time: Int64) throws(KeeperError) {
        try IndexStore.wrap {
            _ = try database.execute("UPDATE claims SET next_attempt_at = ? WHERE id = ? AND state = ?", [time, claim.id, claim.state.rawValue])
        }
    }

    /// Records an operator's decision on a claim held for review, audited; the pipeline acts on it
    /// at once. `approve` lets it write the held verdict (or pay a verdict already on-chain);
    /// `reject` makes it write "not paid" on-chain (amount 0, the decision sealed in the evidence),
    /// or end the claim in `failed` when the contract already holds a verdict. A claim held without
    /// a verdict cannot be approved: `retry` checks it again.
    public func review(user: Address, orderID: UInt256, _ decision: Claim.Review, by operatorName: String,
                       note: String? = nil) throws(KeeperError) -> Claim {
        try IndexStore.wrap {
            try database.transaction { db in
                let claim = try Self.claim(user: user, orderID: orderID, in: db)
                guard claim.state == .heldReview else {
                    throw KeeperError(.badData, "claim \(claim.subject) is \(claim.state.rawValue), not held_review: only held claims can be approved or rejected")
                }
                if let earlier = claim.review {
                    throw KeeperError(.badData, "claim \(claim.subject) was already \(earlier.rawValue) by \(claim.reviewBy ?? "an operator"); the keeper is acting on it")
                }
                if decision == .approved && !claim.hasVerdict {
                    throw KeeperError(.badData, "claim \(claim.subject) has no verdict to approve (\(claim.reason ?? "held")): `lg-keeper claims retry` checks it again, `claims reject` writes \"not paid\"")
                }
                _ = try db.execute("""
                    UPDATE claims SET review = ?, review_by = ?, review_note = ?, next_attempt_at = 0,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ? AND state = 'held_review'
                    """, [decision.rawValue, operatorName, note, claim.id])
                var detail: [String: JSON] = ["decision": .string(decision.rawValue), "by": .string(operatorName)]
                if let note { detail["note"] = .string(note) }
                try AuditLog.append(db, kind: "claim.review", subject: claim.subject, detail: .object(detail))
                return try Self.claim(user: user, orderID: orderID, in: db)
            }
        }
    }

    /// An operator's `claims retry`: a `failed` claim, or one held for review without a verdict, goes
    /// back to `requested` with its attempts, decision window and review cleared, audited.
    public func retry(user: Address, orderID: UInt256, by operatorName: String) throws(KeeperError) -> Claim {
        try IndexStore.wrap {
            try database.transaction { db in
                let claim = try Self.claim(user: user, orderID: orderID, in: db)
                switch claim.state {
                case .failed: break
                case .heldReview where !claim.hasVerdict: break
                case .heldReview:
                    throw KeeperError(.badData, "claim \(claim.subject) is held with a verdict: decide it with `lg-keeper claims approve` or `claims reject`")
                default:
                    throw KeeperError(.badData, "claim \(claim.subject) is \(claim.state.rawValue): only a failed claim, or one held without a verdict, can be retried")
                }
                try Self.transition(claim, to: .requested, Changes(reason: .some("retried by operator \(operatorName) (was: \(claim.reason ?? claim.state.rawValue))"),
                                                                  attempts: 0, nextAttemptAt: 0, review: .some(nil), reviewBy: .some(nil),
                                                                  reviewNote: .some(nil), undecidedSince: .some(nil)),
                                    why: "operator retry by \(operatorName)", in: db)
                return try Self.claim(user: user, orderID: orderID, in: db)
            }
        }
    }

    /// A key was added for `wallet`: its claims waiting in `needs_key` are looked at on the next
    /// pass, with no operator. Runs inside the caller's transaction (the vault write); audited.
    /// Returns how many claims were resumed.
    @discardableResult
    public static func resumeNeedingKey(wallet: String, in db: Database) throws -> Int {
        let user = wallet.lowercased()
        let resumed = try db.execute("UPDATE claims SET next_attempt_at = 0 WHERE user = ? AND state = 'needs_key'", [user])
        if resumed > 0 {
            try AuditLog.append(db, kind: "claims.key_added", subject: user, detail: ["resumed": JSON(resumed)])
        }
        return resumed
    }

    private static func claim(user: Address, orderID: UInt256, in db: Database) throws -> Claim {
        guard let claim = try db.fetchOne("SELECT * FROM claims WHERE user = ? AND order_id = ?",
                                          [user.description.lowercased(), orderID.description]).map(Claim.init(row:)) else {
            throw KeeperError(.badData, "no claim for user \(user) and order \(orderID)")
        }
        return claim
    }
}
