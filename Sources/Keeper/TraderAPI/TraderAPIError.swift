import HTTPServer

/// A refusal of the trader API: seed 002's `{code, msg, hint}` with its HTTP status, one hint per
/// refusal. The message never carries a credential.
public struct TraderAPIError: Error, Sendable, Equatable {
    public let status: Int
    public let code: String
    public let message: String
    public let hint: String

    public init(_ status: Int, _ code: String, _ message: String, hint: String) {
        self.status = status
        self.code = code
        self.message = message
        self.hint = hint
    }

    var response: HTTPServerResponse {
        .error(status, code: code, message, hint: hint, headers: TraderEndpoints.noStore)
    }

    static func badRequest(_ message: String, hint: String = "the fields are listed in the README under \"Registering a trader's OKX key\"") -> TraderAPIError {
        TraderAPIError(400, "BAD_REQUEST", message, hint: hint)
    }

    static func unavailable(_ message: String) -> TraderAPIError {
        TraderAPIError(503, "UNAVAILABLE", message, hint: "retry in a minute; if it lasts, tell the keeper's operator")
    }
}
