import COpenSSL

/// AES through OpenSSL's EVP interface: counter mode (`aes-128-ctr` in keystore v3 files) and
/// GCM (the authenticated encryption of the keeper's key vault).
public enum AES {
    /// AES in counter mode, NIST SP 800-38A §6.5. The 16-byte IV is the first counter block,
    /// incremented as one 128-bit big-endian integer, as keystore v3 and OpenSSL define it.
    /// Encryption and decryption are the same operation. CTR gives no integrity: pair it with a MAC.
    public enum CTR {
        public static let ivSize = 16

        /// Encrypts with a 16-, 24- or 32-byte key (AES-128/192/256-CTR).
        public static func encrypt(_ plaintext: [UInt8], key: [UInt8], iv: [UInt8]) throws(CryptoError) -> [UInt8] {
            try apply(plaintext, key: key, iv: iv, encrypt: true)
        }

        /// Decrypts with a 16-, 24- or 32-byte key (AES-128/192/256-CTR).
        public static func decrypt(_ ciphertext: [UInt8], key: [UInt8], iv: [UInt8]) throws(CryptoError) -> [UInt8] {
            try apply(ciphertext, key: key, iv: iv, encrypt: false)
        }

        private static func apply(_ input: [UInt8], key: [UInt8], iv: [UInt8], encrypt: Bool) throws(CryptoError) -> [UInt8] {
            let cipher: OpaquePointer?
            switch key.count {
            case 16: cipher = EVP_aes_128_ctr()
            case 24: cipher = EVP_aes_192_ctr()
            case 32: cipher = EVP_aes_256_ctr()
            default: throw CryptoError(.invalidKey, "AES-CTR needs a 16, 24 or 32-byte key, got \(key.count) bytes")
            }
            guard iv.count == ivSize else {
                throw CryptoError(.invalidInput, "AES-CTR needs a \(ivSize)-byte IV, got \(iv.count) bytes")
            }
            let context = try CipherContext()
            try context.initialize(cipher: cipher, key: key, iv: iv, encrypt: encrypt)
            let output = try context.update(input)
            guard context.finish() else { throw CryptoError(.openSSL, "AES-CTR finalisation failed: \(OpenSSLError.lastMessage())") }
            return output
        }
    }
}
