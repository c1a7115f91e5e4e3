import Ethereum
import Foundation
import OKX
import Store
import Testing
import TestSupport
import Verification
import Wire
@testable import Keeper

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
        let client = OKXSim.client(scenario.credentials, baseURL: sim.baseURL, simulated: scenario.simulated)
        let outcome = try await Self.verifier(scratch, policy: policy).verify(
            VerificationRequest(ordId: scenario.ordId, instId: scenario.instId, wallet: "0x" + String(repeating: "1f", count: 20),
                                principal: principalUnits, simulated: scenario.simulated),
            on: client, refusing: scenario.credentials.secrets)
        let response = outcome.response

        if let expectedError = scenario.error {
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
            #expect(decision.positionID == scenario.posId)
            if let refusal = scenario.refusal { #expect(decision.refusal == refusal) }
            let payable = scenario.liquidated && scenario.refusal == nil && scenario.loss > 0
            let capped = min(scenario.loss * 1_000_000, principalUnits, terms.maxPayoutUSDT * 1_000_000)
            let expected = payable ? Self.floor(capped * Decimal(terms.coverageBps) / 10_000) : 0
            #expect(decision.amount == (try UInt256(decimal: "\(expected)")), "\(scenario.file): amount")

            let position = response["normalized"]?["position"]
            #expect(position?["liquidated"]?.boolValue == scenario.liquidated)
            #expect(position?["reason"]?.stringValue == scenario.reason)
            #expect(position?["liquidatedAt"]?.isNull == !scenario.liquidated)
            #expect(response["normalized"]?["payout"]?["amount"]?.stringValue == "\(expected)")
            #expect(response["error"] == .null)
            #expect(response["raw"]?["trade/order"]?["data"]?[0]?["ordId"]?.stringValue == scenario.ordId)
            #expect(response["raw"]?["account/positions-history"]?["code"] == "0")
            #expect(response["raw"]?["public/instruments"]?["data"]?[0]?["instId"]?.stringValue == scenario.instId)
        }
        #expect(response["meta"]?["live"]?.boolValue == !scenario.simulated)
        try Self.expectSealedAndStored(outcome, scratch: scratch, secrets: scenario.credentials.secrets)
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
