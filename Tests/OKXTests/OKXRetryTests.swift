import Foundation
import Testing
@testable import OKX

/// Retries and backoff, driven by okxsim's fault injection (`POST /sim/faults`). Each test gets its
/// own simulator (Swift Testing makes a suite instance per test); they run one at a time because
/// they measure timeouts and rate-limit windows on a shared machine.
@Suite(.serialized) final class OKXRetryTests {
    let sim: OKXSimulator
    let alice: OKXCredentials
    let orderID = "2940071038556348417"

    init() throws {
        sim = try OKXSimulator()
        alice = try OKXSimulator.credentials("alice")
    }

    deinit { sim.stop() }

    func order(_ client: OKXClient) async throws(OKXError) -> ExchangeResponse<OKXOrder> {
        try await client.order(id: orderID, instrumentID: "BTC-USDT-SWAP")
    }

    @Test(arguments: ["429", "50011", "50013", "500", "503", "50001", "50026", "50004"])
    func transientBurstIsRetriedAndGivesTheSameData(mode: String) async throws {
        let clean = try await order(sim.client(alice))
        try await sim.fault(mode, endpoint: OKXEndpoint.order.path, count: 2)
        let retried = try await order(sim.client(alice))
        #expect(retried.items == clean.items)
        #expect(retried.attempts == 3)
        let hits = try await sim.hits(alice, .order)
        #expect(hits["count"] == 4 && hits["faulted"] == 2)
    }

    static let exhausted: [(String, OKXError.Code, String?)] = [
        ("429", .rateLimit, "50011"), ("50011", .rateLimit, "50011"), ("503", .remote5xx, nil),
        ("50026", .remote5xx, "50026"), ("50004", .timeout, "50004"),
    ]

    @Test(arguments: exhausted)
    func retriesAreBounded(mode: String, code: OKXError.Code, okxCode: String?) async throws {
        try await sim.fault(mode, endpoint: OKXEndpoint.order.path, count: 10)
        let client = sim.client(alice, retry: OKXRetryPolicy(maximumAttempts: 3, baseDelayMilliseconds: 1, maximumDelayMilliseconds: 2))
        let error = try await expectFailure { try await self.order(client) }
        #expect(error.code == code && error.okxCode == okxCode)
        #expect(error.attempts == 3 && error.description.contains("after 3 attempts"))
        #expect(try await sim.hits(alice, .order)["count"] == 3)
    }

    /// OKX counts its limits over a window as requests arrive; an attempt refused for the rate waits the
    /// endpoint's window (2 s for trade/order) out before the next, however short the backoff would be.
    @Test(arguments: ["50011", "429"])
    func aRateLimitedAttemptWaitsTheEndpointsWindowOut(mode: String) async throws {
        try await sim.fault(mode, endpoint: OKXEndpoint.order.path, count: 1)
        let client = sim.client(alice, retry: OKXRetryPolicy(maximumAttempts: 3, baseDelayMilliseconds: 1, maximumDelayMilliseconds: 2))
        let started = ContinuousClock.now
        let answered = try await order(client)
        #expect(answered.attempts == 2)
        #expect(ContinuousClock.now - started >= OKXEndpoint.order.limit.window, "retried within the window")
    }

    @Test func timeoutsAreRetriedThenReportedAsTimeout() async throws {
        // The simulator drops the connection after its latency: far beyond the client's 300 ms, so a
        // starved client that notices its timeout late still sees a timeout, not the drop.
        try await sim.fault("timeout", endpoint: OKXEndpoint.order.path, count: 10, latencyMs: 60_000)
        let client = sim.client(alice, retry: OKXRetryPolicy(maximumAttempts: 2, baseDelayMilliseconds: 1, maximumDelayMilliseconds: 2),
                                timeoutMilliseconds: 300)
        let error = try await expectFailure { try await self.order(client) }
        #expect(error.code == .timeout && error.okxCode == nil && error.httpStatus == nil && error.attempts == 2)
        #expect(try await sim.hits(alice, .order)["faulted"] == 2)
    }

    @Test func aTimeoutThenAnAnswerSucceeds() async throws {
        // The answer after the timeout must come within the client's timeout on a loaded machine too;
        // the timed-out attempt is held far longer than that.
        try await sim.fault("timeout", endpoint: OKXEndpoint.order.path, count: 1, latencyMs: 60_000)
        let response = try await order(sim.client(alice, timeoutMilliseconds: 3_000))
        #expect(response.items.count == 1 && response.attempts == 2)
    }

    @Test func droppedConnectionsAreRetried() async throws {
        try await sim.fault("drop", endpoint: OKXEndpoint.order.path, count: 2)
        #expect(try await order(sim.client(alice)).attempts == 3)
    }

    @Test func latencyDelaysButDoesNotFail() async throws {
        try await sim.fault("latency", endpoint: OKXEndpoint.order.path, count: 1, latencyMs: 200)
        let response = try await order(sim.client(alice))
        #expect(response.attempts == 1 && response.rttMs >= 200)
    }

    @Test func authErrorsAreNeverRetried() async throws {
        let wrong = OKXCredentials(apiKey: alice.apiKey, secretKey: "00000000000000000000000000000000", passphrase: alice.passphrase)
        let error = try await expectFailure { try await self.order(self.sim.client(wrong, retry: OKXRetryPolicy(maximumAttempts: 5))) }
        #expect(error.code == .authError && error.attempts == 1)
        #expect(try await sim.hits(alice, .order)["count"] == 1)
    }

    @Test func notFoundIsNeverRetried() async throws {
        let client = sim.client(alice, retry: OKXRetryPolicy(maximumAttempts: 5))
        let error = try await expectFailure { try await client.order(id: "1", instrumentID: "BTC-USDT-SWAP") }
        #expect(error.code == .notFound && error.attempts == 1)
        #expect(try await sim.hits(alice, .order)["count"] == 1)
    }

    @Test func pagingSurvivesFaultsBetweenPages() async throws {
        let ken = try OKXSimulator.credentials("ken")
        try await sim.fault("503", endpoint: OKXEndpoint.positionsHistory.path, count: 1)
        try await sim.fault("latency", endpoint: OKXEndpoint.positionsHistory.path, count: 1, latencyMs: 50)
        try await sim.fault("429", endpoint: OKXEndpoint.positionsHistory.path, count: 1)
        let response = try await sim.client(ken).positionsHistory(instrumentID: "BTC-USDT-SWAP", from: nil, to: nil)
        #expect(response.items.count == 231 && response.isComplete && response.attempts == 5)
    }

    @Test func theLimiterSpacesRequestsWithinOKXsLimit() async throws {
        // positions-history: 10 requests per 2 s per user. 15 concurrent reads must all succeed,
        // the simulator (which counts arrivals) must never see more than 10 in a 2-second window.
        let ken = try OKXSimulator.credentials("ken")
        // The margin covers the time between a slot and the request's arrival, seconds on a starved machine.
        let client = sim.client(ken, retry: .none, limiter: OKXRateLimiter(safetyMargin: .seconds(2)))
        let query = OKXPositionsHistoryQuery(instrumentID: "BTC-USDT-SWAP", pageSize: 1, maximumPages: 1)
        let waited = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<15 { group.addTask { try await client.positionsHistory(query).waitedMs } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        let hits = try await sim.hits(ken, .positionsHistory)
        #expect(hits["count"] == 15 && hits["ok"] == 15 && hits["limited"] == 0)
        #expect((hits["maxInWindow"] ?? 99) <= 10)
        #expect(waited.contains { $0 >= 1_000 }, "requests beyond the tenth waited for the window to slide")
    }
}
