/// Bounded retries with exponential backoff and full jitter (AWS Architecture Blog, "Exponential
/// Backoff And Jitter") for OKX reads that failed transiently: rate limits (50011, 50013, 429),
/// 5xx and OKX's 50001/50026, timeouts and OKX's 50004. Authentication failures, NOT_FOUND and
/// refused parameters are never retried (see `OKXError.isRetryable`).
public struct OKXRetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var maximumAttempts: Int
    public var baseDelayMilliseconds: Int
    public var maximumDelayMilliseconds: Int

    public init(maximumAttempts: Int = 5, baseDelayMilliseconds: Int = 250, maximumDelayMilliseconds: Int = 4_000) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.baseDelayMilliseconds = max(0, baseDelayMilliseconds)
        self.maximumDelayMilliseconds = max(0, maximumDelayMilliseconds)
    }

    /// One attempt, no retries.
    public static let none = OKXRetryPolicy(maximumAttempts: 1)

    /// The pause before attempt `attempt + 1` (attempts count from 1): a random value in
    /// [0, min(maximum, base·2^(attempt−1))], and at least a server's `Retry-After` (capped).
    public func delayMilliseconds(afterAttempt attempt: Int, retryAfterSeconds: Int? = nil) -> Int {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(maximumDelayMilliseconds, baseDelayMilliseconds << exponent)
        let jittered = Int.random(in: 0...max(ceiling, 0))
        guard let retryAfterSeconds, retryAfterSeconds > 0 else { return jittered }
        return max(jittered, min(retryAfterSeconds * 1000, maximumDelayMilliseconds))
    }
}
