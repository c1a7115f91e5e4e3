/// Why the server could not do what its caller asked: a code to switch on and a message that says
/// what to fix. Messages name no configuration key (the caller knows where the value came from).
public struct HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The listen address is not `HOST:PORT` with an IPv4 literal, `localhost` or a bracketed IPv6 literal.
        case badAddress
        /// The API secret is shorter than `APISecret.minimumLength`.
        case weakSecret
        /// The system refused a socket, the bind (address in use, no permission) or a thread.
        case unavailable
        /// `start` was called on a server that had already been started.
        case alreadyStarted
        /// The TLS certificate or key file is missing, unreadable, open to others, not PEM, or the two do not match.
        case badTLS
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
