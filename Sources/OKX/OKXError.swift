/// Why an OKX read failed: the seed-002 class to switch on, OKX's own code and message, and a
/// hint a person can act on. It never carries credentials or signed headers: the client builds
/// it from the endpoint, the answer's code and message (scrubbed of the key's strings) and the
/// request's ordId/instId only.
public struct OKXError: ExchangeError, Equatable {
    public typealias Code = ExchangeErrorCode

    public let code: Code
    /// OKX's code from the answer's envelope (`"50113"`), nil for transport failures and answers
    /// without an OKX envelope (a gateway's HTML error page).
    public let okxCode: String?
    /// The HTTP status, nil when no answer arrived.
    public let httpStatus: Int?
    /// OKX's message, or what the client observed.
    public let msg: String
    public let hint: String
    /// The endpoint's path (no query), e.g. `/api/v5/trade/order`.
    public let endpoint: String
    /// HTTP requests made before giving up, retries included.
    public let attempts: Int
    /// True when the same read may succeed if repeated (rate limits, 5xx, timeouts).
    /// Authentication failures, NOT_FOUND and refused parameters are final.
    public let isRetryable: Bool

    public init(code: Code, okxCode: String?, httpStatus: Int?, msg: String, hint: String,
                endpoint: String, attempts: Int = 1, isRetryable: Bool? = nil) {
        self.code = code
        self.okxCode = okxCode
        self.httpStatus = httpStatus
        self.msg = msg
        self.hint = hint
        self.endpoint = endpoint
        self.attempts = attempts
        self.isRetryable = isRetryable ?? [.rateLimit, .remote5xx, .timeout].contains(code)
    }

    public var exchangeCode: String? { okxCode }

    /// The same error after `attempts` requests in all.
    func after(attempts: Int) -> OKXError {
        OKXError(code: code, okxCode: okxCode, httpStatus: httpStatus, msg: msg, hint: hint,
                 endpoint: endpoint, attempts: attempts, isRetryable: isRetryable)
    }

    public var description: String {
        var parts = ["\(code.rawValue)"]
        if let okxCode { parts.append("OKX \(okxCode)") }
        if let httpStatus { parts.append("HTTP \(httpStatus)") }
        let tries = attempts > 1 ? " after \(attempts) attempts" : ""
        return "\(parts.joined(separator: ", ")) on \(endpoint)\(tries): \(msg) — \(hint)"
    }
}
