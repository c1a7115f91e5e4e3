import Crypto
import Ethereum
import Indexer
import Logging
import Store

/// What one pass read once for all its claims, and the on-chain work it gathered for `flush`.
struct PassWork {
    /// The contract's state of the pass's claims at its start, by claim id.
    var chain: [Int64: OnChainClaim] = [:]
    /// The day's payout figures, read once when the first payment is decided.
    var payouts: PayoutFigures?
    /// Verdicts to write, in the order they were decided.
    var verdicts: [BatchItem] = []
    /// Verified claims to pay.
    var payments: [BatchItem] = []
    /// The positions the queued verdicts cover (`position-already-claimed` within the pass).
    var positions: Set<String> = []
    /// The most gas one batch may use, read once.
    var gasCeiling: UInt64?
    /// The positions claims' paying verdicts cover, with their holders, read once (`claimedPositions`).
    var positionHolders: [String: Set<Int64>]?
    var allClaimedPositions: Set<String> = []

    struct PayoutFigures {
        let day: Int64
        /// max(this keeper's committed payouts, the contract's `paidToday`) plus what the pass queued.
        var usedToday: UInt256
        /// The pool's balance less what the pass queued.
        var poolBalance: UInt256
        /// The contract's `dailyPayoutLimit()`.
        let contractDailyLimit: UInt256
    }
}

/// One claim's part of a transaction the pass sends.
struct BatchItem {
    let claim: Claim
    /// The verdict to write (`verifyPayout…`, `verifyAndPay…`); nil for a payment.
    let verdict: ClaimVerdict?
    let why: String
    /// The chain day its payment counts against, when it pays.
    let day: Int64?
}

/// The contract's batch functions: each skips (with `PayoutSkipped`) an item it cannot do.
enum BatchKind: String, Sendable, Hashable, CaseIterable {
    case verify
    case verifyAndPay
    case execute

    var function: ABIFunction {
        switch self {
        case .verify: LeverageGuardContract.verifyPayoutBatch
        case .verifyAndPay: LeverageGuardContract.verifyAndPayBatch
        case .execute: LeverageGuardContract.executePayoutBatch
        }
    }

    /// The jobs of a claim one item does.
    var actions: [TxAction] {
        switch self {
        case .verify: [.verify]
        case .verifyAndPay: [.verify, .execute]
        case .execute: [.execute]
        }
    }

    /// Where the claim waits while the transaction is in flight.
    var pendingState: ClaimState { self == .verify ? .verifyPending : .executePending }

    /// Gas one item uses in a batch of ten or more, rounded up from the devnode's measurements
    /// (`devnet/tests/test_contract.py` `test_gas_per_item`: ~57,400, ~70,600 and ~24,500 at ten items);
    /// only the first batch's size comes from it: the estimate of the whole batch decides.
    var gasPerItem: UInt64 {
        switch self {
        case .verify: 60_000
        case .verifyAndPay: 75_000
        case .execute: 30_000
        }
    }
}

extension ClaimPipeline {
    /// A claim's verdict, to be written by this pass's `flush`: with its payment (`verifyAndPay`) when
    /// the payout policy, the pool, the pause switches and review allow it now, else alone.
    func queue(_ verdict: ClaimVerdict, for claim: Claim, why: String) async throws(KeeperError) {
        if let earlier = work.verdicts.first(where: { $0.claim.id == claim.id }) {
            // One transaction per claim and job: a second verdict in one pass waits for the next look.
            log.warn("a second verdict for a claim in one pass: the first goes", ["claim": "\(claim.subject)", "state": "\(claim.state.rawValue)", "first": "\(earlier.why)", "second": "\(why)"])
            return
        }
        var day: Int64?
        if verdict.liquidated, verdict.amount > .zero, verdict.refusal == nil, !contractPaused,
           try await decidePayment(claim, amount: verdict.amount, approved: claim.review == .approved) == .pay,
           !(try IndexStore.wrap { try KeeperControl.state(ledger.database) }.paused) {
            day = try commitToPayment(verdict.amount)
        }
        work.verdicts.append(BatchItem(claim: claim, verdict: verdict, why: why, day: day))
        if let position = verdict.positionID { work.positions.insert(position) }
    }

