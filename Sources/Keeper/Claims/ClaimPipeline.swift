import Ethereum
import Foundation
import OKX
import Store
import Vault
import Wire

/// Drives confirmed claims through the state machine of DESIGN.md §6, one pass at a time:
/// find the user's key, verify on OKX, record the verdict on-chain, check the payout policy, pay.
///
/// Every step that writes a transaction goes through `TxManager.submit`, which commits the signed
/// transaction and the claim's new state together before broadcasting; every other step is one
/// `ClaimLedger` transition. A pass may stop anywhere (crash, SIGKILL) and the next pass resumes
/// from what the database says, reading the contract's state before signing anything new.
public final class ClaimPipeline {
    public struct Settings: Sendable {
        public var chainID: UInt64
        public var contract: Address
        public var policy: PayoutPolicy
        /// How long a claim without a key, or waiting for a limit or funds, rests before it is looked at again.
        public var recheckMilliseconds: Int64 = 30_000
        /// Backoff after a transient OKX failure: base · 2^attempts, capped.
        public var backoffBaseMilliseconds: Int64 = 2_000
        public var backoffCapMilliseconds: Int64 = 600_000
        /// Transient failures tolerated before the claim fails.
        public var maxTransientAttempts = 12
        /// A pass starts no claim after this long, so that the next round follows the chain (and
        /// sees a reorg) soon even when OKX is slow and many claims wait; the rest wait one round.
        public var passBudgetMilliseconds: Int64 = 5_000
    }

    public let settings: Settings
    let ledger: ClaimLedger
    let reader: ContractReader
    let transactions: TxManager
    let verifier: ClaimVerifier
    let clock: @Sendable () -> Int64
    let log: @Sendable (String) -> Void

    public init(settings: Settings, ledger: ClaimLedger, reader: ContractReader, transactions: TxManager, verifier: ClaimVerifier,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.settings = settings
        self.ledger = ledger
        self.reader = reader
        self.transactions = transactions
        self.verifier = verifier
        self.clock = clock
        self.log = log
    }

    /// What one pass did, for logs and tests.
    public struct PassReport: Sendable, Equatable {
        public var examined = 0
        public var transitions = 0
        /// Actionable claims left for the next round because the pass used up its time budget.
        public var deferred = 0
    }

    /// One pass over the actionable claims, within `settings.passBudgetMilliseconds`. Errors of one
    /// claim are logged and do not stop the others, except a store failure, which ends the pass (fail closed).
    @discardableResult
    public func pass() async throws(KeeperError) -> PassReport {
        let report = try await Self.pass(over: try ledger.actionable(now: clock()), budgetMilliseconds: settings.passBudgetMilliseconds,
                                         clock: clock) { (claim: Claim) async throws(KeeperError) -> Bool in
            do throws(KeeperError) {
                guard try await advance(claim) else { return false }
                if let moved = try ledger.claim(user: claim.user, orderID: claim.orderID) {
                    log("msg=\"claim moved\" claim=\(claim.subject) from=\(claim.state.rawValue) to=\(moved.state.rawValue)\(moved.reason.map { " reason=\"\($0)\"" } ?? "")")
                }
                return true
            } catch where error.code == .store || error.code == .software {
                throw error
            } catch {
                log("level=warn msg=\"claim step failed\" claim=\(claim.subject) state=\(claim.state.rawValue) error=\"\(error.message)\"")
                return false
            }
        }
        if report.deferred > 0 {
            log("msg=\"claim pass out of time\" examined=\(report.examined) deferred=\(report.deferred) budget_ms=\(settings.passBudgetMilliseconds)")
        }
        return report
    }

    /// Steps through `items` in order until `budgetMilliseconds` have passed on `clock` since the
    /// start; at least one item is stepped, and an item once started is finished.
    static func pass<Item>(over items: [Item], budgetMilliseconds: Int64, clock: () -> Int64,
                           step: (Item) async throws(KeeperError) -> Bool) async throws(KeeperError) -> PassReport {
        var report = PassReport()
        let started = clock()
        for (index, item) in items.enumerated() {
            if index > 0, clock() - started >= budgetMilliseconds {
                report.deferred = items.count - index
                break
            }
            report.examined += 1
            if try await step(item) { report.transitions += 1 }
        }
        return report
    }

    /// Takes `claim` one step; true when its state changed.
    func advance(_ claim: Claim) async throws(KeeperError) -> Bool {
        switch claim.state {
        case .requested, .needsKey, .verifying: return try await verify(claim)
        case .verifyPending: return try await settleVerification(claim)
        case .verified, .awaitingLimit, .awaitingFunds, .heldReview: return try await pay(claim)
        case .executePending: return try await settlePayment(claim)
        case .paid, .rejected, .failed: return false
        }
    }
}

