import Ethereum
import Foundation
import OKX
import Testing
import TestSupport
import Verification
import Wire
@testable import Keeper

/// Exchange failures become typed outcomes with the seed-002 `error`, sealed like any verdict.
/// Serialized: okxsim's fault queue is shared by the whole simulator.
@Suite(.serialized) struct VerifierUpstreamTests {
    let alice: OKXScenario
    let grace: OKXScenario
    /// heidi's liquidated order, which grace claims in 07-order-of-another-account.
    let heidisOrder: String

    init() throws {
        let scenarios = try OKXScenario.all()
        alice = try #require(scenarios.first { $0.account == "alice" })
        grace = try #require(scenarios.first { $0.account == "grace" })
        heidisOrder = grace.ordId
    }

    func verify(_ scenario: OKXScenario, credentials: OKXCredentials? = nil, ordId: String? = nil, maximumAttempts: Int = 4,
                scratch: Scratch) async throws -> VerificationOutcome {
        let sim = try OKXSim.faulty()
        let policy = try CoveragePolicy(currency: "USDT", poolDecimals: 6, coverageBps: 10_000, maxPayoutPerClaim: 1_000_000_000_000, coverADL: true, maxClaimAgeDays: 30)
        let credentials = credentials ?? scenario.credentials
        return try await LiquidationVerifierTests.verifier(scratch, policy: policy).verify(
            VerificationRequest(ordId: ordId ?? scenario.ordId, instId: scenario.instId, principal: scenario.principal * 1_000_000),
            on: OKXSim.client(credentials, baseURL: sim.baseURL, maximumAttempts: maximumAttempts), refusing: credentials.secrets)
    }

    @Test func wrongPassphraseIsAPermanentAuthError() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let wrong = OKXCredentials(apiKey: alice.credentials.apiKey, secretKey: alice.credentials.secretKey, passphrase: "Not-Alice-passphrase-9")
        let outcome = try await verify(alice, credentials: wrong, scratch: scratch)
        let failure = try #require(outcome.failure)
        #expect(failure.code == .authError && failure.exchangeCode == "50105" && !failure.isTransient)
        #expect(failure.hint.contains("passphrase"))
        #expect(outcome.response["error"]?["code"] == "AUTH_ERROR")
        #expect(outcome.response["normalized"] == .null && outcome.response["raw"] == .object([:]))
        try LiquidationVerifierTests.expectSealedAndStored(outcome, scratch: scratch, secrets: wrong.secrets)
    }

    @Test func anotherAccountsOrderIsNotFound() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let outcome = try await verify(grace, ordId: heidisOrder, scratch: scratch)
        let failure = try #require(outcome.failure)
        #expect(failure.code == .notFound && failure.exchangeCode == "51603" && !failure.isTransient)
        #expect(failure.endpoint == OKXEndpoint.order.path)
        #expect(outcome.response["error"]?["code"] == "NOT_FOUND")
        try LiquidationVerifierTests.expectSealedAndStored(outcome, scratch: scratch, secrets: grace.credentials.secrets)
    }

    @Test func rateLimitBurstIsRetriedAndDoesNotChangeTheVerdict() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let sim = try OKXSim.faulty()
        let clean = try #require(try await verify(alice, scratch: scratch).decision)
        try await OKXSim.fault(sim.baseURL, mode: "50011", endpoint: OKXEndpoint.order.path, count: 2, apiKey: alice.credentials.apiKey)
        try await OKXSim.fault(sim.baseURL, mode: "503", endpoint: OKXEndpoint.positionsHistory.path, count: 1, apiKey: alice.credentials.apiKey)
        let retried = try await verify(alice, scratch: scratch)
        #expect(retried.decision == clean)
        #expect(retried.response["perf"]?["okxRequests"]?.intValue == 6, "3 reads, 2 retried order requests, 1 retried history request")
        try LiquidationVerifierTests.expectSealedAndStored(retried, scratch: scratch, secrets: alice.credentials.secrets)
    }

    @Test func persistentRateLimitIsATransientFailure() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let sim = try OKXSim.faulty()
        try await OKXSim.fault(sim.baseURL, mode: "50011", endpoint: OKXEndpoint.order.path, count: 3, apiKey: alice.credentials.apiKey)
        let outcome = try await verify(alice, maximumAttempts: 3, scratch: scratch)
        let failure = try #require(outcome.failure)
        #expect(failure.code == .rateLimit && failure.exchangeCode == "50011" && failure.isTransient)
        #expect(outcome.response["error"]?["code"] == "RATE_LIMIT")
        #expect(outcome.response["perf"]?["okxRequests"]?.intValue == 3)
    }

    @Test func failureAfterTheOrderKeepsWhatWasReceived() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let sim = try OKXSim.faulty()
        try await OKXSim.fault(sim.baseURL, mode: "503", endpoint: OKXEndpoint.positionsHistory.path, count: 2, apiKey: alice.credentials.apiKey)
        let outcome = try await verify(alice, maximumAttempts: 2, scratch: scratch)
        let failure = try #require(outcome.failure)
        #expect(failure.code == .remote5xx && failure.isTransient && failure.endpoint == OKXEndpoint.positionsHistory.path)
        #expect(outcome.response["raw"]?["trade/order"]?["data"]?[0]?["ordId"]?.stringValue == alice.ordId)
        #expect(outcome.response["raw"]?["account/positions-history"] == nil)
        #expect(outcome.response["normalized"]?["order"]?["side"] == "buy")
        #expect(outcome.response["normalized"]?["position"] == nil, "no verdict without the position history")
        try LiquidationVerifierTests.expectSealedAndStored(outcome, scratch: scratch, secrets: alice.credentials.secrets)
    }

    @Test func transientClassesAreTheSeedsRetryableOnes() {
        #expect(UpstreamFailure.transientCodes == [.rateLimit, .remote5xx, .timeout])
        for code in ExchangeErrorCode.allCases {
            let failure = UpstreamFailure(code: code, exchangeCode: nil, msg: "m", hint: "h", endpoint: "/e")
            #expect(failure.isTransient == [ExchangeErrorCode.rateLimit, .remote5xx, .timeout].contains(code))
        }
    }
}
