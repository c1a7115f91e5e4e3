/// The error classes of the seed-002 verification contract (`error.code`), shared by every exchange.
public enum ExchangeErrorCode: String, Sendable, CaseIterable {
    /// The key, secret, passphrase, timestamp, permission, IP whitelist or environment was refused.
    case authError = "AUTH_ERROR"
    /// The order (for this account) or the instrument does not exist.
    case notFound = "NOT_FOUND"
    /// The exchange's rate limit was still exceeded after the allowed retries.
    case rateLimit = "RATE_LIMIT"
    /// The exchange refused the request itself (parameters, method, path).
    case remote4xx = "REMOTE_4XX"
    /// The exchange was unavailable or failed (5xx, system errors, unreachable, malformed answers).
    case remote5xx = "REMOTE_5XX"
    /// No answer in time, or the exchange's own timeout (result unknown).
    case timeout = "TIMEOUT"
}

/// What the seed-002 response's `error` object needs from a failed exchange read.
public protocol ExchangeError: Error, CustomStringConvertible, Sendable {
    /// The class a caller switches on.
    var code: ExchangeErrorCode { get }
    /// The exchange's own code (OKX's `"50113"`), nil when it sent none.
    var exchangeCode: String? { get }
    /// What went wrong, in the exchange's words where it gave any.
    var msg: String { get }
    /// What a person can do about it.
    var hint: String { get }
}
