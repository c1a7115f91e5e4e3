import COpenSSL
import Crypto

/// A secp256k1 private key: 32 bytes d with 0 < d < n.
///
/// The bytes live in memory this object owns and are overwritten (`OPENSSL_cleanse`) when it is
/// freed. They are never printed: `description`, `debugDescription` and the reflection mirror
/// say only "PrivateKey(redacted)". Copies made with `withUnsafeBytes` or `exportBytes()` are
/// the caller's to protect.
public final class PrivateKey: @unchecked Sendable {
    // Immutable after init, hence @unchecked Sendable.
    private let storage: UnsafeMutableRawBufferPointer
    /// The matching public key, computed once at creation.
    public let publicKey: PublicKey

    /// Validates 32 bytes in 1 ..< n.
    public init(bytes: [UInt8]) throws(EthereumError) {
        guard Secp256k1.isValidScalar(bytes) else {
            throw EthereumError(.invalidPrivateKey, "a private key is 32 bytes with a value in 1 ..< n (the secp256k1 order)")
        }
        publicKey = try PublicKey(uncompressed: Secp256k1.Curve.shared().publicKey(secret: bytes))
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 8)
        storage.copyBytes(from: bytes)
    }

    /// 64 hex digits, with or without `0x`.
    public convenience init(hex: some StringProtocol) throws(EthereumError) {
        guard var bytes = Hex.decode(hex), bytes.count == 32 else {
            throw EthereumError(.invalidPrivateKey, "a private key is 64 hex digits")
        }
        defer { bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        try self.init(bytes: bytes)
    }

    /// A fresh key from OpenSSL's CSPRNG.
    public static func generate() throws(EthereumError) -> PrivateKey {
        while true {
            var candidate: [UInt8]
            do {
                candidate = try SecureRandom.bytes(32)
            } catch {
                throw EthereumError(.cryptoFailure, "cannot generate a private key: \(error.message)")
            }
            defer { candidate.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
            // Out of range with probability ~2^-128; draw again.
            if Secp256k1.isValidScalar(candidate) { return try PrivateKey(bytes: candidate) }
        }
    }

    deinit {
        OPENSSL_cleanse(storage.baseAddress, storage.count)
        storage.deallocate()
    }

    /// The account address of this key.
    public var address: Address { publicKey.address }

    /// Signs a 32-byte digest: RFC 6979 nonce, low s, recovery id for `ecrecover`.
    /// Deterministic: the same key and digest always give the same signature.
    public func sign(digest: [UInt8]) throws(EthereumError) -> Signature {
        guard digest.count == 32 else { throw EthereumError(.invalidSignature, "digest must be 32 bytes, got \(digest.count)") }
        var secret = exportBytes()
        defer { secret.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }
        return try Secp256k1.Curve.shared().sign(digest: digest, secret: secret)
    }

    /// Signs a 32-byte hash (a transaction's signing hash, an EIP-191/712 digest).
    public func sign(hash: Hash) throws(EthereumError) -> Signature {
        try sign(digest: hash.bytes)
    }

    /// Lends the 32 key bytes to `body` without copying them into a Swift array.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(storage))
    }

    /// A copy of the 32 key bytes, for encrypting them (keystore). Wipe it when done.
    public func exportBytes() -> [UInt8] { Array(storage) }
}

extension PrivateKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "PrivateKey(redacted)" }
    public var debugDescription: String { "PrivateKey(redacted)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}
