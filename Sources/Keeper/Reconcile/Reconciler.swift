import Ethereum
import Foundation
import Indexer
import Settlement
import Store
import Synchronization
import Wire

/// The chain-versus-database pass (issue 7): every claim the keeper touched against `getClaim`,
/// the contract's verification and payment events against the keeper's decisions, today's paid
/// total against `paidToday()`, the pool's balance against its event history, and the stored
/// transactions against the signer's nonce. A mismatch opens when first found: it is audited,
/// alerted and — with `pauseOnMismatch` — pauses payouts until `resume`. While it persists later
/// passes count it but raise nothing new; once a pass that could check it no longer finds it, it closes.
public struct Reconciler {
    let database: Database
    let reader: ContractReader
    let chainID: UInt64
    let confirmations: UInt64
    let pauseOnMismatch: Bool
    /// The keeper's signer: a transaction it sent is its own even when the database that stored it
    /// was lost. Nil when unknown (then only stored transactions count as the keeper's).
    let signer: Address?
    /// Transactions found to be the signer's, kept across passes so that each is asked about once.
    private let signersTransactions = KnownTransactions()
    let metrics: MetricsRegistry?

    public init(database: Database, reader: ContractReader, chainID: UInt64, confirmations: UInt64, pauseOnMismatch: Bool,
                signer: Address? = nil, metrics: MetricsRegistry? = nil) {
        self.database = database
        self.reader = reader
        self.chainID = chainID
        self.confirmations = confirmations
        self.pauseOnMismatch = pauseOnMismatch
        self.signer = signer
        self.metrics = metrics
    }

    /// States in which the keeper's verdict is on-chain and confirmed (`held_review` only once the
    /// chain holds a verdict: a claim may also be held before it is written).
    static let verifiedStates: Set<ClaimState> = [.verified, .rejected, .awaitingLimit, .awaitingFunds, .heldReview, .executePending, .paid]
    /// States in which the keeper has sent nothing for the claim.
    static let untouchedStates: Set<ClaimState> = [.requested, .needsKey, .verifying]

