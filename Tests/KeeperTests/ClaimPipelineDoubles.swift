import Foundation
import Synchronization
import Testing
@testable import Ethereum
@testable import Indexer
import Logging
@testable import Keeper
@testable import Settlement
@testable import OKX
@testable import Store

/// The contract as the pipeline reads it: each claim's `getClaim`, set by the test; a claim the test
/// never set is requested and nothing more.
final class ScriptedChain: ContractReading {
    private let claims = Mutex<[String: OnChainClaim]>([:])
    private let readCount = Mutex(0)
    let day: Int64 = 20_000
    let gasLimit: UInt64 = 30_000_000

    static let requested = OnChainClaim(principal: UInt256(1_000_000), leverage: UInt256(10), requestedAt: UInt256(1), amount: .zero,
                                        liquidated: false, verified: false, claimed: false, evidenceRoot: .zero)

    /// The contract now holds a verdict (and maybe its payment) for the claim.
    func record(_ claim: Claim, amount: UInt256, liquidated: Bool = true, claimed: Bool = false, root: Hash = ScriptedVerifier.root(9)) {
        let state = OnChainClaim(principal: Self.requested.principal, leverage: Self.requested.leverage, requestedAt: Self.requested.requestedAt,
                                 amount: amount, liquidated: liquidated, verified: true, claimed: claimed, evidenceRoot: root)
        claims.withLock { $0[claim.subject] = state }
    }

    /// `getClaim` calls answered so far.
    var reads: Int { readCount.withLock { $0 } }

    func claim(user: Address, orderID: UInt256, block: BlockTag) async throws(KeeperError) -> OnChainClaim {
        readCount.withLock { $0 += 1 }
        let subject = "\(user.description.lowercased())/\(orderID)"
        return claims.withLock { $0[subject] } ?? Self.requested
    }

    func claims(_ keys: [(user: Address, orderID: UInt256)], block: BlockTag, batchSize: Int) async throws(KeeperError) -> [OnChainClaim] {
        var answers = [OnChainClaim]()
        for key in keys { answers.append(try await claim(user: key.user, orderID: key.orderID, block: block)) }
        return answers
    }

    func chainDay(block: BlockTag) async throws(KeeperError) -> Int64 { day }
    func paidToday(block: BlockTag) async throws(KeeperError) -> UInt256 { .zero }
    func poolBalance(block: BlockTag) async throws(KeeperError) -> UInt256 { UInt256(1_000_000_000_000) }
    /// The contract's `dailyPayoutLimit()`; a test lowers it.
    let contractDailyLimit = Mutex(UInt256(1_000_000_000_000))
    func dailyPayoutLimit(block: BlockTag) async throws(KeeperError) -> UInt256 { contractDailyLimit.withLock { $0 } }
    func blockGasLimit() async throws(KeeperError) -> UInt64 { gasLimit }
}

/// The verdict engine's outcomes, by order id, counting the calls and how many run at once. Like
/// the real engine, a paying verdict for a position in `claimedPositions` comes back refused
/// (`position-already-claimed`, nothing paid).
final class ScriptedVerifier: ClaimVerifying {
    private struct State {
        var verdicts: [UInt256: ClaimVerdict] = [:]
        var calls: [UInt256] = []
        var running = 0
        var mostAtOnce = 0
    }
    private let state = Mutex(State())
    /// How long one verification takes (so that concurrent ones overlap).
    let delay: Duration
    /// Verifications wait (up to 30 s) until this many have run at once: overlap by synchronisation, not
    /// by a delay a loaded machine can outlast before the next one starts.
    let overlap: Int

    init(delay: Duration = .milliseconds(1), overlap: Int = 1) {
        self.delay = delay
        self.overlap = overlap
    }

    static func root(_ byte: UInt8) -> Hash { Hash(unchecked: [UInt8](repeating: byte, count: 32)) }

    /// A liquidation verdict paying `amount` for order `orderID`, covering `position`.
    func pays(_ orderID: Int, _ amount: UInt64, position: String? = nil) {
        let verdict = ClaimVerdict(amount: UInt256(amount), liquidated: true, evidenceID: "ev\(orderID)", evidenceRoot: Self.root(UInt8(orderID)),
                                   refusal: nil, positionID: position ?? "pos\(orderID)@1")
        state.withLock { $0.verdicts[UInt256(UInt64(orderID))] = verdict }
    }

