/// A verification or evidence failure: a code the caller can switch on and a message a person can act on.
public struct VerificationError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The document is not a well-formed verification response or evidence bundle.
        case malformedDocument
        /// An evidence file or directory could not be read or written.
        case fileSystem
        /// A secret was about to be written into evidence; nothing was written.
        case secretInEvidence
        /// The claim cannot be judged (bad input, policy refusal that is not a verdict).
        case invalidClaim
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
