/// A key-vault failure: a code to switch on and a message that names what to fix and never a secret.
public struct VaultError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// No master key configured, or it is not 32 bytes of hex or base64.
        case invalidMasterKey
        /// The master key file is readable by group or others.
        case insecureKeyFile
        /// The row was sealed under another master key.
        case wrongMasterKey
        /// The row's ciphertext, nonce, tag, wallet or alias was changed after sealing.
        case tampered
        case notFound
        /// The alias exists, for another wallet than the one named with it.
        case walletMismatch
        case duplicate
        /// A wallet, alias or credential that cannot be stored as given.
        case invalidInput
        case database
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
