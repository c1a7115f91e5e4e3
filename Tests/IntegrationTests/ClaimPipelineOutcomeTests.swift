import Foundation
import Synchronization
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement
@testable import OKX
@testable import Store

/// Issue 13, items 3 and 4 on the pipeline's side: what the pipeline does with each outcome the
/// verdict engine can give, driven by a double standing in for the engine, on a claim filed and
/// indexed on a devnode, with the operator's commands run through `lg-keeper`.
@Suite(.serialized) struct ClaimPipelineOutcomeTests {
    /// Answers each verification with the next scripted outcome; the key lookup is settable.
    final class ScriptedVerifier: ClaimVerifying {
        enum Step: Sendable { case attempt(VerificationAttempt), fail(KeeperError) }
        let script = Mutex<[Step]>([])
        let lookup = Mutex<ClaimVerifier.KeyLookup>(.missing)
        let asked = Mutex(0)

        func key(for claim: Claim) -> ClaimVerifier.KeyLookup { lookup.withLock { $0 } }
        func keyAlias(for claim: Claim) throws(KeeperError) -> String { "user0" }
        func removeKey(of claim: Claim, apiKeyHash: String, in db: Database) throws -> Int { 0 }
        func verify(_ claim: Claim, credentials: OKXCredentials, claimedPositions: Set<String>) async throws(KeeperError) -> VerificationAttempt {
            asked.withLock { $0 += 1 }
            let step = script.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            switch step {
            case .attempt(let attempt): return attempt
            case .fail(let error): throw error
            case nil: throw KeeperError(.software, "the script is used up")
            }
        }
    }

    final class TestClock: Sendable {
        let now: Mutex<Int64>
        init(_ start: Int64) { now = Mutex(start) }
    }

    struct Fixture {
        let harness: SettlementHarness
        let pipeline: ClaimPipeline
        let verifier: ScriptedVerifier
        let clock: TestClock
        let ledger: ClaimLedger
        let scenario: OKXScenario
        var user: Address { get throws { try harness.userAddress(0) } }

        func claim() throws -> Claim { try #require(try ledger.claim(user: try user, orderID: try UInt256(decimal: scenario.ordId))) }
        func audits(_ kind: String) throws -> Int { try ledger.database.fetchOne("SELECT count(*) FROM audit_log WHERE kind = ?", [kind], as: Int.self) ?? 0 }
        func set(_ time: Int64) { clock.now.withLock { $0 = time } }
        /// One pass, the verifications it started answered, and the pass that writes their answers.
        @discardableResult
        func pass() async throws -> ClaimPipeline.PassReport {
            var report = try await pipeline.pass()
            await pipeline.drainVerifications()
            let writing = try await pipeline.pass()
            report.examined += writing.examined
            report.transitions += writing.transitions
            return report
        }
        func lg(_ words: [String]) throws -> KeeperBinary.Result {
            try KeeperBinary.run(words + ["--config", harness.configPath], environment: harness.environment)
        }
    }

    static let start: Int64 = 1_900_000_000_000

    /// devnet user 0 files a claim for scenario 01 with a key in the vault; `index --once` indexes it.
    static func fixture() async throws -> Fixture {
        let harness = try SettlementHarness()
        let s = try SettlementHarness.scenario("01-full-liquidation-long.json")
        try harness.addKey(user: 0, scenario: s)
        try harness.requestClaim(user: 0, scenario: s)
        let indexed = try KeeperBinary.run(["index", "--once", "--config", harness.configPath], environment: harness.environment)
        guard indexed.status == 0 else { throw ScenarioError(description: "index --once exited \(indexed.status): \(indexed.stderr)") }
        let database = try harness.database()
        let signer = Signer(key: try PrivateKey(hex: harness.devnet.deployment.keeper.privateKey))
        let gwei = UInt256(1_000_000_000)
        let transactions = try TxManager(database: database, rpc: harness.rpc, signer: signer,
                                         options: .init(chainID: harness.devnet.deployment.chainId, confirmations: 0, maxFeePerGas: gwei &* UInt256(100),
                                                        bumpPercent: 15, bumpAfterBlocks: 3))
        let thousand = try UInt256(decimal: "1000000000000000000000")
        let policy = PayoutPolicy(maxPayoutPerClaim: thousand, dailyLimit: thousand, minPoolReserve: .zero, reviewAbove: thousand, denylist: [])
        let settings = ClaimPipeline.Settings(chainID: harness.devnet.deployment.chainId, contract: try harness.contract, policy: policy)
        let clock = TestClock(start)
        let verifier = ScriptedVerifier()
        let pipeline = ClaimPipeline(settings: settings, ledger: ClaimLedger(database: database), reader: try harness.reader,
                                     transactions: transactions, verifier: verifier, clock: { clock.now.withLock { $0 } })
        return Fixture(harness: harness, pipeline: pipeline, verifier: verifier, clock: clock, ledger: ClaimLedger(database: database), scenario: s)
    }