// MARK: Verification

extension ClaimPipeline {
    func verify(_ claim: Claim) async throws(KeeperError) -> Bool {
        // A verdict already on-chain (ours, before a crash, or another signer's) is adopted, never signed again.
        let onChain = try await reader.claim(user: claim.user, orderID: claim.orderID)
        guard onChain.exists else { throw KeeperError(.badData, "claim \(claim.subject) is indexed but the contract has no such claim") }
        if onChain.verified { return try adoptVerdict(onChain, claim) }

        let now = clock()
        let credentials: OKXCredentials
        switch verifier.key(for: claim) {
        case .missing:
            if claim.state == .needsKey {
                try ledger.reschedule(claim, at: now + settings.recheckMilliseconds)
                return false
            }
            try ledger.transition(claim, to: .needsKey, .init(reason: .some("no OKX key in the vault for \(claim.user): add one with `lg-keeper keys add`"),
                                                           nextAttemptAt: now + settings.recheckMilliseconds))
            return true
        case .unreadable(let why):
            return try retryLater(claim, why: why, now: now)
        case .found(let key):
            credentials = key
        }
        // `verifying`: the exchange is being asked. A crash here resumes in the same state.
        var claim = claim
        if claim.state != .verifying {
            try ledger.transition(claim, to: .verifying, why: "asking the exchange")
            guard let moved = try ledger.claim(id: claim.id) else { throw KeeperError(.badData, "claim \(claim.subject) vanished") }
            claim = moved
        }
        switch try await verifier.verify(claim, credentials: credentials, claimedPositions: try ledger.claimedPositions(except: claim)) {
        case .permanent(let why):
            try ledger.transition(claim, to: .failed, .init(reason: .some(why)), why: "verification failed")
            return true
        case .transient(let why), .undecided(let why), .keyInvalid(let why):
            return try retryLater(claim, why: why, now: now)
        case .verdict(let verdict):
            return try await submitVerdict(verdict, for: claim)
        }
    }

    /// A transient failure: back off and try again, or give up after `maxTransientAttempts`.
    private func retryLater(_ claim: Claim, why: String, now: Int64) throws(KeeperError) -> Bool {
        let attempts = claim.attempts + 1
        if attempts > settings.maxTransientAttempts {
            try ledger.transition(claim, to: .failed, .init(reason: .some("gave up after \(claim.attempts) transient failures; last: \(why)"), attempts: attempts))
            return true
        }
        let delay = min(settings.backoffCapMilliseconds, settings.backoffBaseMilliseconds << min(attempts - 1, 20))
        try ledger.transition(claim, to: .verifying, .init(reason: .some(why), attempts: attempts, nextAttemptAt: now + delay),
                              why: "transient failure, retry in \(delay) ms")
        return true
    }

