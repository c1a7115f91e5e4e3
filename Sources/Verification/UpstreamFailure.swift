import OKX

/// Why the exchange gave no usable answer: the seed-002 class, and whether repeating may help.
public struct UpstreamFailure: Sendable, Equatable, CustomStringConvertible {
    public let code: ExchangeErrorCode
    /// The exchange's own code (OKX `"50105"`), when it sent one.
    public let exchangeCode: String?
    public let msg: String
    public let hint: String
    /// The endpoint that failed, e.g. `/api/v5/trade/order`.
    public let endpoint: String

    public init(code: ExchangeErrorCode, exchangeCode: String?, msg: String, hint: String, endpoint: String) {
        self.code = code
        self.exchangeCode = exchangeCode
        self.msg = msg
        self.hint = hint
        self.endpoint = endpoint
    }

    public init(_ error: OKXError) {
        self.init(code: error.code, exchangeCode: error.okxCode, msg: error.msg, hint: error.hint, endpoint: error.endpoint)
    }

    /// The trader's key itself is the problem (expired, revoked, wrong, or without Read): not the
    /// claim's fault, and cured by registering a new key.
    public var isKeyProblem: Bool { exchangeCode.map(OKXError.keyProblemCodes.contains) ?? false }

    /// `RATE_LIMIT`, `REMOTE_5XX` and `TIMEOUT` may clear: retry the verification later. `AUTH_ERROR`,
    /// `NOT_FOUND` and `REMOTE_4XX` will not change without a new key or a different claim.
    public var isTransient: Bool { Self.transientCodes.contains(code) }

    public static let transientCodes: Set<ExchangeErrorCode> = [.rateLimit, .remote5xx, .timeout]

    public var description: String {
        "\(code.rawValue)\(exchangeCode.map { " (\($0))" } ?? "") on \(endpoint): \(msg) — \(hint)"
    }
}
