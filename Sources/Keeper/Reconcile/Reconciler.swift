import Ethereum
import Foundation
import Store
import Wire

/// The chain-versus-database pass (issue 7): every claim the keeper touched against `getClaim`,
/// the contract's verification and payment events against the keeper's decisions, today's paid
/// total against `paidToday()`, and the pool's balance against its event history. Each mismatch
/// is audited, alerted and counted; with `pauseOnMismatch` the keeper stops paying until `resume`.
public struct Reconciler {
    let database: Database
    let reader: ContractReader
    let confirmations: UInt64
    let pauseOnMismatch: Bool
    let metrics: MetricsRegistry?

    public init(database: Database, reader: ContractReader, confirmations: UInt64, pauseOnMismatch: Bool, metrics: MetricsRegistry? = nil) {
        self.database = database
        self.reader = reader
        self.confirmations = confirmations
        self.pauseOnMismatch = pauseOnMismatch
        self.metrics = metrics
    }

    /// States in which the keeper's verdict is on-chain and confirmed.
    static let verifiedStates: Set<ClaimState> = [.verified, .rejected, .awaitingLimit, .awaitingFunds, .heldReview, .executePending, .paid]
    /// States in which the keeper has sent nothing for the claim.
    static let untouchedStates: Set<ClaimState> = [.requested, .needsKey, .verifying]

    public func run() async throws(KeeperError) -> [Mismatch] {
        var found = [Mismatch]()
        let ledger = ClaimLedger(database: database)
        let claims = try ledger.list()
        let byKey = Dictionary(claims.map { ($0.subject, $0) }, uniquingKeysWith: { first, _ in first })
        let indexedThrough = try IndexStore.wrap { try database.fetchOne("SELECT next_block - 1 FROM cursor WHERE id = 1", as: Int64.self) }
        let head: UInt64
        do { head = try await reader.rpc.blockNumber() } catch { throw KeeperError(.unavailable, "eth_blockNumber: \(error)") }
        // Events are complete only when the index has reached the confirmed head.
        let indexComplete = (indexedThrough ?? -1) >= Int64(head) - Int64(confirmations)

        for claim in claims where !Self.untouchedStates.contains(claim.state) && claim.state != .failed {
            found += try await compare(claim)
        }
        for claim in claims where Self.untouchedStates.contains(claim.state) {
            let onChain = try await reader.claim(user: claim.user, orderID: claim.orderID)
            if onChain.verified { found.append(Mismatch(.foreignVerification, claim.subject, "verified on-chain while the keeper has sent no verdict")) }
        }

        let events = try IndexStore.wrap { try database.fetchAll("SELECT name, user, order_id, data FROM events WHERE name IN ('PayoutVerified', 'PayoutExecuted', 'FundsDeposited', 'FundsWithdrawn')") }
        var verifiedEvents = Set<String>(), executedEvents = Set<String>()
        var deposits = UInt256.zero, withdrawals = UInt256.zero, payouts = UInt256.zero
        for row in events {
            let (name, data) = try IndexStore.wrap { (try row.get("name", as: String.self), try JSON(parsing: try row.get("data", as: String.self))) }
            let amount = try Self.amount(data)
            switch name {
            case "FundsDeposited": deposits = try Self.add(deposits, amount)
            case "FundsWithdrawn": withdrawals = try Self.add(withdrawals, amount)
            default:
                let subject = try IndexStore.wrap { "\(try row.get("user", as: String.self))/\(try row.get("order_id", as: String.self))" }
                let claim = byKey[subject]
                if name == "PayoutExecuted" {
                    payouts = try Self.add(payouts, amount)
                    executedEvents.insert(subject)
                    if claim == nil || !(claim!.state == .executePending || claim!.state == .paid) {
                        found.append(Mismatch(.foreignPayout, subject, "PayoutExecuted of \(amount) while the keeper's claim is \(claim?.state.rawValue ?? "unknown")"))
                    }
                } else {
                    verifiedEvents.insert(subject)
                    let root = data["evidenceRoot"]?.stringValue
                    // A failed claim may carry the keeper's own verdict (e.g. rejected by the operator after
                    // verifyPayout confirmed): its evidence root tells it from another signer's.
                    if claim == nil || Self.untouchedStates.contains(claim!.state) || (claim!.state == .failed && claim!.evidenceRoot == nil) {
                        found.append(Mismatch(.foreignVerification, subject, "PayoutVerified while the keeper's claim is \(claim?.state.rawValue ?? "unknown")"))
                    } else if let ours = claim!.evidenceRoot, root != ours.description {
                        found.append(Mismatch(.foreignVerification, subject, "PayoutVerified with root \(root ?? "none"), the keeper sent \(ours)"))
                    }
                }
            }
        }
        if indexComplete {
            for claim in claims {
                if Self.verifiedStates.contains(claim.state), !verifiedEvents.contains(claim.subject) {
                    found.append(Mismatch(.missingEvent, claim.subject, "the keeper recorded a confirmed verdict but no PayoutVerified event is indexed"))
                }
                if claim.state == .paid, !executedEvents.contains(claim.subject) {
                    found.append(Mismatch(.missingEvent, claim.subject, "the keeper recorded a payment but no PayoutExecuted event is indexed"))
                }
            }
            if let indexedThrough, indexedThrough >= 0 {
                let balance: UInt256
                do { balance = try await reader.rpc.balance(of: reader.contract, block: .number(UInt64(indexedThrough))) } catch {
                    throw KeeperError(.unavailable, "eth_getBalance of the pool: \(error)")
                }
                let (afterPayouts, short1) = deposits.subtractingReportingOverflow(payouts)
                let (expected, short2) = afterPayouts.subtractingReportingOverflow(withdrawals)
                if short1 || short2 || expected != balance {
                    found.append(Mismatch(.poolBalance, "pool", "balance \(balance) at block \(indexedThrough); deposits \(deposits) − payouts \(payouts) − withdrawals \(withdrawals) = \(short1 || short2 ? "negative" : expected.description)"))
                }
            }
        }

        let day = try await reader.chainDay()
        let paidOnChain = try await reader.paidToday()
        var paidByKeeper = UInt256.zero
        for claim in claims where claim.state == .paid && claim.payoutDay == day { paidByKeeper = try Self.add(paidByKeeper, claim.amount ?? .zero) }
        // A payout mined but not yet confirmed is on-chain while the keeper still records it execute_pending:
        // the chain's total must lie between what the keeper recorded paid and what it committed.
        let committed = try ledger.committedPayouts(day: day)
        if paidOnChain < paidByKeeper || paidOnChain > committed {
            found.append(Mismatch(.paidToday, "day \(day)", "the keeper paid \(paidByKeeper) today (\(committed) with payouts in flight); the contract's paidToday() is \(paidOnChain)"))
        }

        try record(found)
        return found
    }