    /// A verified claim the policy lets pay now, to be paid by this pass's `flush`.
    func queuePayment(_ claim: Claim, amount: UInt256) throws(KeeperError) {
        if work.payments.contains(where: { $0.claim.id == claim.id }) || work.verdicts.contains(where: { $0.claim.id == claim.id }) {
            log.warn("a claim's payment queued twice in one pass: the first goes", ["claim": "\(claim.subject)", "state": "\(claim.state.rawValue)"])
            return
        }
        let day = try commitToPayment(amount)
        work.payments.append(BatchItem(claim: claim, verdict: nil, why: "executePayout sent", day: day))
    }

    /// The payout policy's decision for `amount` now, counting what this pass already queued.
    func decidePayment(_ claim: Claim, amount: UInt256, approved: Bool) async throws(KeeperError) -> PayoutPolicy.Decision {
        let figures = try await payoutFigures()
        return settings.policy.decide(PayoutPolicy.Situation(user: claim.user, amount: amount, usedToday: figures.usedToday,
                                                             poolBalance: figures.poolBalance, approved: approved,
                                                             contractDailyLimit: figures.contractDailyLimit))
    }

    private func payoutFigures() async throws(KeeperError) -> PassWork.PayoutFigures {
        if let known = work.payouts { return known }
        let day = try await reader.chainDay()
        let committed = try ledger.committedPayouts(day: day)
        let paidOnChain = try await reader.paidToday()
        let figures = PassWork.PayoutFigures(day: day, usedToday: max(committed, paidOnChain), poolBalance: try await reader.poolBalance(),
                                             contractDailyLimit: try await reader.dailyPayoutLimit())
        work.payouts = figures
        return figures
    }

    /// Counts `amount` against the pass's figures; returns the day it is paid on.
    private func commitToPayment(_ amount: UInt256) throws(KeeperError) -> Int64 {
        guard var figures = work.payouts else { throw KeeperError(.software, "a payment was queued before the day's figures were read") }
        let (used, overflow) = figures.usedToday.addingReportingOverflow(amount)
        figures.usedToday = overflow ? .max : used
        figures.poolBalance = figures.poolBalance >= amount ? figures.poolBalance.subtractingReportingOverflow(amount).partialValue : .zero
        work.payouts = figures
        return figures.day
    }

    /// Sends what the pass gathered: verdicts alone, verdicts with their payment, payments; each
    /// group as one transaction for one claim, else in batches sized by gas. Returns the claims moved.
    func flush() async throws(KeeperError) -> Int {
        let gathered = work
        work.verdicts = []
        work.payments = []
        var moved = 0
        let alone = gathered.verdicts.filter { $0.day == nil }
        if alone.count == 1, let item = alone.first, let verdict = item.verdict {
            if try await submitVerdict(verdict, for: item.claim, why: item.why) { moved += 1 ; try logMove(item.claim) }
        } else {
            moved += try await sendBatches(.verify, alone)
        }
        moved += try await sendBatches(.verifyAndPay, gathered.verdicts.filter { $0.day != nil })
        let (single, batched) = (gathered.payments.filter { payAlone.contains($0.claim.id) }, gathered.payments.filter { !payAlone.contains($0.claim.id) })
        for item in single + (batched.count == 1 ? batched : []) {
            payAlone.remove(item.claim.id)
            if try await submitPayment(item.claim, day: item.day ?? 0) { moved += 1 ; try logMove(item.claim) }
        }
        if batched.count > 1 { moved += try await sendBatches(.execute, batched) }
        return moved
    }