    @Test(.timeLimit(.minutes(3))) func anUndecidedClaimIsRecheckedForTheWindowThenHeldAndRetriedByTheOperator() async throws {
        let f = try await Self.fixture()
        defer { f.harness.stop() }
        let hour: Int64 = 3_600_000
        f.verifier.lookup.withLock { $0 = .found(f.scenario.credentials) }
        f.verifier.script.withLock {
            $0 = [.attempt(.transient("RATE_LIMIT on account/positions-history"))]
                + Array(repeating: .attempt(.undecided("positions-history has no closed record of the position yet")), count: 3)
        }
        try await f.pass()
        var claim = try f.claim()
        #expect(claim.state == .verifying && claim.attempts == 1 && claim.nextAttemptAt == Self.start + 2_000)

        // The first undecided answer opens the decision window; OKX answered, so the transient streak is over.
        let t0 = Self.start + 2_000
        f.set(t0)
        try await f.pass()
        claim = try f.claim()
        #expect(claim.state == .verifying && claim.undecidedSince == t0 && claim.attempts == 0)
        #expect(claim.nextAttemptAt == t0 + 60_000, "the first recheck within 60 s")
        #expect(claim.reason == "positions-history has no closed record of the position yet")
        #expect(try await f.pass().examined == 0, "not before its recheck")

        // The same answer a minute later: rescheduled, twice as far, without a new audit row.
        let transitions = try f.audits("claim.transition")
        f.set(t0 + 60_000)
        try await f.pass()
        claim = try f.claim()
        #expect(claim.state == .verifying && claim.nextAttemptAt == t0 + 120_000)
        #expect(try f.audits("claim.transition") == transitions)

        // The window (24 h by default) is over: held for an operator, never a verdict by itself.
        f.set(t0 + 24 * hour)
        try await f.pass()
        claim = try f.claim()
        #expect(claim.state == .heldReview, "\(claim.state.rawValue)")
        #expect(claim.reason?.contains("undecided for 24 h: positions-history has no closed record") == true, "\(claim.reason ?? "")")
        #expect(claim.amount == nil && claim.evidenceRoot == nil)
        #expect(try await f.harness.rpc.transactionCount(of: try Address(hex: f.harness.devnet.deployment.keeper.address), block: .latest) == 0,
                "nothing was written on-chain")
        #expect(f.verifier.asked.withLock { $0 } == 4)

        // Nothing to approve: the refusal says what to do. `claims retry` checks it again.
        let approve = try f.lg(["claims", "approve", claim.user.description, claim.orderID.description, "--by", "erin"])
        #expect(approve.status != 0 && approve.stderr.contains("claims retry"), "\(approve.status) \(approve.stderr)")
        #expect(approve.stderr.split(separator: "\n").count == 1, "one line: \(approve.stderr)")
        let retry = try f.lg(["claims", "retry", claim.user.description, claim.orderID.description, "--by", "erin"])
        #expect(retry.status == 0, "\(retry.stderr)")
        claim = try f.claim()
        #expect(claim.state == .requested && claim.undecidedSince == nil && claim.reason?.contains("retried by operator erin") == true)