    public func run() async throws(KeeperError) -> [Mismatch] {
        var found = [Mismatch]()
        // Kinds this pass could not check: their open mismatches stay open.
        var unchecked = Set<Mismatch.Kind>()
        let ledger = ClaimLedger(database: database)
        let claims = try ledger.list()
        let byKey = Dictionary(claims.map { ($0.subject, $0) }, uniquingKeysWith: { first, _ in first })
        let indexedThrough = try IndexStore.wrap { try database.fetchOne("SELECT next_block - 1 FROM cursor WHERE id = 1", as: Int64.self) }
        // Every contract read of the pass is at this block, read after the claims: a claim the
        // keeper recorded as paid was paid at or below it.
        let head: UInt64
        do { head = try await reader.rpc.blockNumber() } catch { throw KeeperError(.unavailable, "eth_blockNumber: \(error)") }
        let atHead = BlockTag.number(head)
        // Events are complete only when the index has reached the confirmed head.
        let indexComplete = (indexedThrough ?? -1) >= Int64(head) - Int64(confirmations)

        // Every claim the pass reads, read in batches at the one block.
        let read = claims.filter { Self.verifiedStates.contains($0.state) || Self.untouchedStates.contains($0.state) }
        let onChainClaims = try await reader.claims(read.map { (user: $0.user, orderID: $0.orderID) }, block: atHead)
        let onChainBySubject = Dictionary(zip(read.map(\.subject), onChainClaims), uniquingKeysWith: { first, _ in first })

        // A claim held for review before its verdict was written has nothing on-chain yet; nor has one
        // whose verdict travels with its payment (`verifyAndPay`, a batch) a confirmed verdict until the
        // pipeline reads the outcome: mined in the last blocks, its PayoutVerified may not be indexed yet.
        var heldBeforeVerdict = Set(claims.filter { $0.state == .heldReview && onChainBySubject[$0.subject]?.verified == false }.map(\.subject))
        for claim in claims where claim.state == .executePending {
            if try Self.verdictTravelsWithPayment(claim, database) { heldBeforeVerdict.insert(claim.subject) }
        }
        var claimedOnChain = Set<String>()
        for claim in claims where !Self.untouchedStates.contains(claim.state) && claim.state != .failed {
            guard !heldBeforeVerdict.contains(claim.subject) else {
                // Not compared yet; a payment already in a block still counts towards the day's total below.
                if claim.state == .executePending, onChainBySubject[claim.subject]?.claimed == true { claimedOnChain.insert(claim.subject) }
                continue
            }
            let (mismatch, onChain) = Self.compare(claim, onChainBySubject[claim.subject])
            if let mismatch { found.append(mismatch) }
            if onChain?.claimed == true { claimedOnChain.insert(claim.subject) }
        }
        // The keeper's decisions are the transactions it signed: an event emitted by any other
        // transaction is another signer's, even when the keeper has since adopted its verdict. One
        // not in the database is the keeper's if its sender is the signer (a database lost and rebuilt).
        var sentByKeeper = try IndexStore.wrap { Set(try database.fetchAll("SELECT hash FROM tx_attempts").map { try $0.get("hash", as: String.self) }) }
        let events = try IndexStore.wrap {
            try database.fetchAll("SELECT name, user, order_id, tx_hash, block_number, data FROM events WHERE name IN ('PayoutVerified', 'PayoutExecuted', 'FundsDeposited', 'FundsWithdrawn')")
        }
        var verifiedEvents = Set<String>(), executedEvents = Set<String>()
        // The block of each PayoutExecuted the keeper sent, by claim.
        var executedByKeeperAt = [String: UInt64]()
        var deposits = UInt256.zero, withdrawals = UInt256.zero, payouts = UInt256.zero
        for row in events {
            let (name, data) = try IndexStore.wrap { (try row.get("name", as: String.self), try JSON(parsing: try row.get("data", as: String.self))) }
            let amount = try Self.amount(data)
            switch name {
            case "FundsDeposited": deposits = try Self.add(deposits, amount)
            case "FundsWithdrawn": withdrawals = try Self.add(withdrawals, amount)
            default:
                let (subject, txHash) = try IndexStore.wrap {
                    ("\(try row.get("user", as: String.self))/\(try row.get("order_id", as: String.self))", try row.get("tx_hash", as: String.self))
                }
                if !sentByKeeper.contains(txHash), try await sentBySigner(txHash) { sentByKeeper.insert(txHash) }
                let foreign = !sentByKeeper.contains(txHash)
                let state = byKey[subject]?.state.rawValue ?? "unknown to the keeper"
                if name == "PayoutExecuted" {
                    payouts = try Self.add(payouts, amount)
                    executedEvents.insert(subject)
                    if !foreign { executedByKeeperAt[subject] = try IndexStore.wrap { try row.get("block_number", as: UInt64.self) } }
                    if foreign { found.append(Mismatch(.foreignPayout, subject, "PayoutExecuted of \(amount) by \(txHash), which the keeper did not send; the claim is \(state)")) }
                } else {
                    verifiedEvents.insert(subject)
                    if foreign { found.append(Mismatch(.foreignVerification, subject, "PayoutVerified by \(txHash), which the keeper did not send; the claim is \(state)")) }
                }
            }
        }
        if indexComplete {
            // A claim the keeper has not acted on (yet) with a verdict on-chain but no PayoutVerified
            // indexed. With the event indexed, its sender decides (above): the keeper's own verdict
            // is adopted by the pipeline, as after a reorg or with a database rebuilt from the chain.
            for claim in claims where Self.untouchedStates.contains(claim.state) && !verifiedEvents.contains(claim.subject) {
                if onChainBySubject[claim.subject]?.verified == true {
                    found.append(Mismatch(.foreignVerification, claim.subject, "verified on-chain while the keeper has sent no verdict and no PayoutVerified is indexed"))
                }
            }
            for claim in claims {
                if Self.verifiedStates.contains(claim.state), !heldBeforeVerdict.contains(claim.subject), !verifiedEvents.contains(claim.subject) {
                    found.append(Mismatch(.missingEvent, claim.subject, "the keeper recorded a confirmed verdict but no PayoutVerified event is indexed"))
                }
                if claim.state == .paid, !executedEvents.contains(claim.subject) {
                    found.append(Mismatch(.missingEvent, claim.subject, "the keeper recorded a payment but no PayoutExecuted event is indexed"))
                }
            }
            if let indexedThrough, indexedThrough >= 0 {
                let balance = try await reader.poolBalance(block: .number(UInt64(indexedThrough)))
                let (afterPayouts, short1) = deposits.subtractingReportingOverflow(payouts)
                let (expected, short2) = afterPayouts.subtractingReportingOverflow(withdrawals)
                if short1 || short2 || expected != balance {
                    found.append(Mismatch(.poolBalance, "pool", "balance \(balance) at block \(indexedThrough); deposits \(deposits) − payouts \(payouts) − withdrawals \(withdrawals) = \(short1 || short2 ? "negative" : expected.description)"))
                }
            } else {
                unchecked.insert(.poolBalance)
            }
        } else {
            unchecked.formUnion([.missingEvent, .poolBalance])
        }

        let day = try await reader.chainDay(block: atHead)
        let paidOnChain = try await reader.paidToday(block: atHead)
        var paidByKeeper = UInt256.zero
        var paidTodayChecked = true
        var days = [UInt64: Int64]()  // a batch pays many claims in one block: its day is read once
        func dayOf(_ block: UInt64) async throws(KeeperError) -> Int64 {
            if let known = days[block] { return known }
            let found = try await reader.chainDay(block: .number(block))
            days[block] = found
            return found
        }
        // A payout counts from its block on, though the keeper records it paid only at confirmed
        // depth: a paid claim on the day recorded then (its block's), one still pending on the day
        // of its indexed PayoutExecuted (sent before midnight, it may be mined after); with that
        // event not indexed yet the day's total cannot be compared in this pass.
        for claim in claims where claimedOnChain.contains(claim.subject) && (claim.state == .paid || claim.state == .executePending) {
            let paidOn: Int64?
            if claim.state == .paid {
                paidOn = claim.payoutDay
            } else if let block = executedByKeeperAt[claim.subject] {
                paidOn = try await dayOf(block)
            } else {
                paidTodayChecked = false
                continue
            }
            if paidOn == day { paidByKeeper = try Self.add(paidByKeeper, claim.amount ?? .zero) }
        }
        // A claim the keeper paid but has not adopted yet (re-indexed after a reorg, or rebuilt from
        // the chain) counts on the day of its PayoutExecuted, likewise.
        for claim in claims where Self.untouchedStates.contains(claim.state) {
            guard let onChain = onChainBySubject[claim.subject], onChain.claimed else { continue }
            guard let block = executedByKeeperAt[claim.subject] else {
                // Paid by another signer (its event indexed: foreign_payout), or not indexed yet.
                if !executedEvents.contains(claim.subject) { paidTodayChecked = false }
                continue
            }
            if try await dayOf(block) == day { paidByKeeper = try Self.add(paidByKeeper, onChain.amount) }
        }
        if !paidTodayChecked {
            unchecked.insert(.paidToday)
        } else if paidByKeeper != paidOnChain {
            found.append(Mismatch(.paidToday, "day \(day)", "the keeper paid \(paidByKeeper) today; the contract's paidToday() is \(paidOnChain)"))
        }

        let nonces = try await nonceMismatches()
        found += nonces.found
        if !nonces.concluded { unchecked.insert(.nonce) }

        try record(found, unchecked: unchecked)
        return found
    }