    /// A claim with a confirmed keeper verdict against `getClaim`.
    private func compare(_ claim: Claim) async throws(KeeperError) -> [Mismatch] {
        guard Self.verifiedStates.contains(claim.state) else { return [] }  // verify_pending: not confirmed yet
        let onChain = try await reader.claim(user: claim.user, orderID: claim.orderID)
        var problems = [String]()
        if !onChain.verified { problems.append("not verified on-chain") }
        if let amount = claim.amount, onChain.amount != amount { problems.append("amount \(onChain.amount) on-chain, \(amount) recorded") }
        if let liquidated = claim.liquidated, onChain.liquidated != liquidated { problems.append("liquidated \(onChain.liquidated) on-chain, \(liquidated) recorded") }
        if let root = claim.evidenceRoot, onChain.evidenceRoot != root { problems.append("evidence root \(onChain.evidenceRoot) on-chain, \(root) recorded") }
        if claim.state == .paid, !onChain.claimed { problems.append("recorded paid, not claimed on-chain") }
        if claim.state != .paid, claim.state != .executePending, onChain.claimed { problems.append("claimed on-chain while recorded \(claim.state.rawValue)") }
        return problems.isEmpty ? [] : [Mismatch(.claimState, claim.subject, problems.joined(separator: "; "))]
    }

    /// Audits, alerts and counts the pass, and pauses payouts on a mismatch when configured to.
    private func record(_ mismatches: [Mismatch]) throws(KeeperError) {
        metrics?.increment("lgk_reconcile_runs_total")
        for mismatch in mismatches { metrics?.increment("lgk_reconcile_mismatches_total", [mismatch.kind.rawValue]) }
        try IndexStore.wrap {
            try database.transaction { db in
                try AuditLog.append(db, kind: "reconcile.run", subject: "reconciler", detail: ["mismatches": JSON(mismatches.count)])
                for mismatch in mismatches {
                    try AuditLog.append(db, kind: "reconcile.mismatch", subject: mismatch.subject, detail: mismatch.json)
                    try AlertOutbox.raise(db, .reconciliationMismatch, "\(mismatch.kind.rawValue) \(mismatch.subject): \(mismatch.detail)",
                                          detail: mismatch.json, dedupeKey: "\(mismatch.kind.rawValue):\(mismatch.subject)")
                }
                if pauseOnMismatch, let first = mismatches.first {
                    try KeeperControl.pause(db, reason: "reconciliation found \(mismatches.count) mismatch(es), first \(first.kind.rawValue) \(first.subject)")
                }
            }
        }
    }

    static func amount(_ data: JSON) throws(KeeperError) -> UInt256 {
        guard let text = data["amount"]?.stringValue, let value = try? UInt256(decimal: text) else {
            throw KeeperError(.badData, "an indexed event has no decimal amount: \(data.serializedString)")
        }
        return value
    }

    static func add(_ a: UInt256, _ b: UInt256) throws(KeeperError) -> UInt256 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw KeeperError(.badData, "amounts overflow uint256") }
        return sum
    }
}