    /// Sends `items` in batches of `kind`, each under the gas ceiling; a batch whose estimate is above
    /// it is split, and one that would revert as a whole (never for an item: a batch skips those) is
    /// sent claim by claim. A single `verifyAndPay` item uses the non-batch function.
    private func sendBatches(_ kind: BatchKind, _ items: [BatchItem]) async throws(KeeperError) -> Int {
        var rest = items[...]
        var moved = 0
        while !rest.isEmpty {
            let ceiling = try await gasCeiling()
            let limit = batchItemLimit[kind] ?? max(1, min(settings.maxBatchItems, Int(ceiling / kind.gasPerItem)))
            let chunk = Array(rest.prefix(limit))
            do {
                if try await sendBatch(kind, chunk, gasCeiling: ceiling) {
                    moved += chunk.count
                    for item in chunk { try logMove(item.claim) }
                }
                rest = rest.dropFirst(chunk.count)
            } catch where error.code == .halted && kind != .verify {
                // Paused since the claims were queued: nothing was stored. Verdicts go alone; payments wait.
                for item in chunk {
                    if let verdict = item.verdict {
                        if try await submitVerdict(verdict, for: item.claim, why: item.why) { moved += 1 ; try logMove(item.claim) }
                    } else {
                        try ledger.reschedule(item.claim, at: clock() + settings.recheckMilliseconds)
                    }
                }
                rest = rest.dropFirst(chunk.count)
            } catch where error.code == .unavailable && error.message.contains("above the batch ceiling") && chunk.count > 1 {
                batchItemLimit[kind] = max(1, chunk.count / 2)
                log.info("batch above the gas ceiling: split", ["function": "\(kind.function.name)", "items": .int(chunk.count), "ceiling": "\(ceiling)"])
            } catch where error.code == .reverted && kind == .verifyAndPay && chunk.count == 1 {
                // The payment cannot be made now (the contract says why): the verdict goes alone, and the
                // payment follows the payout path, which waits for the limit, funds or unpause.
                guard let item = chunk.first, let verdict = item.verdict else { break }
                log.info("verifyAndPay would revert: the verdict goes alone", ["claim": "\(item.claim.subject)", "reason": "\(Self.reason(error))"])
                if try await submitVerdict(verdict, for: item.claim, why: item.why) { moved += 1 ; try logMove(item.claim) }
                rest = rest.dropFirst(1)
            } catch where error.code == .reverted && chunk.count > 1 {
                log.warn("a whole batch would revert: its claims go one by one", ["function": "\(kind.function.name)", "items": .int(chunk.count), "reason": "\(Self.reason(error))"])
                for item in chunk {
                    if try await sendBatch(kind, [item], gasCeiling: ceiling) { moved += 1 ; try logMove(item.claim) }
                }
                rest = rest.dropFirst(chunk.count)
            }
        }
        return moved
    }

    /// The most gas one batch may use: `batchGasShareOfBlock` of the latest block's gas limit.
    private func gasCeiling() async throws(KeeperError) -> UInt64 {
        if let known = work.gasCeiling { return known }
        let ceiling = UInt64(Double(try await reader.blockGasLimit()) * settings.batchGasShareOfBlock)
        work.gasCeiling = ceiling
        return ceiling
    }

