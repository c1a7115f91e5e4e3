/// The Ethereum module's one error type: a `code` to switch on and a message a person can act on.
///
/// Codes are grouped by what failed: number and hex parsing, addresses and hashes, RLP, ABI,
/// signing (keys, signatures, transactions, keystores), and messages signed by wallets.
public struct EthereumError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable, CaseIterable {
        // Numbers and hex.
        /// Text is not a number in the expected notation (empty, sign, exponent, stray character).
        case invalidNumber
        /// The value does not fit the type (more than 256 bits, or outside an `int<M>` range).
        case overflow
        /// A division or remainder by zero was requested.
        case divisionByZero
        /// Text is not hex of the expected length.
        case invalidHex

        // Addresses and hashes.
        /// Not 20 bytes / 40 hex digits.
        case invalidAddress
        /// Mixed-case hex whose case does not match the EIP-55 checksum: likely a typo.
        case invalidChecksum
        /// Not 32 bytes / 64 hex digits.
        case invalidHash

        // RLP.
        /// The input ends before the item its prefix announces.
        case rlpTruncated
        /// A valid-looking but non-canonical encoding (leading zeros, long form for a short item,
        /// a single byte below 0x80 wrapped in a string header).
        case rlpNonCanonical
        /// Bytes remain after the top-level item.
        case rlpTrailingBytes
        /// Lists nest deeper than `RLP.maxDepth`.
        case rlpTooDeep
        /// The item has the wrong shape for the field read from it (list for bytes, wrong length…).
        case rlpUnexpectedItem

        // ABI.
        /// A type string or JSON type that is not a valid canonical ABI type.
        case abiInvalidType
        /// A value whose shape does not match its ABI type (wrong case, count or length).
        case abiTypeMismatch
        /// A value outside its type's range (`uint8` > 255, bool not 0/1, dirty address or padding).
        case abiValueOutOfRange
        /// Data shorter than the encoding requires, or an offset or length pointing outside it.
        case abiOutOfBounds
        /// Offsets that make decoding expand far beyond the data (aliased offsets): refused.
        case abiDecodingLimit
        /// A string that is not valid UTF-8.
        case abiInvalidUTF8
        /// A JSON ABI document that cannot be read.
        case abiInvalidJSON
        /// No function, event or error with that name, signature, selector or topic; or several.
        case abiUnknownMember
        /// Log topics that do not fit the event (count, topic0).
        case abiInvalidLog

        // Keys, signatures, signed transactions and keystore files (messages never hold a secret).
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
        /// A keystore whose KDF is cheaper than `Keystore.KeyDerivation.minimum`: its password falls to a guesser quickly.
        case weakKeystore
        /// Refusing to overwrite an existing keystore file.
        case fileExists
        /// Reading or writing a file failed.
        case fileSystem
        /// OpenSSL or the system random generator failed.
        case cryptoFailure

        // Messages signed by wallets.
        /// A Sign-In with Ethereum message that does not follow EIP-4361's grammar (a line, a field's
        /// value, an RFC 3339 time).
        case invalidSignInMessage
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
