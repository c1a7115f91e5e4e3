/// Errors of the signing side of the Ethereum module: keys, signatures, signed transactions and
/// keystore files. A `code` to switch on and a message a person can act on; never a secret.
public struct SigningError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// Private key bytes that are not 32 bytes or not in 1 ..< n.
        case invalidPrivateKey
        /// Public key bytes that are not 64 bytes or not a point on secp256k1.
        case invalidPublicKey
        /// r or s outside 1 ..< n, a recovery id above 3, a digest that is not 32 bytes, or a
        /// signature from which no public key can be recovered.
        case invalidSignature
        /// A raw transaction that cannot be decoded: bad RLP, wrong field count or shape, an
        /// unknown type byte, a high-s or malformed signature.
        case malformedTransaction
        /// A well-formed typed transaction of a type this implementation does not decode
        /// (only legacy and EIP-1559 are supported).
        case unsupportedTransactionType
        /// A transaction field that cannot be encoded or signed (e.g. chain id whose v overflows).
        case invalidTransaction
        /// The keystore's MAC does not match: almost always a wrong password.
        case wrongPassword
        /// A keystore file that is not valid Web3 Secret Storage v3 JSON.
        case malformedKeystore
        /// A keystore using a version, cipher, KDF or PRF this implementation does not support.
        case unsupportedKeystore
        /// Refusing to overwrite an existing keystore file.
        case fileExists
        /// Reading or writing a file failed.
        case fileSystem
        /// OpenSSL or the system random generator failed.
        case cryptoFailure
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