    /// Signs and stores one transaction for `items` with every claim's move, in one SQLite
    /// transaction, then broadcasts it. False when a claim's job already has a transaction in flight
    /// (nothing is written; the claims are looked at again). A single `verifyAndPay` item is sent as
    /// `verifyAndPay`, a batch through the batch function.
    private func sendBatch(_ kind: BatchKind, _ items: [BatchItem], gasCeiling: UInt64) async throws(KeeperError) -> Bool {
        let function: ABIFunction
        let arguments: [ABIValue]
        if kind == .verifyAndPay, items.count == 1, let only = items.first, let verdict = only.verdict {
            function = LeverageGuardContract.verifyAndPay
            arguments = [.address(only.claim.user), .uint(only.claim.orderID), .uint(verdict.amount), .bool(verdict.liquidated), .bytes32(verdict.evidenceRoot)]
        } else {
            function = kind.function
            arguments = [.array(items.map { item in
                guard let verdict = item.verdict else { return .tuple([.address(item.claim.user), .uint(item.claim.orderID)]) }
                return .tuple([.address(item.claim.user), .uint(item.claim.orderID), .uint(verdict.amount), .bool(verdict.liquidated), .bytes32(verdict.evidenceRoot)])
            })]
        }
        let data = try Self.encode(function, arguments)
        let covered = items.flatMap { item in kind.actions.map { jobKey(item.claim, $0) } }
        let key = TxJobKey(chainID: settings.chainID, requestTxHash: try Self.batchHash(function, covered, at: clock()), requestLogIndex: 0,
                           action: kind == .verify ? .verify : .execute)
        let stored = try await transactions.submit(key, covering: covered, to: settings.contract, data: data, gasCeiling: gasCeiling) { db in
            if kind != .verify { try KeeperControl.requireRunning(db) }  // the pause, read again inside the commit
            for item in items {
                var changes = ClaimLedger.Changes(reason: .some(item.verdict?.refusal), payoutDay: item.day)
                if let verdict = item.verdict {
                    changes = ClaimLedger.Changes(amount: verdict.amount, liquidated: verdict.liquidated, evidenceID: verdict.evidenceID,
                                                  evidenceRoot: verdict.evidenceRoot, reason: .some(verdict.refusal), attempts: 0, nextAttemptAt: 0,
                                                  payoutDay: item.day, positionID: verdict.positionID)
                }
                try ClaimLedger.transition(item.claim, to: kind.pendingState, changes, why: "\(item.why) (\(function.name))", in: db)
                if let verdict = item.verdict { try Self.recordPosition(verdict, in: db) }
            }
        }
        guard let stored else {
            log.warn("\(function.name) not sent: a claim's job has a transaction in flight", ["items": .int(items.count)])
            return false
        }
        log.info("claims sent", ["function": "\(function.name)", "claims": "\(items.map(\.claim.subject).joined(separator: ","))", "items": .int(items.count), "hash": "\(stored.hash)", "nonce": .int(stored.nonce), "gas_limit": .int(stored.gasLimit)])
        return true
    }

    /// A key of its own for a transaction covering `jobs`: the function, the jobs and the time.
    static func batchHash(_ function: ABIFunction, _ jobs: [TxJobKey], at time: Int64) throws(KeeperError) -> Hash {
        let text = ([function.name, String(time)] + jobs.map(\.description)).joined(separator: "\n")
        do { return try Hash(bytes: Keccak256.hash(Array(text.utf8))) } catch { throw KeeperError(.software, "a batch key: \(error)") }
    }

    /// A claim whose transaction was a batch or `verifyAndPay` (`tx_items`), now final: the contract
    /// says what was done, since a batch skips an item it cannot do. Paid or verified on-chain is
    /// adopted; a verdict not on-chain is queued again from the claim's row; a skipped payment is
    /// tried alone next, so that the simulation names why.
    func settleCovered(_ claim: Claim, by transaction: StoredTransaction) async throws(KeeperError) -> Bool {
        let onChain = try await onChain(claim)
        guard onChain.exists else { throw KeeperError(.badData, "claim \(claim.subject) is indexed but the contract has no such claim") }
        if onChain.verified {
            if !onChain.claimed, claim.state == .executePending { payAlone.insert(claim.id) }
            return try await adoptVerdict(onChain, claim)
        }
        guard let amount = claim.amount, let liquidated = claim.liquidated, let root = claim.evidenceRoot, let evidenceID = claim.evidenceID else {
            throw KeeperError(.badData, "claim \(claim.subject) is \(claim.state.rawValue) without its verdict")
        }
        let verdict = ClaimVerdict(amount: amount, liquidated: liquidated, evidenceID: evidenceID, evidenceRoot: root, refusal: claim.reason, positionID: claim.positionID)
        try await queue(verdict, for: claim, why: "transaction \(transaction.hash) ended \(transaction.state.rawValue) without the verdict on-chain: sent again")
        return false
    }
}

extension ClaimPipeline {
    /// The positions other claims' paying verdicts cover (`position-already-claimed`), from one read
    /// per pass rather than one per claim.
    func claimedPositions(except claim: Claim) throws(KeeperError) -> Set<String> {
        if work.positionHolders == nil {
            let holders = try ledger.positionHolders()
            work.positionHolders = holders
            work.allClaimedPositions = Set(holders.keys)
        }
        guard let position = claim.positionID, work.positionHolders?[position] == [claim.id] else { return work.allClaimedPositions }
        return work.allClaimedPositions.subtracting([position])
    }
}