    /// A verdict of "not liquidated" for order `orderID` (written on-chain, nothing paid).
    func notLiquidated(_ orderID: Int) {
        let verdict = ClaimVerdict(amount: .zero, liquidated: false, evidenceID: "ev\(orderID)", evidenceRoot: Self.root(UInt8(orderID)),
                                   refusal: "not-liquidated", positionID: nil)
        state.withLock { $0.verdicts[UInt256(UInt64(orderID))] = verdict }
    }

    /// The orders verified so far, in call order.
    var calls: [UInt256] { state.withLock { $0.calls } }
    var mostAtOnce: Int { state.withLock { $0.mostAtOnce } }

    func key(for claim: Claim) -> ClaimKeyLookup {
        .found(OKXCredentials(apiKey: "key", secretKey: "secret", passphrase: "pass"))
    }

    func keyAlias(for claim: Claim) throws(KeeperError) -> String { "test" }

    /// The pipeline's removals of a key OKX says can trade: (order, API key hash).
    let removed = Mutex<[(UInt256, String)]>([])
    func removeKey(of claim: Claim, apiKeyHash: String, in db: Database) throws -> Int {
        removed.withLock { $0.append((claim.orderID, apiKeyHash)) }
        return 1
    }

    func verify(_ claim: Claim, credentials: OKXCredentials, claimedPositions: Set<String>) async throws(KeeperError) -> VerificationAttempt {
        let verdict = state.withLock { state -> ClaimVerdict? in
            state.calls.append(claim.orderID)
            state.running += 1
            state.mostAtOnce = max(state.mostAtOnce, state.running)
            return state.verdicts[claim.orderID]
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while mostAtOnce < overlap, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(1)) }
        try? await Task.sleep(for: delay)
        state.withLock { $0.running -= 1 }
        guard let verdict else { return .permanent("order \(claim.orderID) not found") }
        if verdict.amount > .zero, let position = verdict.positionID, claimedPositions.contains(position) {
            return .verdict(ClaimVerdict(amount: .zero, liquidated: true, evidenceID: verdict.evidenceID + "-refused", evidenceRoot: Self.root(0xEE),
                                         refusal: "position-already-claimed", positionID: position))
        }
        return .verdict(verdict)
    }
}

/// The transaction manager without a node: the same contract as `TxManager` — a simulation that
/// may revert (storing nothing), a gas estimate checked against the batch ceiling, and the signed
/// transaction, its `tx_items` and the caller's `alsoWrite` in one SQLite transaction, through the
/// same `TxStore` — so that `latest`, `inFlight` and `items` answer as in production. The test ends
/// transactions (`finish`) as the chain would.
final class ScriptedTransactions: ClaimTransactions {
    let database: Database
    let store: TxStore
    let signer = Signer(key: try! PrivateKey(hex: "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"))
    let chainID: UInt64
    /// The simulation's verdict on a call: a revert reason, or nil when it succeeds.
    var revert: (_ function: ABIFunction?, _ data: [UInt8]) -> String? = { _, _ in nil }
    /// Gas a call is estimated at.
    var gas: (_ function: ABIFunction?, _ data: [UInt8]) -> UInt64 = { _, _ in 100_000 }
    /// Every call simulated, stored or not.
    private(set) var simulated: [ABIFunction?] = []
    /// The transactions stored, in order.
    private(set) var stored: [Int64] = []

    static let functions = [LeverageGuardContract.verifyPayout, LeverageGuardContract.verifyAndPay, LeverageGuardContract.executePayout,
                            LeverageGuardContract.verifyPayoutBatch, LeverageGuardContract.verifyAndPayBatch, LeverageGuardContract.executePayoutBatch]

    init(database: Database, chainID: UInt64 = 1337) {
        self.database = database
        self.store = TxStore(database: database)
        self.chainID = chainID
    }

    static func function(of data: [UInt8]) -> ABIFunction? {
        functions.first { $0.selector == Array(data.prefix(4)) }
    }

