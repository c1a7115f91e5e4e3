import Ethereum
import Foundation
import Indexer
import Logging
import OKX
import Store
import Vault
import Verification
import Wire

/// What the pipeline asks of verification: the user's key, and one attempt with it. `ClaimVerifier`
/// in production (`Keeper`); tests stand in for the verdict engine's outcomes with a double.
public protocol ClaimVerifying: Sendable {
    func key(for claim: Claim) -> ClaimKeyLookup
    /// The alias the vault holds the claim's key under, for the operator.
    func keyAlias(for claim: Claim) throws(KeeperError) -> String
    func verify(_ claim: Claim, credentials: OKXCredentials, claimedPositions: Set<String>) async throws(KeeperError) -> VerificationAttempt
    /// Removes the claim's wallet's key whose API key hashes to `apiKeyHash` from the vault, in the
    /// caller's transaction; how many rows went.
    func removeKey(of claim: Claim, apiKeyHash: String, in db: Database) throws -> Int
}

/// Drives confirmed claims through the state machine of DESIGN.md §6, one pass at a time:
/// find the user's key, verify on OKX, record the verdict on-chain, check the payout policy, pay.
/// Nothing uncertain is written: an undecided claim is checked again for the decision window, then
/// held for an operator, as is a verdict above `reviewAbove`, before `verifyPayout`.
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
        /// How long a claim without a key, or waiting for a limit, funds or a review, rests before it is looked at again.
        public var recheckMilliseconds: Int64 = 30_000
        /// Backoff after a transient OKX failure: base · 2^attempts, capped.
        public var backoffBaseMilliseconds: Int64 = 2_000
        public var backoffCapMilliseconds: Int64 = 600_000
        /// Transient failures tolerated before the claim fails.
        public var maxTransientAttempts = 12
        /// How long an undecided verification is checked again before it goes to an operator (`policy.decisionWindowHours`).
        public var decisionWindowMilliseconds: Int64 = 24 * 3_600_000
        /// The first recheck of an undecided claim; each later one waits as long as the claim has been undecided, up to the cap.
        public var undecidedFirstRecheckMilliseconds: Int64 = 60_000
        public var undecidedRecheckCapMilliseconds: Int64 = 3_600_000
        /// How long a claim whose key OKX refused waits before that key is tried again; `keys add` resumes it at once.
        public var keyRecheckMilliseconds: Int64 = 3_600_000
        /// How long a claim waits when the vault or the evidence files cannot be used: not the claim's fault, no attempt is used.
        public var faultRecheckMilliseconds: Int64 = 30_000
        /// A pass starts no claim after this long, so that the next round follows the chain (and
        /// sees a reorg) soon even when OKX is slow and many claims wait; the rest wait one round.
        public var passBudgetMilliseconds: Int64 = 5_000
        /// Claims verified on OKX at once (`pipeline.maxConcurrentVerifications`).
        public var maxConcurrentVerifications = 32
        /// The most actionable claims one pass looks at.
        public var actionableLimit = 5_000
        /// A batch transaction's gas stays under this share of the block gas limit (EIP-1559's target
        /// is half of it: above, every next block's base fee rises).
        public var batchGasShareOfBlock = 0.5
        /// The most items one batch carries (the contract's `MAX_BATCH`).
        public var maxBatchItems = 256
        /// The pool's asset, for amounts in log lines: its decimals and its name (`pool.decimals`, `pool.currency`).
        public var poolDecimals = 0
        public var poolCurrency = ""

        public init(chainID: UInt64, contract: Address, policy: PayoutPolicy) {
            self.chainID = chainID
            self.contract = contract
            self.policy = policy
        }
    }

    public let settings: Settings
    let ledger: ClaimLedger
    let reader: any ContractReading
    let transactions: any ClaimTransactions
    let verifier: any ClaimVerifying
    /// Where an operator's rejection is sealed into evidence.
    let archive: EvidenceArchive?
    let clock: @Sendable () -> Int64
    let log: Logger
    /// The contract's `paused()` as the keeper's loop last read it: while it is on, verified claims
    /// wait for payment without using attempts.
    public var contractPaused = false {
        didSet { if !contractPaused { waitingForUnpause.removeAll() } }
    }
    /// Claims already logged as waiting for the contract to be unpaused (one line each per pause).
    private var waitingForUnpause = Set<String>()
    /// The verifications running on OKX; their answers are written by the next pass.
    let workers: VerificationWorkers
    /// What the current pass read of the chain and gathered to send.
    var work = PassWork()
    /// Claims whose payment a batch skipped: paid alone next time, so that a refusal is read from the
    /// simulation (daily limit, funds) instead of being sent again in every batch.
    var payAlone = Set<Int64>()
    /// Answers kept to be written later, by `user/orderId`, with when they came: for claims verified before
    /// their request was confirmed, or whose trader has an earlier claim on the instrument still being verified.
    var earlyAnswers: [String: (finished: VerificationWorkers.Finished, at: Int64)] = [:]
    /// Items per batch that fit the gas ceiling, learned by halving when an estimate is above it.
    var batchItemLimit: [BatchKind: Int] = [:]

    public init(settings: Settings, ledger: ClaimLedger, reader: any ContractReading, transactions: any ClaimTransactions, verifier: any ClaimVerifying,
                archive: EvidenceArchive? = nil, clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                workerExecutor: (any TaskExecutor)? = nil, wake: @escaping @Sendable () -> Void = {},
                log: Logger = .discarding) {
        self.settings = settings
        self.ledger = ledger
        self.reader = reader
        self.transactions = transactions
        self.verifier = verifier
        self.archive = archive
        self.clock = clock
        self.log = log
        workers = VerificationWorkers(capacity: settings.maxConcurrentVerifications, executor: workerExecutor, wake: wake)
    }

    /// Whether a verification's answer waits to be written (the loop then starts its next round at once).
    public var hasAnswers: Bool { workers.hasFinished }

    /// Waits for the running verifications to answer (tests; `run` on stop need not).
    public func drainVerifications() async { await workers.drain() }

    /// What one pass did, for logs and tests.
    public struct PassReport: Sendable, Equatable {
        public var examined = 0
        public var transitions = 0
        /// Actionable claims left for the next round because the pass used up its time budget.
        public var deferred = 0
    }

    /// One pass: the verifications that answered are written; the actionable claims are stepped, with
    /// the contract's state for all of them read in batches first, within `settings.passBudgetMilliseconds`;
    /// then what the pass gathered for the chain is sent, in as few transactions as gas allows
    /// (`flush`). Errors of one claim are logged and do not stop the others, except a store failure,
    /// which ends the pass (fail closed).
    @discardableResult
    public func pass() async throws(KeeperError) -> PassReport {
        work = PassWork()
        var report = PassReport()
        var answered = Set<String>()
        // Oldest request first, whatever order the workers finished in: the day's limit and the pool
        // go to claims in the order they were filed, and batches list them so.
        for finished in workers.takeFinished().sorted(by: { $0.claim.id < $1.claim.id }) {
            guard let current = try ledger.claim(id: finished.claim.id) else { continue }
            // Asked before its request was confirmed: kept until the claim is actionable.
            if current.state == .requested || current.state == .needsKey {
                keepEarlyAnswer(finished)
                continue
            }
            answered.insert(current.subject)
            if try await guarded(current, { () async throws(KeeperError) -> Bool in try await self.write(finished, to: current) }) { report.transitions += 1 }
        }
        // A claim whose answer was just written (its verdict may wait for `flush`) is not stepped again in
        // this pass; of the claims waiting for a verification, only as many as there are free workers.
        var freeWorkers = workers.room
        let claims = try ledger.actionable(now: clock(), limit: settings.actionableLimit).filter { claim in
            guard !workers.isRunning(claim.subject), !answered.contains(claim.subject) else { return false }
            guard claim.state == .requested || claim.state == .needsKey || claim.state == .verifying else { return true }
            if earlyAnswers[claim.subject] != nil { return true }
            freeWorkers -= 1
            return freeWorkers >= 0
        }
        try await readChain(for: claims)
        let stepped = try await Self.pass(over: claims, budgetMilliseconds: settings.passBudgetMilliseconds,
                                          clock: clock) { (claim: Claim) async throws(KeeperError) -> Bool in
            try await guarded(claim) { () async throws(KeeperError) -> Bool in try await self.advance(claim) }
        }
        report.examined = stepped.examined
        report.deferred = stepped.deferred
        report.transitions += stepped.transitions
        report.transitions += try await flush()
        if report.deferred > 0 {
            log.info("claim pass out of time", ["examined": .int(report.examined), "deferred": .int(report.deferred), "budget_ms": .int(settings.passBudgetMilliseconds)])
        }
        return report
    }

    /// Runs one claim's step; logs its move. A store or software failure ends the pass; any other
    /// failure is the claim's, logged, and the pass goes on.
    private func guarded(_ claim: Claim, _ step: () async throws(KeeperError) -> Bool) async throws(KeeperError) -> Bool {
        do throws(KeeperError) {
            guard try await step() else { return false }
            try logMove(claim)
            return true
        } catch where error.code == .store || error.code == .software {
            throw error
        } catch {
            log.warn("claim step failed", ["claim": "\(claim.subject)", "state": "\(claim.state.rawValue)", "error": "\(error.message)"])
            return false
        }
    }

    func logMove(_ claim: Claim) throws(KeeperError) {
        guard let moved = try ledger.claim(id: claim.id), moved.state != claim.state || moved.reason != claim.reason else { return }
        guard log.isEnabled(.info) else { return }
        var fields: [(String, Logger.Value)] = [("claim", "\(claim.subject)"), ("from", "\(claim.state.rawValue)"), ("to", "\(moved.state.rawValue)")]
        // A claim's first move introduces it: the instrument its trader named (escaped by the logger).
        if claim.state == .requested { fields.append(("inst_id", .string(moved.instID))) }
        if let amount = moved.amount {
            fields.append(("amount", .string(PoolUnit.whole(amount, decimals: settings.poolDecimals))))
        } else {
            fields.append(("principal", .string(PoolUnit.whole(moved.principal, decimals: settings.poolDecimals))))
        }
        fields.append(("currency", .string(settings.poolCurrency)))
        if let transaction = try transactionOf(moved) { fields.append(("tx", "\(transaction.hash)")) }
        if let reason = moved.reason { fields.append(("reason", .string(reason))) }
        log.log(.info, "claim moved", fields: fields)
    }

    /// The transaction behind a claim's state: its payment for `execute_pending` and `paid`, else its verdict.
    private func transactionOf(_ claim: Claim) throws(KeeperError) -> StoredTransaction? {
        switch claim.state {
        case .executePending, .paid: try transactions.latest(for: jobKey(claim, .execute))
        case .verifyPending, .verified, .rejected, .awaitingLimit, .awaitingFunds: try transactions.latest(for: jobKey(claim, .verify))
        case .failed:
            if let payment = try transactions.latest(for: jobKey(claim, .execute)) { payment } else { try transactions.latest(for: jobKey(claim, .verify)) }
        case .requested, .needsKey, .verifying, .heldReview: nil
        }
    }

    /// The contract's state of the claims the pass will look at, read in JSON-RPC batches; a claim
    /// missing from it is read alone when stepped.
    private func readChain(for claims: [Claim]) async throws(KeeperError) {
        guard claims.count > 1 else { return }
        let states = try await reader.claims(claims.map { ($0.user, $0.orderID) }, block: .latest)
        for (claim, state) in zip(claims, states) { work.chain[claim.id] = state }
    }

    /// The contract's state of `claim` as the pass read it, or read now.
    func onChain(_ claim: Claim) async throws(KeeperError) -> OnChainClaim {
        if let known = work.chain[claim.id] { return known }
        return try await reader.claim(user: claim.user, orderID: claim.orderID)
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
        case .heldReview: return try await held(claim)
        case .verified, .awaitingLimit, .awaitingFunds: return try await pay(claim)
        case .executePending: return try await settlePayment(claim)
        case .paid, .rejected, .failed: return false
        }
    }
}

