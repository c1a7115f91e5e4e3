import Testing
@testable import OKX

@Suite struct OKXRateLimiterTests {
    let limit = OKXRateLimit(requests: 3, window: .seconds(2), scope: .user)
    let key = OKXRateLimiter.Key(subject: "uid:1", endpoint: "/api/v5/account/positions-history")

    @Test func requestsWithinTheLimitGoAtOnce() {
        let limiter = OKXRateLimiter(safetyMargin: .zero)
        let now = ContinuousClock.now
        #expect((0..<3).map { _ in limiter.reserve(key, limit: limit, now: now) } == [now, now, now])
    }

    @Test func theNextRequestWaitsForTheWindowToSlide() {
        let limiter = OKXRateLimiter(safetyMargin: .milliseconds(100))
        let now = ContinuousClock.now
        for _ in 0..<3 { _ = limiter.reserve(key, limit: limit, now: now) }
        let slots = (0..<4).map { _ in limiter.reserve(key, limit: limit, now: now) }
        let window = Duration.milliseconds(2_100)
        #expect(slots == [now + window, now + window, now + window, now + window * 2])
    }

    @Test func noWindowEverHoldsMoreThanTheLimit() {
        let limiter = OKXRateLimiter(safetyMargin: .zero)
        let start = ContinuousClock.now
        var slots: [ContinuousClock.Instant] = []
        for step in 0..<40 {   // arrivals every 150 ms, faster than 3 per 2 s
            slots.append(limiter.reserve(key, limit: limit, now: start + .milliseconds(150 * step)))
        }
        for slot in slots {
            #expect(slots.filter { $0 > slot - .seconds(2) && $0 <= slot }.count <= 3)
        }
        #expect(slots == slots.sorted())
    }

    @Test func subjectsAndEndpointsHaveTheirOwnBudgets() {
        let limiter = OKXRateLimiter(safetyMargin: .zero)
        let now = ContinuousClock.now
        for _ in 0..<3 { _ = limiter.reserve(key, limit: limit, now: now) }
        #expect(limiter.reserve(.init(subject: "uid:2", endpoint: key.endpoint), limit: limit, now: now) == now)
        #expect(limiter.reserve(.init(subject: "uid:1", endpoint: "/api/v5/trade/fills"), limit: limit, now: now) == now)
        #expect(limiter.reserve(key, limit: limit, now: now) > now)
    }

    @Test func acquireWaitsForItsSlot() async throws {
        let limiter = OKXRateLimiter(safetyMargin: .zero)
        let fast = OKXRateLimit(requests: 1, window: .seconds(1), scope: .ip)
        let started = ContinuousClock.now
        #expect(try await limiter.acquire(key, limit: fast) == .zero)
        let asked = ContinuousClock.now
        let waited = try await limiter.acquire(key, limit: fast)
        #expect(ContinuousClock.now - started >= .seconds(1), "slept until its slot")
        #expect(waited <= .seconds(1))
        // The wait is what is left of the window when the second caller asks: nothing, if a starved
        // machine let the window pass first, so only a second caller that asked early must have waited.
        if asked - started < .milliseconds(500) { #expect(waited > .zero, "asked \(asked - started) into the window") }
    }

    @Test func publishedLimits() {
        #expect(OKXEndpoint.order.limit == OKXRateLimit(requests: 60, scope: .userAndInstrument))
        #expect(OKXEndpoint.positionsHistory.limit == OKXRateLimit(requests: 10, scope: .user))
        #expect(OKXEndpoint.fills.limit.requests == 60 && OKXEndpoint.fillsHistory.limit.requests == 10)
        #expect(OKXEndpoint.instruments.limit == OKXRateLimit(requests: 20, scope: .ipAndInstrumentType))
        #expect(OKXEndpoint.allPrivate.allSatisfy { $0.limit.window == .seconds(2) })
    }

    @Test func retryDelaysAreJitteredAndBounded() {
        let policy = OKXRetryPolicy(maximumAttempts: 5, baseDelayMilliseconds: 100, maximumDelayMilliseconds: 1_000)
        for attempt in 1...8 {
            let ceiling = min(1_000, 100 << (attempt - 1))
            #expect((0...ceiling).contains(policy.delayMilliseconds(afterAttempt: attempt)))
        }
        #expect(policy.delayMilliseconds(afterAttempt: 1, retryAfterSeconds: 30) == 1_000, "Retry-After is honoured up to the cap")
        #expect(OKXRetryPolicy(maximumAttempts: 0).maximumAttempts == 1)
    }
}

extension OKXEndpoint {
    static let allPrivate: [OKXEndpoint] = [.order, .positionsHistory, .fills, .fillsHistory]
}