    private func submitVerdict(_ verdict: ClaimVerdict, for claim: Claim) async throws(KeeperError) -> Bool {
        let data = try Self.encode(LeverageGuardContract.verifyPayout,
                                   [.address(claim.user), .uint(claim.orderID), .uint(verdict.amount), .bool(verdict.liquidated), .bytes32(verdict.evidenceRoot)])
        let changes = ClaimLedger.Changes(amount: verdict.amount, liquidated: verdict.liquidated, evidenceID: verdict.evidenceID,
                                          evidenceRoot: verdict.evidenceRoot, reason: .some(verdict.refusal), attempts: 0, nextAttemptAt: 0,
                                          positionID: verdict.positionID)
        do {
            try await transactions.submit(jobKey(claim, .verify), to: settings.contract, data: data) { db in
                try ClaimLedger.transition(claim, to: .verifyPending, changes, why: "verdict \(verdict.liquidated ? "liquidated" : "not liquidated") sent on-chain", in: db)
            }
        } catch where error.code == .reverted {
            let reason = Self.reason(error)
            if reason.contains("already verified") {
                return try adoptVerdict(try await reader.claim(user: claim.user, orderID: claim.orderID), claim)
            }
            try ledger.transition(claim, to: .failed, .init(reason: .some("verifyPayout would revert: \(reason)")))
        }
        return true
    }

    func settleVerification(_ claim: Claim) async throws(KeeperError) -> Bool {
        let key = jobKey(claim, .verify)
        guard try transactions.transaction(for: key) != nil else {
            throw KeeperError(.badData, "claim \(claim.subject) is verify_pending without a stored verifyPayout transaction")
        }
        switch try transactions.outcome(for: key)?.kind {
        case nil, .feeCapReached: return false
        case .dropped:
            let onChain = try await reader.claim(user: claim.user, orderID: claim.orderID)
            if onChain.verified { return try adoptVerdict(onChain, claim, from: .verifyPending) }
            try ledger.transition(claim, to: .failed, .init(reason: .some("the verifyPayout transaction was dropped: its nonce went to another transaction")))
            return true
        case .confirmed:
            let paysOut = claim.liquidated == true && (claim.amount ?? .zero) > .zero
            try ledger.transition(claim, to: paysOut ? .verified : .rejected, why: "verifyPayout confirmed")
            CrashPoint.afterVerdict.reach(log)
            return true
        case .reverted(let reason):
            try ledger.transition(claim, to: .failed, .init(reason: .some("verifyPayout reverted: \(reason ?? "no reason")")))
            return true
        }
    }

    /// The contract already holds a verdict for this claim: take it as the claim's.
    private func adoptVerdict(_ onChain: OnChainClaim, _ claim: Claim, from: ClaimState? = nil) throws(KeeperError) -> Bool {
        let paysOut = onChain.liquidated && onChain.amount > .zero
        let target: ClaimState = onChain.claimed ? .paid : (paysOut ? .verified : .rejected)
        try ledger.transition(claim, to: target, .init(amount: onChain.amount, liquidated: onChain.liquidated, evidenceRoot: onChain.evidenceRoot),
                              why: "verdict adopted from the contract")
        return true
    }
}

// MARK: Payment

extension ClaimPipeline {
    func pay(_ claim: Claim) async throws(KeeperError) -> Bool {
        let onChain = try await reader.claim(user: claim.user, orderID: claim.orderID)
        if onChain.claimed {
            try ledger.transition(claim, to: .paid, why: "already paid on-chain")
            return true
        }
        guard let amount = claim.amount else { throw KeeperError(.badData, "claim \(claim.subject) is \(claim.state.rawValue) without an amount") }
        let day = try await reader.chainDay()
        let committed = try ledger.committedPayouts(day: day)
        let paidOnChain = try await reader.paidToday()
        let situation = PayoutPolicy.Situation(user: claim.user, amount: amount, usedToday: max(committed, paidOnChain),
                                               poolBalance: try await reader.poolBalance(), approved: claim.review == .approved)
        let decision = settings.policy.decide(situation)
        switch decision {
        case .pay:
            let control = try IndexStore.wrap { try KeeperControl.state(ledger.database) }
            if control.paused {
                try ledger.reschedule(claim, at: clock() + settings.recheckMilliseconds)
                return false
            }
            return try await submitPayment(claim, day: day)
        case .awaitFunds(let why):
            return try wait(claim, in: .awaitingFunds, why: why, alert: .poolShortfall)
        case .awaitLimit(let why), .holdReview(let why):
            return try wait(claim, in: decision.state!, why: why)
        case .refuse(let why):
            try ledger.transition(claim, to: .failed, .init(reason: .some(why)), why: "payout policy")
            return true
        }
    }

