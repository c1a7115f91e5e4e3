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

    /// The trader's key itself was refused: expired or deleted (50119 — OKX deletes a key not bound
    /// to an IP after 14 days unused, shared/OKX.md), unknown (50111, also a key used on another
    /// region's host), frozen (50100), wrong passphrase (50105), wrong secret key (50113, the
    /// signature does not verify), IP not whitelisted (50110, 50121), no Read permission (50120),
    /// or a demo/live mismatch (50101). A claim waits for a new key; it is not the claim's fault.
    /// 50102 (this host's clock) is not a key problem.
    public var isKeyProblem: Bool {
        guard let okxCode else { return false }
        return Self.keyProblemCodes.contains(okxCode)
    }

    /// OKX's codes for a refused key [error-code]; see `isKeyProblem`.
    public static let keyProblemCodes: Set<String> = ["50100", "50101", "50105", "50110", "50111", "50113", "50119", "50120", "50121"]

    /// 50102 "Timestamp request expired": this host's clock differs from OKX's by more than 30 s
    /// (https://www.okx.com/docs-v5/en/#overview-rest-authentication). The client corrects its
    /// timestamps and retries; this error means the correction did not help (yet).
    public var isClockProblem: Bool { okxCode == "50102" }

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
