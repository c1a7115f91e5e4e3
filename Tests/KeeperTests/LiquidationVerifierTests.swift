import Ethereum
import Foundation
import OKX
import Store
import Testing
import TestSupport
import Verification
import Wire
@testable import Keeper
@testable import Settlement

/// The verifier against a real okxsim over libcurl: every scenario of devnet/scenarios must get
/// the verdict, reason, loss and payout its file states.
@Suite struct LiquidationVerifierTests {
    /// Two sets of terms: everything covered (the amount is the loss capped by the principal), and
    /// half coverage capped at 100 USDT per claim.
    static let terms: [(coverageBps: Int, maxPayoutUSDT: Decimal)] = [(10_000, 1_000_000), (5_000, 100)]
    static let poolDecimals = 6

    static func policy(_ terms: (coverageBps: Int, maxPayoutUSDT: Decimal), maxClaimAgeDays: Int) throws -> CoveragePolicy {
        try CoveragePolicy(currency: "USDT", poolDecimals: poolDecimals, coverageBps: terms.coverageBps, maxPayoutPerClaim: terms.maxPayoutUSDT * 1_000_000,
                           coverADL: true, maxClaimAgeDays: maxClaimAgeDays)
    }

    static func verifier(_ scratch: Scratch, policy: CoveragePolicy) throws -> LiquidationVerifier {
        let database = try Database(path: scratch.database)
        try KeeperSchema.migrator.migrate(database)
        return LiquidationVerifier(policy: policy, archive: EvidenceArchive(files: EvidenceFiles(root: scratch.evidence), database: database))
    }

    /// ⌊x⌋ for the non-negative amounts here.
    static func floor(_ value: Decimal) -> Decimal {
        var value = value, result = Decimal()
        NSDecimalRound(&result, &value, 0, .down)
        return result
    }

