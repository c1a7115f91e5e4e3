import Ethereum

/// What a trader sends the keeper to sign in (issue 18): an EIP-4361 message, read strictly, and a
/// `personal_sign` signature. A message that parses renders back to the same bytes and parses to
/// the same value; a signature that reads recovers an address or throws.
enum SignInFuzz {
    static func run(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        let text = String(decoding: input, as: UTF8.self)
        if let signature = try? PersonalMessage.signature(hex: text) {
            _ = try? PersonalMessage.signer(of: input, signature: text)
            try require(signature.s.count == 32 && signature.r.count == 32, "a signature read with r or s not 32 bytes")
        }
        guard Array(text.utf8) == input, let message = try? SignInMessage(parsing: text) else { return false }
        try require(message.text == text, "a parsed message renders to other bytes")
        try require((try? SignInMessage(parsing: message.text)) == message, "a rendered message parses to another value")
        return true
    }
}