    /// What was stored, oldest first: the function and the order ids of its items, in calldata order.
    func sent() throws -> [(function: String, orders: [UInt256], transaction: StoredTransaction)] {
        try stored.map { id in
            let transaction = try store.transaction(id: id)
            guard let function = Self.function(of: transaction.data) else { return ("?", [], transaction) }
            let arguments = try function.decodeCall(transaction.data)
            let orders: [UInt256] = if function.name.hasSuffix("Batch") {
                try arguments[0].asArray().map { try $0.asArray()[1].asUInt() }
            } else {
                [try arguments[1].asUInt()]
            }
            return (function.name, orders, transaction)
        }
    }

    /// The decoded arguments of stored transaction `index`.
    func arguments(_ index: Int) throws -> [ABIValue] {
        let transaction = try store.transaction(id: stored[index])
        return try Self.function(of: transaction.data)!.decodeCall(transaction.data)
    }

    /// Ends stored transaction `index` as the chain would: confirmed, reverted or dropped.
    func finish(_ index: Int, _ state: TxState, reason: String? = nil) throws {
        try store.finish(txID: stored[index], state: state, revertReason: reason)
    }

    func transaction(for key: TxJobKey) throws(KeeperError) -> StoredTransaction? { try store.transaction(for: key) }
    func latest(for key: TxJobKey) throws(KeeperError) -> StoredTransaction? { try store.latest(for: key) }
    func inFlight(for key: TxJobKey) throws(KeeperError) -> StoredTransaction? { try store.inFlight(for: key) }
    func outcome(for key: TxJobKey) throws(KeeperError) -> TxOutcome? { try store.transaction(for: key).flatMap { TxOutcome.final($0) } }
    func items(of transaction: StoredTransaction) throws(KeeperError) -> [TxJobKey] { try store.items(txID: transaction.id) }

    func submit(_ key: TxJobKey, to: Address, data: [UInt8], alsoWrite: (Database) throws -> Void) async throws(KeeperError) -> StoredTransaction {
        try send(key, to: to, data: data, afterFailure: false, items: [], gasCeiling: nil, alsoWrite: alsoWrite).transaction
    }

    func resubmit(_ key: TxJobKey, to: Address, data: [UInt8], alsoWrite: (Database) throws -> Void) async throws(KeeperError) -> StoredTransaction {
        try send(key, to: to, data: data, afterFailure: true, items: [], gasCeiling: nil, alsoWrite: alsoWrite).transaction
    }

    func submit(_ key: TxJobKey, covering items: [TxJobKey], to: Address, data: [UInt8], gasCeiling: UInt64?,
                alsoWrite: (Database) throws -> Void) async throws(KeeperError) -> StoredTransaction? {
        if try store.transaction(for: key) != nil { return nil }
        for item in items where try store.inFlight(for: item) != nil { return nil }
        let sent = try send(key, to: to, data: data, afterFailure: false, items: items, gasCeiling: gasCeiling, alsoWrite: alsoWrite)
        return sent.inserted ? sent.transaction : nil
    }

    private func send(_ key: TxJobKey, to: Address, data: [UInt8], afterFailure: Bool, items: [TxJobKey], gasCeiling: UInt64?,
                      alsoWrite: (Database) throws -> Void) throws(KeeperError) -> (transaction: StoredTransaction, inserted: Bool) {
        if let existing = try store.transaction(for: key), !TxManager.mayFollow(existing, afterFailure: afterFailure) { return (existing, false) }
        let function = Self.function(of: data)
        simulated.append(function)
        if let reason = revert(function, data) {
            throw KeeperError(.reverted, "job \(key) would revert: \(reason)", revertReason: .error(reason))
        }
        let estimate = gas(function, data)
        if let gasCeiling, estimate > gasCeiling {
            throw KeeperError(.unavailable, "job \(key) needs \(estimate) gas, above the batch ceiling \(gasCeiling): split it")
        }
        var inserted = false
        let id: Int64? = try TxStore.wrap {
            try database.transaction { db -> Int64? in
                let existing = try store.transaction(for: key)
                if let existing, !TxManager.mayFollow(existing, afterFailure: afterFailure) { return existing.id }
                for item in items where try store.inFlight(for: item) != nil { return nil }
                let nonce = try store.highestNonce(chainID: chainID, sender: signer.address).map { $0 + 1 } ?? 0
                let signed = try signer.sign(EIP1559Transaction(chainId: chainID, nonce: nonce, maxPriorityFeePerGas: UInt256(1), maxFeePerGas: UInt256(2),
                                                                gasLimit: estimate, to: to, data: data))
                let id = try store.insert(key: key, generation: existing.map { $0.generation + 1 } ?? 0, signed: signed, to: to, data: data,
                                          gasLimit: estimate, maxFee: UInt256(2), priorityFee: UInt256(1), sentBlock: 0)
                try store.insertItems(txID: id, items)
                try alsoWrite(db)
                inserted = true
                return id
            }
        }
        guard let id else { throw KeeperError(.unavailable, "job \(key): an item got a transaction in flight meanwhile") }
        if inserted { stored.append(id) }
        return (try store.transaction(id: id), inserted)
    }
}