    @Test(arguments: try OKXScenario.all(), [0, 1])
    func scenarioVerdictAndPayout(scenario: OKXScenario, termsIndex: Int) async throws {
        let sim = try OKXSim.shared()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let terms = Self.terms[termsIndex]
        let policy = try Self.policy(terms, maxClaimAgeDays: scenario.maxClaimAgeDays ?? 30)
        let principalUnits = scenario.principal * 1_000_000
        let regions = try await OKXSim.regionURLs(sim)
        let verifier = try Self.verifier(scratch, policy: policy)
        let request = VerificationRequest(ordId: scenario.ordId, instId: scenario.instId, wallet: "0x" + String(repeating: "1f", count: 20),
                                          principal: principalUnits, simulated: scenario.simulated)
        func verify(with key: OKXCredentials) async throws -> VerificationOutcome {
            let client = OKXSim.client(key, baseURL: try #require(regions[key.region]), simulated: scenario.simulated, limiter: OKXSim.sharedLimiter)
            return try await verifier.verify(request, on: client, refusing: key.secrets)
        }
        var credentials = scenario.credentials
        if let code = scenario.firstKeyError, let replacement = scenario.replacement {
            // The first key is refused as the key's own problem (not the claim's); the replacement decides.
            let refused = try await verify(with: credentials)
            let failure = try #require(refused.failure, "\(scenario.file): the first key must be refused")
            #expect(failure.exchangeCode == code && failure.isKeyProblem)
            credentials = replacement
        }
        let outcome = try await verify(with: credentials)
        let response = outcome.response
        if scenario.waitBefore != nil, let pending = outcome.pending {
            // Not visible yet (the simulator started less than `visibleAfterMs` ago): waiting is the only right answer.
            #expect(response["normalized"]?["position"]?["decided"]?.boolValue == false && !pending.isEmpty)
            return
        }

        if scenario.wait != nil {
            // No verdict may be written: the response says so, and nothing is decided.
            let pending = try #require(outcome.pending, "\(scenario.file) must wait, not decide")
            #expect(!pending.isEmpty && outcome.decision == nil && outcome.failure == nil)
            #expect(response["normalized"]?["position"]?["decided"]?.boolValue == false)
            #expect(response["normalized"]?["position"]?["pending"]?.stringValue == pending)
        } else if let expectedError = scenario.error {
            let failure = try #require(outcome.failure, "\(scenario.file) must fail with \(expectedError)")
            #expect(failure.code.rawValue == expectedError)
            #expect(failure.exchangeCode == scenario.okxCode)
            #expect(!failure.isTransient)
            #expect(response["error"]?["code"]?.stringValue == expectedError)
            #expect(response["error"]?["hint"]?.stringValue?.isEmpty == false)
            #expect(!scenario.liquidated)
        } else {
            let decision = try #require(outcome.decision, "\(scenario.file): \(outcome.failure?.description ?? "")")
            #expect(decision.verdict.liquidated == scenario.liquidated)
            #expect(decision.verdict.reason.rawValue == scenario.reason)
            #expect(decision.loss == scenario.loss)
            // The position's identity is its lifecycle, posId@cTime.
            #expect(decision.positionID?.split(separator: "@").first.map(String.init) == scenario.posId)
            let covered = scenario.currency == "USDT"  // these terms are a USDT pool's
            if let refusal = scenario.refusal { #expect(decision.refusal == refusal) }
            if scenario.liquidated && !covered { #expect(decision.refusal == "currency-not-covered", "\(scenario.file)") }
            #expect(response["normalized"]?["payout"]?["currency"]?.stringValue == scenario.currency)
            let payable = scenario.liquidated && scenario.refusal == nil && scenario.loss > 0 && covered
            let capped = min(scenario.loss * 1_000_000, principalUnits, terms.maxPayoutUSDT * 1_000_000)
            let expected = payable ? Self.floor(capped * Decimal(terms.coverageBps) / 10_000) : 0
            #expect(decision.amount == (try UInt256(decimal: "\(expected)")), "\(scenario.file): amount")

            let position = response["normalized"]?["position"]
            #expect(position?["liquidated"]?.boolValue == scenario.liquidated)
            #expect(position?["reason"]?.stringValue == scenario.reason)
            #expect(position?["liquidatedAt"]?.isNull == !scenario.liquidated)
            #expect(response["normalized"]?["payout"]?["amount"]?.stringValue == "\(expected)")
            #expect(response["error"] == .null)
            // From trade/order, or for an older order the orders-history-archive page that holds it.
            #expect(response["raw"]?["trade/order"]?["data"]?.arrayValue?.contains { $0["ordId"]?.stringValue == scenario.ordId } == true)
            #expect(response["raw"]?["account/positions-history"]?["code"] == "0")
            #expect(response["raw"]?["public/instruments"]?["data"]?[0]?["instId"]?.stringValue == scenario.instId)
        }
        #expect(response["meta"]?["live"]?.boolValue == !scenario.simulated)
        try Self.expectSealedAndStored(outcome, scratch: scratch, secrets: credentials.secrets)
    }

    /// The evidence re-checks, is on disk and in the `evidence` table, and holds no credential.
    static func expectSealedAndStored(_ outcome: VerificationOutcome, scratch: Scratch, secrets: [String]) throws {
        let check = try EvidenceCheck(document: outcome.response)
        #expect(check.passed, "\(check.problems)")
        #expect(check.computedRoot == outcome.evidence.root.description)
        #expect(check.computedBundleHash == outcome.evidence.bundleHash.description)
        #expect(outcome.evidence.root.bytes.count == 32)
        #expect(try EvidenceFiles.read(path: outcome.evidence.path) == outcome.response)
        let database = try Database(path: scratch.database)
        let entry = try #require(try EvidenceLedger(database: database).entry(outcome.evidence.evidenceId))
        #expect(entry.root == outcome.evidence.root.description && entry.path == outcome.evidence.path)
        for secret in secrets { #expect(!outcome.responseText.contains(secret)) }
        #expect(try scratch.filesContaining(secrets).isEmpty)
    }
}