// MARK: Verification

extension ClaimPipeline {
    func verify(_ claim: Claim) async throws(KeeperError) -> Bool {
        // A verdict already on-chain (ours, before a crash, or another signer's) is adopted, never signed again.
        let onChain = try await onChain(claim)
        guard onChain.exists else { throw KeeperError(.badData, "claim \(claim.subject) is indexed but the contract has no such claim") }
        if onChain.verified { return try await adoptVerdict(onChain, claim) }
        // A verifyPayout of this job still in flight (e.g. one a reorg sent back to the pool): its
        // outcome decides, and no second one is signed beside it.
        if try waitForFlight(claim, .verify) { return false }
        // Verified while its request waited for confirmations: the answer is written now.
        if let early = takeEarlyAnswer(for: claim) { return try await write(early, to: claim) }

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
            return try waitOutFault(claim, why: why, now: now)
        case .found(let key):
            credentials = key
        }
        // `verifying`: the exchange is being asked, by a worker. A crash here resumes in the same state.
        guard workers.hasRoom else { return false }
        var claim = claim
        var moved = false
        if claim.state != .verifying {
            try ledger.transition(claim, to: .verifying, why: "asking the exchange")
            guard let current = try ledger.claim(id: claim.id) else { throw KeeperError(.badData, "claim \(claim.subject) vanished") }
            claim = current
            moved = true
        }
        workers.start(claim, verifier: verifier, credentials: credentials, claimedPositions: try claimedPositions(except: claim))
        return moved
    }

    /// Writes what a worker's verification came to, if the claim is still waiting for it (`verifying`;
    /// `requested` or `needs_key` for an answer asked before the request was confirmed).
    func write(_ finished: VerificationWorkers.Finished, to claim: Claim) async throws(KeeperError) -> Bool {
        var claim = claim
        switch claim.state {
        case .verifying: break
        case .requested, .needsKey:
            // Only `preverify` asks for a claim in these states: the answer came before the request was confirmed.
            try ledger.transition(claim, to: .verifying, why: "the exchange was asked while the request waited for its confirmations")
            guard let current = try ledger.claim(id: claim.id) else { throw KeeperError(.badData, "claim \(claim.subject) vanished") }
            claim = current
        default:
            return false
        }
        let now = clock()
        let attempt: VerificationAttempt
        switch finished.result {
        case .failure(let error) where error.code == .store:
            throw error  // the pass ends; the claim keeps its state and its attempts
        case .failure(let error) where error.code == .unavailable:
            return try waitOutFault(claim, why: "verification could not finish here: \(error.message)", now: now)
        case .failure(let error):
            // Whatever one claim's OKX answers make the verifier throw stays that claim's problem: run goes on.
            log.error("verification threw", ["claim": "\(claim.subject)", "code": "\(error.code.rawValue)", "error": "\(error.message)"])
            return try retryLater(claim, why: "verification failed: \(error.message)", now: now)
        case .success(let answer):
            attempt = answer
        }
        switch attempt {
        case .permanent(let why):
            try ledger.transition(claim, to: .failed, .init(reason: .some(why)), why: "verification failed")
            return true
        case .transient(let why):
            return try retryLater(claim, why: why, now: now)
        case .keyInvalid(let why):
            return try parkForKey(claim, why: why, now: now)
        case .keyNotReadOnly(let powers):
            return try discardKey(claim, powers, now: now)
        case .undecided(let why):
            return try undecided(claim, why: why, now: now)
        case .verdict(let verdict):
            // Verified at the same time, two claims of one position could each have found it unclaimed:
            // a paying verdict for a position taken meanwhile is asked again, and the engine refuses it.
            let claimedElsewhere = try claimedPositions(except: claim)
            if verdict.refusal == nil, verdict.amount > .zero, let position = verdict.positionID,
               work.positions.contains(position) || claimedElsewhere.contains(position) {
                log.info("verdict names a position another claim took meanwhile: verified again", ["claim": "\(claim.subject)", "position": "\(position)"])
                try ledger.reschedule(claim, at: now)
                return false
            }
            // Of one trader's claims on one instrument, the earliest requested is decided first: if two
            // name the same position, the earlier is the one paid, whatever order OKX answered in.
            if verdict.refusal == nil, verdict.amount > .zero, try ledger.hasEarlierClaimBeingVerified(than: claim) {
                keepEarlyAnswer(finished)  // written once the earlier claim is decided, without asking OKX again
                try ledger.reschedule(claim, at: now + settings.recheckMilliseconds)
                return false
            }
            if verdict.liquidated, verdict.amount > settings.policy.reviewAbove, claim.review != .approved {
                return try holdForReview(verdict, claim, now: now)
            }
            try await queue(verdict, for: claim, why: "verdict \(verdict.liquidated ? "liquidated" : "not liquidated") sent on-chain")
            return false
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

    /// The vault or this host's evidence files cannot be used: not the claim's fault, so no attempt
    /// is used; the claim waits in `verifying` (one audit row when the reason changes).
    private func waitOutFault(_ claim: Claim, why: String, now: Int64) throws(KeeperError) -> Bool {
        let next = now + settings.faultRecheckMilliseconds
        if claim.state == .verifying && claim.reason == why {
            try ledger.reschedule(claim, at: next)
            return false
        }
        try ledger.transition(claim, to: .verifying, .init(reason: .some(why), nextAttemptAt: next), why: "waiting out a fault that is not the claim's")
        return true
    }

    /// OKX refused the trader's key (expired, revoked, wrong, no Read permission): the claim waits in
    /// `needs_key` without using an attempt, and `key_invalid` names the wallet and the key's alias.
    /// A new key (`keys add`) resumes it at once; otherwise the same key is tried again after `keyRecheckMilliseconds`.
    private func parkForKey(_ claim: Claim, why: String, now: Int64) throws(KeeperError) -> Bool {
        let wallet = claim.user.description.lowercased()
        let alias = keyAlias(of: claim)
        let reason = "OKX refused the key '\(alias)' of \(wallet) (\(why)): register a new one with `lg-keeper keys add --wallet \(wallet) --alias NAME`"
        try IndexStore.wrap {
            try ledger.database.transaction { db in
                try waitForKey(claim, wallet: wallet, alias: alias, reason: reason, why: "the trader's OKX key was refused",
                               alert: "OKX refused the key '\(alias)' of wallet \(wallet): \(why); claim \(claim.subject) waits for a new key",
                               nextAttemptAt: now + settings.keyRecheckMilliseconds, in: db)
            }
        }
        return true
    }

    /// OKX says the trader's key can trade or withdraw, and the keeper never holds such a key. In one
    /// transaction: the key leaves the vault (audited `keys.removed`, by the keeper), the claim waits
    /// in `needs_key` for a read-only key, and `key_invalid` says why.
    private func discardKey(_ claim: Claim, _ key: KeyPowers, now: Int64) throws(KeeperError) -> Bool {
        let wallet = claim.user.description.lowercased()
        let alias = keyAlias(of: claim)
        let why = "OKX says the key '\(alias)' of \(wallet) can \(key.powers) (perm \(key.config.perm)): it was removed from the vault"
        try IndexStore.wrap {
            try ledger.database.transaction { db in
                let removed = try verifier.removeKey(of: claim, apiKeyHash: key.apiKeyHash, in: db)
                if removed > 0 {
                    try AuditLog.append(db, kind: "keys.removed", subject: wallet, detail: [
                        "by": "keeper", "alias": .string(alias), "removed": JSON(removed), "perm": .string(key.config.perm), "claim": .string(claim.subject)])
                }
                try waitForKey(claim, wallet: wallet, alias: alias,
                               reason: "\(why); the trader registers a read-only key (POST /api/keys), or `lg-keeper keys add --wallet \(wallet) --alias NAME`",
                               why: "the trader's OKX key can do more than read", alert: "\(why); claim \(claim.subject) waits for a read-only key",
                               nextAttemptAt: now + settings.recheckMilliseconds, in: db)
            }
        }
        log.warn("trader key removed: not read-only", ["claim": "\(claim.subject)", "alias": "\(alias)", "perm": "\(key.config.perm)"])
        return true
    }

    /// The claim waits in `needs_key` with `reason`, and `key_invalid` (once per wallet and alias) says
    /// `alert`; in the caller's transaction.
    private func waitForKey(_ claim: Claim, wallet: String, alias: String, reason: String, why: String, alert: String,
                            nextAttemptAt: Int64, in db: Database) throws {
        try ClaimLedger.transition(claim, to: .needsKey, .init(reason: .some(reason), nextAttemptAt: nextAttemptAt), why: why, in: db)
        try AlertOutbox.raise(db, .keyInvalid, alert, detail: ["wallet": .string(wallet), "alias": .string(alias), "claim": .string(claim.subject)],
                              dedupeKey: "key_invalid:\(wallet):\(alias)")
    }

    /// The alias the vault holds the claim's key under, for the operator; "?" when it cannot be read now.
    private func keyAlias(of claim: Claim) -> String {
        do { return try verifier.keyAlias(for: claim) } catch {
            log.warn("cannot read the key's alias", ["claim": "\(claim.subject)", "error": "\(error.message)"])
            return "?"
        }
    }

    /// What to do with a claim whose verification came back undecided at `now`.
    enum UndecidedStep: Equatable {
        /// Check again at `at` (epoch ms); undecided since `since`.
        case recheck(at: Int64, since: Int64)
        /// The decision window is over: hold the claim for an operator.
        case hold(since: Int64)
    }

    /// The first recheck comes `undecidedFirstRecheckMilliseconds` after the first undecided answer;
    /// each later one waits as long as the claim has been undecided (so the waits double), up to the
    /// cap and never past the end of the window, when the claim is held.
    static func undecidedStep(since: Int64?, now: Int64, settings: Settings) -> UndecidedStep {
        let since = since ?? now
        let deadline = since + settings.decisionWindowMilliseconds
        guard now < deadline else { return .hold(since: since) }
        let delay = min(settings.undecidedRecheckCapMilliseconds, max(settings.undecidedFirstRecheckMilliseconds, now - since))
        return .recheck(at: min(now + delay, deadline), since: since)
    }

    /// An incomplete or inconsistent picture: nothing is written on-chain. The claim is checked
    /// again until `decisionWindowMilliseconds` after the first undecided answer, then held for an
    /// operator with the reason. Uses no attempt, and ends a streak of transient failures.
    private func undecided(_ claim: Claim, why: String, now: Int64) throws(KeeperError) -> Bool {
        switch Self.undecidedStep(since: claim.undecidedSince, now: now, settings: settings) {
        case .hold(let since):
            let hours = Double(settings.decisionWindowMilliseconds) / 3_600_000
            let reason = "undecided for \(hours.formatted()) h: \(why): `lg-keeper claims retry` checks it again, `claims reject` writes \"not paid\""
            try ledger.transition(claim, to: .heldReview, .init(reason: .some(reason), nextAttemptAt: now + settings.recheckMilliseconds, undecidedSince: .some(since)),
                                  why: "no verdict within the decision window")
            return true
        case .recheck(let at, let since):
            if claim.state == .verifying && claim.undecidedSince == since && claim.reason == why {
                try ledger.reschedule(claim, at: at)
                return false
            }
            // OKX answered: a streak of transient failures before this answer is over.
            try ledger.transition(claim, to: .verifying, .init(reason: .some(why), attempts: 0, nextAttemptAt: at, undecidedSince: .some(since)),
                                  why: "undecided, checked again in \(at - now) ms")
            return true
        }
    }

    /// A verdict that would pay more than `policy.reviewAbove` waits for an operator before anything
    /// is written on-chain; the verdict is kept in the claim row.
    private func holdForReview(_ verdict: ClaimVerdict, _ claim: Claim, now: Int64) throws(KeeperError) -> Bool {
        let reason = "amount \(verdict.amount) is above reviewAbove \(settings.policy.reviewAbove): `lg-keeper claims approve` writes the verdict and pays, `claims reject` writes \"not paid\""
        try IndexStore.wrap {
            try ledger.database.transaction { db in
                try ClaimLedger.transition(claim, to: .heldReview, .init(amount: verdict.amount, liquidated: verdict.liquidated, evidenceID: verdict.evidenceID,
                                                                        evidenceRoot: verdict.evidenceRoot, reason: .some(reason), attempts: 0,
                                                                        nextAttemptAt: now + settings.recheckMilliseconds, positionID: verdict.positionID),
                                           why: "held for review before the verdict is written", in: db)
                try Self.recordPosition(verdict, in: db)
            }
        }
        if let position = verdict.positionID { work.positions.insert(position) }
        return true
    }

    /// Signs and stores `verifyPayout` for `verdict` with the claim's move to `verify_pending`, in one
    /// transaction. A job whose earlier transaction ended without the verdict on-chain (reverted,
    /// dropped, or undone by a reorg) gets a new one: the contract was read just before.
    func submitVerdict(_ verdict: ClaimVerdict, for claim: Claim, why: String) async throws(KeeperError) -> Bool {
        let data = try Self.encode(LeverageGuardContract.verifyPayout,
                                   [.address(claim.user), .uint(claim.orderID), .uint(verdict.amount), .bool(verdict.liquidated), .bytes32(verdict.evidenceRoot)])
        let changes = ClaimLedger.Changes(amount: verdict.amount, liquidated: verdict.liquidated, evidenceID: verdict.evidenceID,
                                          evidenceRoot: verdict.evidenceRoot, reason: .some(verdict.refusal), attempts: 0, nextAttemptAt: 0,
                                          positionID: verdict.positionID)
        do {
            let sent = try await send(claim, .verify, LeverageGuardContract.verifyPayout.name, data: data) { db in
                try ClaimLedger.transition(claim, to: .verifyPending, changes, why: why, in: db)
                try Self.recordPosition(verdict, in: db)
            }
            if !sent { return false }
        } catch where error.code == .reverted {
            let reason = Self.reason(error)
            if reason.contains("already verified") {
                return try await adoptVerdict(try await reader.claim(user: claim.user, orderID: claim.orderID), claim)
            }
            try ledger.transition(claim, to: .failed, .init(reason: .some("verifyPayout would revert: \(reason)")))
        }
        return true
    }

    /// Signs and stores the job's transaction with `commit` (the claim's move) in one SQLite transaction,
    /// then broadcasts it. False, and a later look, when another transaction of the job is still in
    /// flight: that one is never taken as this step's.
    private func send(_ claim: Claim, _ action: TxAction, _ function: String, data: [UInt8],
                      commit: (Database) throws -> Void) async throws(KeeperError) -> Bool {
        var wrote = false
        let stored = try await transactions.resubmit(jobKey(claim, action), to: settings.contract, data: data) { db in
            try commit(db)
            wrote = true
        }
        guard wrote else {
            log.warn("\(function) not sent: the job has a transaction in flight", ["claim": "\(claim.subject)", "hash": "\(stored.hash)"])
            try ledger.reschedule(claim, at: clock() + settings.recheckMilliseconds)
            return false
        }
        if stored.generation > 0 {
            log.info("\(function) issued again", ["claim": "\(claim.subject)", "generation": .int(stored.generation), "nonce": .int(stored.nonce), "hash": "\(stored.hash)"])
        }
        return true
    }

    /// The position identity a verdict covers, kept with its evidence row, so that a claim the
    /// chain's verdict is adopted for after a reorg or a restore finds it again by root.
    static func recordPosition(_ verdict: ClaimVerdict, in db: Database) throws {
        guard let position = verdict.positionID else { return }
        try db.execute("UPDATE evidence SET position_id = ? WHERE evidence_id = ?", [position, verdict.evidenceID])
    }

    /// Where a claim's `action` job stands: done by a transaction covering it (a batch, `verifyAndPay`:
    /// settled from the contract once final, whether the claim moved), or by its own transaction, with
    /// that transaction's final outcome (nil while in flight).
    enum JobStanding {
        case covered(moved: Bool)
        case own(TxOutcome.Kind?)
    }

    func standing(of claim: Claim, _ action: TxAction, function: String) async throws(KeeperError) -> JobStanding {
        let key = jobKey(claim, action)
        guard let latest = try transactions.latest(for: key) else {
            throw KeeperError(.badData, "claim \(claim.subject) is \(claim.state.rawValue) without a stored \(function) transaction")
        }
        guard latest.key == key else { return .covered(moved: latest.state.isFinal ? try await settleCovered(claim, by: latest) : false) }
        return .own(TxOutcome.final(latest)?.kind)
    }

    func settleVerification(_ claim: Claim) async throws(KeeperError) -> Bool {
        let outcome: TxOutcome.Kind?
        switch try await standing(of: claim, .verify, function: "verifyPayout") {
        case .covered(let moved): return moved
        case .own(let kind): outcome = kind
        }
        switch outcome {
        case nil, .feeCapReached: return false
        case .dropped:
            let onChain = try await onChain(claim)
            if onChain.verified { return try await adoptVerdict(onChain, claim) }
            // Its nonce went to another transaction: not the claim's fault; the same verdict is sent again.
            return try await reissue(claim, .verify, why: "the verifyPayout transaction was dropped: its nonce went to another transaction")
        case .confirmed:
            let paysOut = claim.liquidated == true && (claim.amount ?? .zero) > .zero
            try ledger.transition(claim, to: paysOut ? .verified : .rejected, why: "verifyPayout confirmed")
            CrashPoint.afterVerdict.reach(log)
            return true
        case .reverted(let reason):
            let onChain = try await onChain(claim)
            if onChain.verified { return try await adoptVerdict(onChain, claim) }
            try ledger.transition(claim, to: .failed, .init(reason: .some("verifyPayout reverted: \(reason ?? "no reason")")))
            return true
        }
    }

    /// The contract already holds a verdict for this claim: take it as the claim's, with the
    /// evidence id and position identity of the local evidence whose root it names, if any.
    func adoptVerdict(_ onChain: OnChainClaim, _ claim: Claim) async throws(KeeperError) -> Bool {
        let paysOut = onChain.liquidated && onChain.amount > .zero
        let target: ClaimState = onChain.claimed ? .paid : (paysOut ? .verified : .rejected)
        var changes = ClaimLedger.Changes(amount: onChain.amount, liquidated: onChain.liquidated, evidenceRoot: onChain.evidenceRoot)
        if let local = try localEvidence(root: onChain.evidenceRoot) {
            changes.evidenceID = local.evidenceID
            changes.positionID = local.positionID
        }
        if onChain.claimed { changes.payoutDay = try await payoutDay(of: claim) }
        try ledger.transition(claim, to: target, changes, why: "verdict adopted from the contract")
        // A verdict moved the claim, as when its own verifyPayout is confirmed: whichever path saw it first.
        CrashPoint.afterVerdict.reach(log)
        return true
    }

    /// The local evidence whose root is `root`, and the position identity it covers: from the
    /// `evidence` row (the identity recorded with the verdict), else from the document's
    /// `normalized.position`; with no row (a database rebuilt from the chain), from the evidence
    /// files, whose names carry the root's first 16 hex digits.
    func localEvidence(root: Hash) throws(KeeperError) -> (evidenceID: String, positionID: String?)? {
        let row = try IndexStore.wrap {
            try ledger.database.fetchOne("SELECT evidence_id, position_id, path FROM evidence WHERE root = ? ORDER BY created_at DESC LIMIT 1",
                                         [root.description])
        }
        guard let row else { return evidenceFile(root: root) }
        let (evidenceID, recorded, path) = try IndexStore.wrap {
            (try row.get("evidence_id", as: String.self), try row.get("position_id", as: String?.self), try row.get("path", as: String.self))
        }
        if let recorded { return (evidenceID, recorded) }
        do {
            return (evidenceID, Self.positionIdentity(in: try EvidenceFiles.read(path: path)))
        } catch {
            log.warn("cannot read local evidence", ["evidence": "\(evidenceID)", "path": "\(path)", "error": "\(error.message)"])
            return (evidenceID, nil)
        }
    }

    /// The evidence file sealed with `root` under the archive's directory (`YYYY-MM-DD/evi_YYYYMMDD_<16 hex>.json`), if any.
    private func evidenceFile(root: Hash) -> (evidenceID: String, positionID: String?)? {
        guard let directory = archive?.files.root else { return nil }
        let suffix = "_" + String(root.description.dropFirst(2).prefix(16)) + ".json"
        let days: [String]
        do { days = try FileManager.default.contentsOfDirectory(atPath: directory) } catch { return nil }  // no evidence directory: nothing local
        for day in days.sorted(by: >) {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(day)") } catch { continue }  // a stray file, not a day directory
            for name in names where name.hasPrefix("evi_") && name.hasSuffix(suffix) {
                let path = "\(directory)/\(day)/\(name)"
                do {
                    let document = try EvidenceFiles.read(path: path)
                    guard document["evidence"]?["root"]?.stringValue == root.description,
                          let evidenceID = document["evidence"]?["evidenceId"]?.stringValue else { continue }
                    return (evidenceID, Self.positionIdentity(in: document))
                } catch {
                    log.warn("cannot read an evidence file", ["path": "\(path)", "error": "\(error.message)"])
                }
            }
        }
        return nil
    }

    /// The lifecycle the verdict engine wrote (`normalized.position.lifecycle`, `posId@cTime`); for a
    /// document written before lifecycles, its `posId`.
    static func positionIdentity(in document: JSON) -> String? {
        guard let position = document["normalized"]?["position"] else { return nil }
        if let lifecycle = position["lifecycle"]?.stringValue { return lifecycle }
        return position["posId"]?.stringValue
    }

    /// The chain day the claim's payout counts on: the contract counts a payout on the day of the
    /// block it is mined in, which is not the day it was sent for when a transaction sent before
    /// midnight (chain time) is mined after it. The block of its indexed `PayoutExecuted`, else the
    /// block the keeper's transaction that paid it was mined in; nil when neither is known yet.
    private func payoutDay(of claim: Claim) async throws(KeeperError) -> Int64? {
        var block = try IndexStore.wrap {
            try ledger.database.fetchOne("SELECT block_number FROM events WHERE name = 'PayoutExecuted' AND user = ? AND order_id = ? ORDER BY block_number DESC LIMIT 1",
                                         [claim.user.description.lowercased(), claim.orderID.description], as: UInt64.self)
        }
        if block == nil { block = try paymentBlock(of: claim) }
        guard let block else { return nil }
        return try await reader.chainDay(block: .number(block))
    }

    /// The block the keeper's transaction paying the claim (its own `executePayout`, or a
    /// `verifyAndPay` or batch covering it) succeeded in, if it has.
    private func paymentBlock(of claim: Claim) throws(KeeperError) -> UInt64? {
        guard let paying = try transactions.latest(for: jobKey(claim, .execute)), paying.state == .mined || paying.state == .confirmed else { return nil }
        return paying.blockNumber
    }

    /// A job whose transaction did not happen on-chain (dropped, or gone with a reorg) is issued again
    /// with the stored call: a new transaction (new nonce, new row), audited with the earlier one.
    private func reissue(_ claim: Claim, _ action: TxAction, why: String) async throws(KeeperError) -> Bool {
        let key = jobKey(claim, action)
        guard let earlier = try transactions.transaction(for: key) else {
            throw KeeperError(.badData, "claim \(claim.subject) has no \(action.rawValue) transaction to issue again")
        }
        do {
            let stored = try await transactions.resubmit(key, to: earlier.to, data: earlier.data) { db in
                try AuditLog.append(db, kind: "claim.reissue", subject: claim.subject,
                                    detail: ["action": .string(action.rawValue), "earlier": .string(earlier.hash.description), "why": .string(why)])
            }
            log.info("transaction issued again", ["claim": "\(claim.subject)", "action": "\(action.rawValue)", "earlier": "\(earlier.hash)", "hash": "\(stored.hash)", "nonce": .int(stored.nonce), "why": "\(why)"])
            return false
        } catch where error.code == .reverted {
            try ledger.transition(claim, to: .failed, .init(reason: .some("\(why); issuing it again would revert: \(Self.reason(error))")))
            return true
        }
    }

    /// Waits (true) while a transaction of the claim's `action` job is in flight.
    private func waitForFlight(_ claim: Claim, _ action: TxAction) throws(KeeperError) -> Bool {
        guard let flying = try transactions.inFlight(for: jobKey(claim, action)) else { return false }
        log.debug("waiting for the job's transaction in flight", ["claim": "\(claim.subject)", "action": "\(action.rawValue)", "hash": "\(flying.hash)", "state": "\(flying.state.rawValue)"])
        try ledger.reschedule(claim, at: clock() + settings.recheckMilliseconds)
        return true
    }
}

// MARK: Review

extension ClaimPipeline {
    /// A claim held for review. Before its verdict is on-chain: an approval writes the held
    /// verdict, a rejection writes "not paid" (amount 0) with the operator's decision sealed into
    /// new evidence. After (a verdict adopted from the chain above `reviewAbove`): an approval pays,
    /// a rejection ends the claim in `failed`.
    func held(_ claim: Claim) async throws(KeeperError) -> Bool {
        let onChain = try await onChain(claim)
        if onChain.verified {
            guard claim.evidenceRoot == onChain.evidenceRoot, claim.amount == onChain.amount else { return try await adoptVerdict(onChain, claim) }
            if claim.review == .rejected {
                try ledger.transition(claim, to: .failed, .init(reason: .some("rejected by operator \(claim.reviewBy ?? "?")")), why: "operator review")
                return true
            }
            return try await pay(claim)
        }
        if try waitForFlight(claim, .verify) { return false }
        switch claim.review {
        case nil:
            try ledger.reschedule(claim, at: clock() + settings.recheckMilliseconds)
            return false
        case .approved:
            guard let amount = claim.amount, let liquidated = claim.liquidated, let root = claim.evidenceRoot, let evidenceID = claim.evidenceID else {
                throw KeeperError(.badData, "claim \(claim.subject) was approved without a verdict: `lg-keeper claims retry` checks it again")
            }
            let verdict = ClaimVerdict(amount: amount, liquidated: liquidated, evidenceID: evidenceID, evidenceRoot: root, refusal: nil, positionID: claim.positionID)
            try await queue(verdict, for: claim, why: "approved by \(claim.reviewBy ?? "an operator"): verdict sent on-chain")
            return false
        case .rejected:
            let verdict = try rejection(of: claim)
            try await queue(verdict, for: claim, why: "rejected by \(claim.reviewBy ?? "an operator"): \"not paid\" sent on-chain")
            return false
        }
    }

    /// The "not paid" verdict of an operator's rejection: the claim's evidence (or, held without a
    /// verdict, a bundle naming the claim) with `normalized.review` = the decision, the operator and
    /// the note, the payout set to 0 (`rejected-by-operator`), resealed with the earlier root as parent.
    func rejection(of claim: Claim) throws(KeeperError) -> ClaimVerdict {
        guard let archive else { throw KeeperError(.software, "the claim pipeline has no evidence archive to seal an operator's rejection in") }
        let decidedAt = VerificationResponse.timestamp(milliseconds: clock())
        var document: [String: JSON]
        if let evidenceID = claim.evidenceID, let entry = try archive.entry(evidenceID) {
            do { document = try EvidenceFiles.read(path: entry.path).objectValue ?? [:] } catch {
                throw KeeperError(.unavailable, "cannot read the evidence \(evidenceID) of claim \(claim.subject) to seal the rejection into: \(error.message)")
            }
        } else {
            document = ["meta": ["exchange": "okx", "ordId": .string(claim.orderID.description), "instId": .string(claim.instID),
                                 "wallet": .string(claim.user.description.lowercased()), "verifiedAt": .string(decidedAt),
                                 "requestId": .string(claim.subject), "live": .bool(false)],
                        "raw": [:], "perf": [:], "error": .null]
        }
        let parentRoot = document["evidence"]?["root"]?.stringValue
        var normalized = document["normalized"]?.objectValue ?? [:]
        normalized["review"] = ["decision": "rejected-by-operator", "operator": .string(claim.reviewBy ?? "operator"),
                                "note": claim.reviewNote.map { .string($0) } ?? .null, "decidedAt": .string(decidedAt),
                                "heldBecause": claim.reason.map { .string($0) } ?? .null]
        if var payout = normalized["payout"]?.objectValue {
            payout["amount"] = "0"
            payout["refusal"] = "rejected-by-operator"
            normalized["payout"] = .object(payout)
        }
        document["normalized"] = .object(normalized)
        let sealed: JSON
        do { sealed = try EvidenceBundle.seal(.object(document), parentRoot: parentRoot) } catch {
            throw KeeperError(.software, "cannot seal the rejection of claim \(claim.subject): \(error.message)")
        }
        let receipt = try archive.store(sealed, wallet: claim.user.description.lowercased(), refusing: [])
        let refusal = "rejected by operator \(claim.reviewBy ?? "?")" + (claim.reviewNote.map { ": \($0)" } ?? "")
        return ClaimVerdict(amount: .zero, liquidated: claim.liquidated ?? false, evidenceID: receipt.evidenceId, evidenceRoot: receipt.root,
                            refusal: refusal, positionID: claim.positionID)
    }
}

// MARK: Payment

extension ClaimPipeline {
    func pay(_ claim: Claim) async throws(KeeperError) -> Bool {
        let onChain = try await onChain(claim)
        if onChain.claimed {
            try ledger.transition(claim, to: .paid, .init(payoutDay: try await payoutDay(of: claim)), why: "already paid on-chain")
            return true
        }
        if try waitForFlight(claim, .execute) { return false }
        guard let amount = claim.amount else { throw KeeperError(.badData, "claim \(claim.subject) is \(claim.state.rawValue) without an amount") }
        let decision = try await decidePayment(claim, amount: amount, approved: claim.review == .approved)
        switch decision {
        case .pay:
            if contractPaused { return try waitForUnpause(claim) }
            let control = try IndexStore.wrap { try KeeperControl.state(ledger.database) }
            if control.paused {
                try ledger.reschedule(claim, at: clock() + settings.recheckMilliseconds)
                return false
            }
            try queuePayment(claim, amount: amount)
            return false
        case .awaitFunds(let why):
            return try wait(claim, in: .awaitingFunds, why: why, alert: .poolShortfall)
        case .overLimit(let why):
            return try wait(claim, in: .awaitingLimit, why: why, alert: .claimOverLimit)
        case .awaitLimit(let why), .holdReview(let why):
            return try wait(claim, in: decision.state!, why: why)
        case .refuse(let why):
            try ledger.transition(claim, to: .failed, .init(reason: .some(why)), why: "payout policy")
            return true
        }
    }

    func submitPayment(_ claim: Claim, day: Int64) async throws(KeeperError) -> Bool {
        let data = try Self.encode(LeverageGuardContract.executePayout, [.address(claim.user), .uint(claim.orderID)])
        do {
            return try await send(claim, .execute, LeverageGuardContract.executePayout.name, data: data) { db in
                try KeeperControl.requireRunning(db)
                try ClaimLedger.transition(claim, to: .executePending, .init(reason: .some(nil), payoutDay: day), why: "executePayout sent", in: db)
            }
        } catch where error.code == .halted {
            // Paused after `pay` looked: nothing was stored or sent; the claim is looked at again.
            try ledger.reschedule(claim, at: clock() + settings.recheckMilliseconds)
            return false
        } catch where error.code == .reverted {
            let reason = Self.reason(error)
            if reason.contains("daily limit") { return try wait(claim, in: .awaitingLimit, why: "the contract's daily limit: \(reason)") }
            if reason.contains("insufficient pool") { return try wait(claim, in: .awaitingFunds, why: "the contract says \(reason)", alert: .poolShortfall) }
            if reason.contains("paused") { return try waitForUnpause(claim) }
            if reason.contains("already claimed") {
                try ledger.transition(claim, to: .paid, .init(payoutDay: try await payoutDay(of: claim)), why: "already paid on-chain")
                return true
            }
            try ledger.transition(claim, to: .failed, .init(reason: .some("executePayout would revert: \(reason)")))
            return true
        }
    }

    /// The contract is paused by its owner: the claim keeps its state and its attempts and is looked
    /// at again after `recheckMilliseconds`; the first wait of each pause is logged.
    private func waitForUnpause(_ claim: Claim) throws(KeeperError) -> Bool {
        if waitingForUnpause.insert(claim.subject).inserted {
            log.warn("payout waits: the contract is paused by its owner", ["claim": "\(claim.subject)", "state": "\(claim.state.rawValue)"])
        }
        try ledger.reschedule(claim, at: clock() + settings.recheckMilliseconds)
        return false
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
                if let alert {
                    // A claim over the daily limit is said once, delivered or not: waiting changes nothing.
                    try AlertOutbox.raise(db, alert, "claim \(claim.subject) waits: \(why)", dedupeKey: "\(alert.rawValue):\(claim.subject)",
                                          once: alert == .claimOverLimit)
                }
            }
        }
        return true
    }

    func settlePayment(_ claim: Claim) async throws(KeeperError) -> Bool {
        let outcome: TxOutcome.Kind?
        switch try await standing(of: claim, .execute, function: "executePayout") {
        case .covered(let moved): return moved
        case .own(let kind): outcome = kind
        }
        switch outcome {
        case nil, .feeCapReached: return false
        case .dropped:
            let onChain = try await onChain(claim)
            if onChain.claimed {
                try ledger.transition(claim, to: .paid, .init(payoutDay: try await payoutDay(of: claim)), why: "paid on-chain by another transaction")
                return true
            }
            return try await reissue(claim, .execute, why: "the executePayout transaction was dropped: its nonce went to another transaction")
        case .confirmed:
            // Sent for the day it was decided on; paid on the day of its block.
            try ledger.transition(claim, to: .paid, .init(payoutDay: try await payoutDay(of: claim)), why: "executePayout confirmed")
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
