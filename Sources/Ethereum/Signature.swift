/// A secp256k1 ECDSA signature with its recovery id: r and s as 32-byte big-endian scalars in
/// 1 ..< n, and the recovery id 0 ... 3 (bit 0: y parity of R, bit 1: R.x ≥ n).
public struct Signature: Sendable, Hashable {
    public let r: [UInt8]
    public let s: [UInt8]
    public let recoveryId: UInt8

    /// Validates ranges; it does not require low s (see `isLowS`).
    public init(r: [UInt8], s: [UInt8], recoveryId: UInt8) throws(EthereumError) {
        guard Secp256k1.isValidScalar(r) else { throw EthereumError(.invalidSignature, "r must be 32 bytes in 1 ..< n") }
        guard Secp256k1.isValidScalar(s) else { throw EthereumError(.invalidSignature, "s must be 32 bytes in 1 ..< n") }
        guard recoveryId <= 3 else { throw EthereumError(.invalidSignature, "recovery id must be 0 ... 3, got \(recoveryId)") }
        self.r = r
        self.s = s
        self.recoveryId = recoveryId
    }

    /// s ≤ n/2: the only form Ethereum accepts in transactions since Homestead (EIP-2).
    public var isLowS: Bool { !Secp256k1.halfOrder.lexicographicallyPrecedes(s) }

    /// r ‖ s ‖ recovery id (65 bytes), the layout of `eth_sign`-style signatures with v = 0/1.
    public var bytes: [UInt8] { r + s + [recoveryId] }
}
