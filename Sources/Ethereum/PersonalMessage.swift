import Crypto

/// EIP-191 version 0x45 signed data, what wallets make with `personal_sign`
/// (https://eips.ethereum.org/EIPS/eip-191): keccak256 of
/// `"\x19Ethereum Signed Message:\n"`, the message's length in bytes (decimal), and the message.
public enum PersonalMessage {
    /// The 32-byte hash a wallet signs for `message`.
    public static func digest(_ message: [UInt8]) -> [UInt8] {
        var hasher = Keccak256()
        hasher.update(Array("\u{19}Ethereum Signed Message:\n\(message.count)".utf8))
        hasher.update(message)
        return hasher.finalize()
    }

    /// The digest of `message`'s UTF-8 bytes (the length counts bytes, not characters).
    public static func digest(_ message: String) -> [UInt8] { digest(Array(message.utf8)) }

    /// Reads a wallet's signature: `0x` and 130 hex digits, r ‖ s ‖ v with v 27 or 28 (0 or 1 also
    /// accepted). Refuses r or s outside 1 ..< n and high s (s > n/2, the malleable twin, EIP-2).
    public static func signature(hex text: String) throws(EthereumError) -> Signature {
        let utf8 = Array(text.utf8)
        guard utf8.count == 132, utf8[0] == 0x30, utf8[1] == 0x78 else {
            throw EthereumError(.invalidSignature, "a personal_sign signature is 0x and 130 hex digits (r, s, v: 65 bytes), got \(utf8.count) characters\(utf8.starts(with: [0x30, 0x78]) ? "" : " without the 0x prefix")")
        }
        guard let bytes = Hex.decode(text), bytes.count == 65 else {
            throw EthereumError(.invalidSignature, "a personal_sign signature is 0x and 130 hex digits: it has a character that is not a hex digit")
        }
        let recoveryId: UInt8
        switch bytes[64] {
        case 27, 28: recoveryId = bytes[64] - 27
        case 0, 1: recoveryId = bytes[64]
        default: throw EthereumError(.invalidSignature, "the signature's last byte v must be 27 or 28 (or 0 or 1), got \(bytes[64])")
        }
        let signature = try Signature(r: Array(bytes[0..<32]), s: Array(bytes[32..<64]), recoveryId: recoveryId)
        guard signature.isLowS else {
            throw EthereumError(.invalidSignature, "the signature has a high s (above n/2), the malleable form wallets do not produce: sign again")
        }
        return signature
    }

    /// The address whose key signed `message` (its bytes, EIP-191 0x45) with `signature` (as `signature(hex:)` reads it).
    public static func signer(of message: [UInt8], signature: String) throws(EthereumError) -> Address {
        let parsed = try Self.signature(hex: signature)
        return try Secp256k1.recoverPublicKey(digest: digest(message), signature: parsed).address
    }

    /// The address whose key signed the UTF-8 bytes of `message`.
    public static func signer(of message: String, signature: String) throws(EthereumError) -> Address {
        try signer(of: Array(message.utf8), signature: signature)
    }
}

extension PrivateKey {
    /// Signs `message` as `personal_sign` does: `0x` and 130 hex digits, r ‖ s ‖ v with v 27 or 28.
    public func signPersonalMessage(_ message: [UInt8]) throws(EthereumError) -> String {
        let signature = try sign(digest: PersonalMessage.digest(message))
        return Hex.encode(signature.r + signature.s + [signature.recoveryId + 27], prefix: true)
    }

    /// Signs the UTF-8 bytes of `message` as `personal_sign` does.
    public func signPersonalMessage(_ message: String) throws(EthereumError) -> String {
        try signPersonalMessage(Array(message.utf8))
    }
}
