import Crypto

/// A secp256k1 public key as Ethereum uses it: the uncompressed point x ‖ y (64 bytes, no 0x04
/// prefix), validated to lie on the curve.
public struct PublicKey: Sendable, Hashable {
    /// x ‖ y, 32 bytes each, big-endian.
    public let bytes: [UInt8]

    /// Accepts 64 bytes (x ‖ y) or 65 bytes with the SEC 1 `0x04` prefix.
    public init(uncompressed: [UInt8]) throws(EthereumError) {
        let body: [UInt8]
        switch uncompressed.count {
        case 64: body = uncompressed
        case 65 where uncompressed[0] == 0x04: body = Array(uncompressed.dropFirst())
        default: throw EthereumError(.invalidPublicKey, "public key must be 64 bytes (or 65 with 0x04), got \(uncompressed.count)")
        }
        try Secp256k1.Curve.shared().validatePublicKey(body)
        self.bytes = body
    }

    /// The account address: the last 20 bytes of keccak256(x ‖ y).
    public var address: Address { Address(unchecked: Array(Keccak256.hash(bytes).suffix(20))) }

    /// True when `signature` over `digest` was made by this key (recovery yields this key).
    public func isValidSignature(_ signature: Signature, digest: [UInt8]) -> Bool {
        (try? Secp256k1.recoverPublicKey(digest: digest, signature: signature)) == self
    }
}

extension PublicKey: CustomStringConvertible {
    /// `0x`-prefixed hex of x ‖ y.
    public var description: String { Hex.encode(bytes, prefix: true) }
}