/// The lines a pipeline logged, through a sink.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    /// A logger at debug whose lines land here.
    var logger: Logger { Logger(level: .debug, sink: LogSink { [self] line in append(line) }) }
    var all: [String] { lines.withLock { $0 } }
    func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }
}

/// A clock the test moves.
final class ManualClock: Sendable {
    private let value = Mutex<Int64>(1_000_000)
    var now: Int64 { value.withLock { $0 } }
    func advance(by milliseconds: Int64) { value.withLock { $0 += milliseconds } }
}

/// A pipeline over a real ledger (SQLite in a temporary file), with the chain, the transaction
/// manager and the verdict engine stood in for.
struct PipelineHarness {
    let fixture: ClaimFixture
    let chain = ScriptedChain()
    let verifier: ScriptedVerifier
    let transactions: ScriptedTransactions
    let clock = ManualClock()
    let pipeline: ClaimPipeline
    /// What the pipeline logged.
    let log = LogLines()

    static let contract = try! Address(hex: "0x0000000000000000000000000000000000000001")

    init(maxConcurrentVerifications: Int = 32, verifierDelay: Duration = .milliseconds(1), verifierOverlap: Int = 1) throws {
        fixture = try ClaimFixture()
        verifier = ScriptedVerifier(delay: verifierDelay, overlap: verifierOverlap)
        transactions = ScriptedTransactions(database: fixture.database)
        var settings = ClaimPipeline.Settings(chainID: 1337, contract: Self.contract,
                                              policy: PayoutPolicy(maxPayoutPerClaim: UInt256(1_000_000_000), dailyLimit: UInt256(1_000_000_000_000),
                                                                   minPoolReserve: .zero, reviewAbove: UInt256(1_000_000_000), denylist: []))
        settings.maxConcurrentVerifications = maxConcurrentVerifications
        let clock = self.clock, log = self.log
        pipeline = ClaimPipeline(settings: settings, ledger: fixture.ledger, reader: chain, transactions: transactions, verifier: verifier,
                                 clock: { clock.now }, log: log.logger)
    }

    /// A requested claim of `user` (one of a few fixed traders) for order `orderID`, requested in block 10 + orderID.
    @discardableResult
    func request(_ orderID: Int, trader: Int = 0xaa) throws -> Claim {
        let user = "0x" + String(repeating: "0", count: 38) + String(format: "%02x", trader)
        return try fixture.insertClaim(user: user, orderID: orderID, block: 10 + orderID)
    }

    func current(_ claim: Claim) throws -> Claim { try fixture.ledger.claim(id: claim.id)! }

    /// One pass, the verifications it started answered, and the clock past every recheck.
    @discardableResult
    func round() async throws -> ClaimPipeline.PassReport {
        let report = try await pipeline.pass()
        await pipeline.drainVerifications()
        clock.advance(by: pipeline.settings.recheckMilliseconds + 1)
        return report
    }

    /// The `why` of the claim's audited transitions, oldest first.
    func audit(_ claim: Claim) throws -> [String] {
        try fixture.ledger.history(of: claim).filter { $0.kind == "claim.transition" }.map { entry in
            "\(entry.detail["to"]?.stringValue ?? "?"): \(entry.detail["why"]?.stringValue ?? "")"
        }
    }
}