        // Decided this time: the verdict goes on-chain, with its payment (`verifyAndPay`).
        let root = try Hash(hex: "0x" + String(repeating: "5a", count: 32))
        f.verifier.script.withLock { $0 = [.attempt(.verdict(ClaimVerdict(amount: UInt256(25), liquidated: true, evidenceID: "evi_test", evidenceRoot: root,
                                                                           refusal: nil, positionID: "1@1700000000000")))] }
        try await f.pass()
        claim = try f.claim()
        #expect(claim.state == .executePending && claim.positionID == "1@1700000000000", "\(claim.state)")
        let retryAgain = try f.lg(["claims", "retry", claim.user.description, claim.orderID.description])
        #expect(retryAgain.status != 0 && retryAgain.stderr.contains("execute_pending"), "\(retryAgain.stderr)")
        #expect(try AuditLog.verify(f.ledger.database).broken == nil)
    }

    @Test(.timeLimit(.minutes(3))) func keyAndHostFaultsNeverUseUpAttemptsAndANewKeyResumesTheClaimAtOnce() async throws {
        let f = try await Self.fixture()
        defer { f.harness.stop() }
        f.verifier.lookup.withLock { $0 = .found(f.scenario.credentials) }
        f.verifier.script.withLock {
            $0 = [.attempt(.keyInvalid("50111 Invalid OK-ACCESS-KEY")), .fail(KeeperError(.unavailable, "cannot write reports/evidence: No space left on device")),
                  .fail(KeeperError(.software, "a credential string in an OKX answer")), .attempt(.transient("RATE_LIMIT on trade/order"))]
        }

        try await f.pass()
        var claim = try f.claim()
        let wallet = try f.user.description.lowercased()
        #expect(claim.state == .needsKey && claim.attempts == 0, "\(claim.state.rawValue) \(claim.attempts)")
        #expect(claim.reason?.contains("'user0'") == true && claim.reason?.contains("keys add --wallet \(wallet)") == true, "\(claim.reason ?? "")")
        #expect(claim.nextAttemptAt == Self.start + f.pipeline.settings.keyRecheckMilliseconds)
        let alerts = try f.ledger.database.fetchAll("SELECT body FROM alerts WHERE kind = 'key_invalid'").map { try JSON(parsing: try $0.get(0, as: String.self)) }
        #expect(alerts.count == 1)
        #expect(alerts.first?["detail"]?["wallet"]?.stringValue == wallet && alerts.first?["detail"]?["alias"]?.stringValue == "user0")
        #expect(try await f.pass().examined == 0, "the refused key is not tried again at once")

        // The trader registers a new key: the claim is looked at on the very next pass.
        let creds = f.scenario.credentials
        let added = try KeeperBinary.runWithInput(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "user0-renewed", "--db", f.harness.databasePath],
                                                  input: "\(creds.apiKey)\n\(creds.secretKey)\n\(creds.passphrase)\n", environment: f.harness.environment)
        #expect(added.status == 0 && added.stdout.contains("1 claim(s) waiting for a key resumed"), "\(added.stdout) \(added.stderr)")
        #expect(try f.claim().nextAttemptAt == 0)
        #expect(try f.audits("claims.key_added") == 1)

        // The vault cannot be read on this host: no attempt used.
        f.verifier.lookup.withLock { $0 = .unreadable("the vault cannot be read: no master key in LGK_VAULT_KEY") }
        try await f.pass()
        claim = try f.claim()
        #expect(claim.state == .verifying && claim.attempts == 0 && claim.reason?.contains("no master key") == true, "\(claim.state.rawValue) \(claim.reason ?? "")")
        #expect(claim.nextAttemptAt == Self.start + f.pipeline.settings.faultRecheckMilliseconds)

        // Evidence this host cannot write: no attempt used either.
        f.verifier.lookup.withLock { $0 = .found(f.scenario.credentials) }
        f.set(claim.nextAttemptAt)
        try await f.pass()
        claim = try f.claim()
        #expect(claim.state == .verifying && claim.attempts == 0 && claim.reason?.contains("No space left on device") == true, "\(claim.reason ?? "")")

        // What one claim's answers make the verifier throw never ends the pass, let alone `run`.
        f.set(claim.nextAttemptAt)
        try await f.pass()
        claim = try f.claim()
        #expect(claim.state == .verifying && claim.attempts == 1 && claim.reason?.contains("a credential string") == true, "\(claim.reason ?? "")")
        f.set(claim.nextAttemptAt)
        try await f.pass()
        #expect(try f.claim().attempts == 2, "a transient OKX failure counts")
        #expect(try AuditLog.verify(f.ledger.database).broken == nil)
    }
}
