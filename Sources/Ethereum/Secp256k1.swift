import Crypto

/// The secp256k1 curve (SEC 2 §2.4.1) through OpenSSL's EC_GROUP/EC_POINT/BIGNUM interfaces, and
/// Ethereum's ECDSA on it: RFC 6979 deterministic nonces, low-s signatures (EIP-2) and public-key
/// recovery (SEC 1 §4.1.6).
///
/// OpenSSL 3.0 has neither deterministic ECDSA nor recovery, so the signature arithmetic is done
/// here with BIGNUM modular operations; point multiplication by secret scalars uses OpenSSL's
/// constant-time Montgomery ladder (`EC_POINT_mul` with only the generator term).
public enum Secp256k1 {
    /// The group order n, big-endian.
    public static let order: [UInt8] = hex32("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
    /// n / 2, the largest s a low-s signature may have.
    public static let halfOrder: [UInt8] = hex32("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0")

    /// Recovers the public key that made `signature` over the 32-byte `digest`. Accepts high-s
    /// signatures (callers that must reject them, such as transaction decoding, check `isLowS`).
    public static func recoverPublicKey(digest: [UInt8], signature: Signature) throws(EthereumError) -> PublicKey {
        guard digest.count == 32 else { throw EthereumError(.invalidSignature, "digest must be 32 bytes, got \(digest.count)") }
        return try Curve.shared().recover(digest: digest, signature: signature)
    }

    /// True when `bytes` (32, big-endian) is a valid scalar: 0 < value < n.
    static func isValidScalar(_ bytes: [UInt8]) -> Bool {
        bytes.count == 32 && bytes.contains { $0 != 0 } && bytes.lexicographicallyPrecedes(order)
    }

    private static func hex32(_ text: String) -> [UInt8] {
        let bytes = Hex.decode(text) ?? []
        precondition(bytes.count == 32, "secp256k1 constant is not 32 bytes")
        return bytes
    }
}