    /// Whether the transaction `hash` was sent by the keeper's signer, by the node's record of it.
    private func sentBySigner(_ hash: String) async throws(KeeperError) -> Bool {
        guard let signer else { return false }
        if signersTransactions.hashes.withLock({ $0.contains(hash) }) { return true }
        let transaction: TransactionInfo?
        do { transaction = try await reader.rpc.transaction(try Hash(hex: hash)) } catch {
            throw KeeperError(.unavailable, "eth_getTransactionByHash \(hash): \(error)")
        }
        guard transaction?.from == signer else { return false }
        signersTransactions.hashes.withLock { _ = $0.insert(hash) }
        return true
    }

    /// Whether the claim's newest transaction for its payment also carries its verdict (`tx_items`
    /// holds both jobs for it): the verdict is not confirmed before the pipeline has read that outcome.
    static func verdictTravelsWithPayment(_ claim: Claim, _ database: Database) throws(KeeperError) -> Bool {
        try IndexStore.wrap {
            try database.fetchOne("""
                SELECT count(*) FROM tx_items WHERE request_tx_hash = ?1 AND request_log_index = ?2 AND action = 'verify' AND tx_id = (
                    SELECT max(tx_id) FROM tx_items WHERE request_tx_hash = ?1 AND request_log_index = ?2 AND action = 'execute')
                """, [claim.requestTxHash.description, claim.requestLogIndex], as: Int.self) ?? 0 > 0
        }
    }