    private func submitPayment(_ claim: Claim, day: Int64) async throws(KeeperError) -> Bool {
        let data = try Self.encode(LeverageGuardContract.executePayout, [.address(claim.user), .uint(claim.orderID)])
        do {
            try await transactions.submit(jobKey(claim, .execute), to: settings.contract, data: data) { db in
                try ClaimLedger.transition(claim, to: .executePending, .init(reason: .some(nil), payoutDay: day), why: "executePayout sent", in: db)
            }
            return true
        } catch where error.code == .reverted {
            let reason = Self.reason(error)
            if reason.contains("daily limit") { return try wait(claim, in: .awaitingLimit, why: "the contract's daily limit: \(reason)") }
            if reason.contains("insufficient pool") { return try wait(claim, in: .awaitingFunds, why: "the contract says \(reason)", alert: .poolShortfall) }
            if reason.contains("paused") {
                try ledger.reschedule(claim, at: clock() + settings.recheckMilliseconds)
                return false
            }
            if reason.contains("already claimed") {
                try ledger.transition(claim, to: .paid, why: "already paid on-chain")
                return true
            }
            try ledger.transition(claim, to: .failed, .init(reason: .some("executePayout would revert: \(reason)")))
            return true
        }
    }

    /// Parks the claim in a waiting state (one audit row when the state or reason changes) until the next look.
    private func wait(_ claim: Claim, in state: ClaimState, why: String, alert: AlertKind? = nil) throws(KeeperError) -> Bool {
        let next = clock() + settings.recheckMilliseconds
        if claim.state == state && claim.reason == why {
            try ledger.reschedule(claim, at: next)
            return false
        }
        try IndexStore.wrap {
            try ledger.database.transaction { db in
                try ClaimLedger.transition(claim, to: state, .init(reason: .some(why), nextAttemptAt: next), why: "payout policy", in: db)
                if let alert { try AlertOutbox.raise(db, alert, "claim \(claim.subject) waits: \(why)", dedupeKey: "\(alert.rawValue):\(claim.subject)") }
            }
        }
        return true
    }

    func settlePayment(_ claim: Claim) async throws(KeeperError) -> Bool {
        let key = jobKey(claim, .execute)
        guard try transactions.transaction(for: key) != nil else {
            throw KeeperError(.badData, "claim \(claim.subject) is execute_pending without a stored executePayout transaction")
        }
        switch try transactions.outcome(for: key)?.kind {
        case nil, .feeCapReached: return false
        case .dropped:
            let onChain = try await reader.claim(user: claim.user, orderID: claim.orderID)
            try ledger.transition(claim, to: onChain.claimed ? .paid : .failed,
                                  .init(reason: .some(onChain.claimed ? nil : "the executePayout transaction was dropped: its nonce went to another transaction")))
            return true
        case .confirmed:
            try ledger.transition(claim, to: .paid, why: "executePayout confirmed")
            return true
        case .reverted(let reason):
            try ledger.transition(claim, to: .failed, .init(reason: .some("executePayout reverted: \(reason ?? "no reason")")))
            return true
        }
    }
}

extension ClaimPipeline {
    func jobKey(_ claim: Claim, _ action: TxAction) -> TxJobKey {
        TxJobKey(chainID: claim.chainID, requestTxHash: claim.requestTxHash, requestLogIndex: claim.requestLogIndex, action: action)
    }

    static func reason(_ error: KeeperError) -> String {
        error.revertReason.map { "\($0)" } ?? error.message
    }

    static func encode(_ function: ABIFunction, _ arguments: [ABIValue]) throws(KeeperError) -> [UInt8] {
        do { return try function.encodeCall(arguments) } catch { throw KeeperError(.software, "encoding \(function.name): \(error)") }
    }
}
