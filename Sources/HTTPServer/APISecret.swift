/// The shared secret of HMAC-authenticated requests (`APIAuthenticator`). Its text forms are redacted.
public struct APISecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Shorter secrets are refused: HMAC is only as strong as its key.
    public static let minimumLength = 16

    let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(HTTPServerError) {
        guard bytes.count >= Self.minimumLength else {
            throw HTTPServerError(.weakSecret, "the API secret must be at least \(Self.minimumLength) bytes")
        }
        self.bytes = bytes
    }

    public var description: String { "APISecret(redacted)" }
    public var debugDescription: String { description }
}
