/// Why an HTTP exchange failed, in terms a caller can act on.
public struct HTTPError: Error, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The URL or request could not be used (bad scheme, malformed URL).
        case invalidRequest
        /// The host name did not resolve.
        case unresolvedHost
        /// Nothing accepted the connection (refused, unreachable, connect timeout).
        case connectFailed
        /// The total deadline passed after the connection was made; the server may have acted.
        case timeout
        /// The connection broke mid-exchange; the server may have acted.
        case connectionLost
        /// The answer exceeded the configured maximum size.
        case responseTooLarge
        /// TLS negotiation or certificate verification failed.
        case tls
        /// Any other libcurl failure.
        case transport
    }

    public let code: Code
    public let message: String
    /// The libcurl result code, for diagnostics.
    public let curlCode: Int

    public init(_ code: Code, _ message: String, curlCode: Int = 0) {
        self.code = code
        self.message = message
        self.curlCode = curlCode
    }

    /// True when the request may have reached the server and been acted on, so that a
    /// non-idempotent request (sending a transaction) must be checked, not blindly repeated.
    public var mayHaveReachedServer: Bool {
        switch code {
        case .invalidRequest, .unresolvedHost, .connectFailed, .tls: false
        case .timeout, .connectionLost, .responseTooLarge, .transport: true
        }
    }

    public var description: String { message }
}
