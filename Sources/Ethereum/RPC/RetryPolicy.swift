/// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maximumAttempts: Int
    public var baseDelayMilliseconds: Int
    public var maximumDelayMilliseconds: Int
    /// The longest pause a server's Retry-After may ask for before giving up is preferred.
    public var maximumRetryAfterSeconds: Int = 60

    public init(maximumAttempts: Int = 5, baseDelayMilliseconds: Int = 100, maximumDelayMilliseconds: Int = 5_000) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.baseDelayMilliseconds = baseDelayMilliseconds
        self.maximumDelayMilliseconds = maximumDelayMilliseconds
    }

    public static let none = RetryPolicy(maximumAttempts: 1)

    /// The delay before attempt `attempt + 1` (attempt counts from 1): a random value in
    /// [0, min(max, base·2^(attempt-1))], or at least `retryAfter` (up to `maximumRetryAfterSeconds`) when the server asked for it.
    public func delayMilliseconds(afterAttempt attempt: Int, retryAfterSeconds: Int? = nil) -> Int {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(maximumDelayMilliseconds, baseDelayMilliseconds << exponent)
        let jittered = Int.random(in: 0...max(ceiling, 0))
        if let retryAfterSeconds { return max(jittered, min(max(retryAfterSeconds, 0), maximumRetryAfterSeconds) * 1000) }
        return jittered
    }
}