    /// A claim the keeper acted on against `getClaim`; also answers what the chain says (nil while
    /// the keeper's verdict is not confirmed yet).
    private static func compare(_ claim: Claim, _ read: OnChainClaim?) -> (Mismatch?, OnChainClaim?) {
        guard verifiedStates.contains(claim.state), let onChain = read else { return (nil, nil) }  // verify_pending: not confirmed yet
        var problems = [String]()
        if !onChain.verified { problems.append("not verified on-chain") }
        if let amount = claim.amount, onChain.amount != amount { problems.append("amount \(onChain.amount) on-chain, \(amount) recorded") }
        if let liquidated = claim.liquidated, onChain.liquidated != liquidated { problems.append("liquidated \(onChain.liquidated) on-chain, \(liquidated) recorded") }
        if let root = claim.evidenceRoot, onChain.evidenceRoot != root { problems.append("evidence root \(onChain.evidenceRoot) on-chain, \(root) recorded") }
        if claim.state == .paid, !onChain.claimed { problems.append("recorded paid, not claimed on-chain") }
        if claim.state != .paid, claim.state != .executePending, onChain.claimed { problems.append("claimed on-chain while recorded \(claim.state.rawValue)") }
        return (problems.isEmpty ? nil : Mismatch(.claimState, claim.subject, problems.joined(separator: "; ")), onChain)
    }

    /// Counts the pass, and in one transaction: opens the mismatches not already open (audited,
    /// alerted, and pausing payouts when configured to), closes the open ones this pass checked and
    /// no longer found, and audits the run.
    private func record(_ mismatches: [Mismatch], unchecked: Set<Mismatch.Kind>) throws(KeeperError) {
        metrics?.increment("lgk_reconcile_runs_total")
        for mismatch in mismatches { metrics?.increment("lgk_reconcile_mismatches_total", [mismatch.kind.rawValue]) }
        try IndexStore.wrap {
            try database.transaction { db in
                var current = [String: Mismatch]()
                for mismatch in mismatches where current[mismatch.key] == nil { current[mismatch.key] = mismatch }
                var opened = [Mismatch]()
                for row in try db.fetchAll("SELECT key, kind, subject FROM open_mismatches") {
                    let key: String = try row.get("key")
                    if current.removeValue(forKey: key) != nil {
                        _ = try db.execute("UPDATE open_mismatches SET last_seen = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE key = ?", [key])
                    } else if let kind = Mismatch.Kind(rawValue: try row.get("kind")), !unchecked.contains(kind) {
                        _ = try db.execute("DELETE FROM open_mismatches WHERE key = ?", [key])
                        try AuditLog.append(db, kind: "reconcile.resolved", subject: try row.get("subject"), detail: ["kind": .string(kind.rawValue)])
                    }
                }
                for mismatch in mismatches where current.removeValue(forKey: mismatch.key) != nil {
                    opened.append(mismatch)
                    _ = try db.execute("""
                        INSERT INTO open_mismatches (key, kind, subject, detail, first_seen, last_seen)
                        VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'), strftime('%Y-%m-%dT%H:%M:%fZ','now'))
                        """, [mismatch.key, mismatch.kind.rawValue, mismatch.subject, mismatch.detail])
                }
                try AuditLog.append(db, kind: "reconcile.run", subject: "reconciler",
                                    detail: ["mismatches": JSON(mismatches.count), "opened": JSON(opened.count)])
                for mismatch in opened {
                    try AuditLog.append(db, kind: "reconcile.mismatch", subject: mismatch.subject, detail: mismatch.json)
                    try AlertOutbox.raise(db, .reconciliationMismatch, "\(mismatch.kind.rawValue) \(mismatch.subject): \(mismatch.detail)",
                                          detail: mismatch.json, dedupeKey: mismatch.key)
                }
                if pauseOnMismatch, let first = opened.first {
                    try KeeperControl.pause(db, reason: "reconciliation found \(opened.count) new mismatch(es), first \(first.kind.rawValue) \(first.subject)")
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

/// Transaction hashes, shared by the copies of a `Reconciler`.
final class KnownTransactions: Sendable {
    let hashes = Mutex<Set<String>>([])
}
