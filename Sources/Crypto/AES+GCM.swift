import COpenSSL

extension AES {
    /// AES-256-GCM (NIST SP 800-38D) with a 12-byte nonce and a 16-byte tag.
    ///
    /// A nonce must never repeat under one key; `seal` draws a random one unless given one.
    /// Random 96-bit nonces are safe for up to 2^32 messages per key (SP 800-38D §8.3).
    public enum GCM {
        public static let keySize = 32
        public static let nonceSize = 12
        public static let tagSize = 16

        /// The output of `seal`: nonce, ciphertext and tag, storable as one byte string.
        public struct SealedBox: Sendable, Equatable {
            public let nonce: [UInt8]
            public let ciphertext: [UInt8]
            public let tag: [UInt8]

            public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) throws(CryptoError) {
                guard nonce.count == GCM.nonceSize else {
                    throw CryptoError(.invalidInput, "AES-GCM nonce must be \(GCM.nonceSize) bytes, got \(nonce.count)")
                }
                guard tag.count == GCM.tagSize else {
                    throw CryptoError(.invalidInput, "AES-GCM tag must be \(GCM.tagSize) bytes, got \(tag.count)")
                }
                self.nonce = nonce
                self.ciphertext = ciphertext
                self.tag = tag
            }

            /// Splits `nonce ‖ ciphertext ‖ tag`, the layout of `combined`.
            public init(combined: [UInt8]) throws(CryptoError) {
                guard combined.count >= GCM.nonceSize + GCM.tagSize else {
                    throw CryptoError(.invalidInput, "AES-GCM box is \(combined.count) bytes, shorter than nonce and tag")
                }
                try self.init(nonce: Array(combined.prefix(GCM.nonceSize)),
                              ciphertext: Array(combined.dropFirst(GCM.nonceSize).dropLast(GCM.tagSize)),
                              tag: Array(combined.suffix(GCM.tagSize)))
            }

            /// `nonce ‖ ciphertext ‖ tag`.
            public var combined: [UInt8] { nonce + ciphertext + tag }
        }

        /// Encrypts and authenticates `plaintext`, and authenticates `aad` without encrypting it.
        /// `nonce` defaults to 12 fresh random bytes.
        public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce givenNonce: [UInt8]? = nil,
                                authenticating aad: [UInt8] = []) throws(CryptoError) -> SealedBox {
            try checkKey(key)
            let nonce: [UInt8]
            if let givenNonce { nonce = givenNonce } else { nonce = try SecureRandom.bytes(nonceSize) }
            guard nonce.count == nonceSize else {
                throw CryptoError(.invalidInput, "AES-GCM nonce must be \(nonceSize) bytes, got \(nonce.count)")
            }
            let context = try start(key: key, nonce: nonce, encrypt: true)
            try context.authenticate(aad)
            let ciphertext = try context.update(plaintext)
            guard context.finish() else { throw CryptoError(.openSSL, "AES-GCM encryption failed: \(OpenSSLError.lastMessage())") }
            var tag = [UInt8](repeating: 0, count: tagSize)
            try context.control(EVP_CTRL_GCM_GET_TAG, Int32(tagSize), &tag)
            return try SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
        }

        /// Checks the tag over ciphertext and `aad`, then decrypts. Throws `.authenticationFailed`
        /// when the key, nonce, ciphertext, tag or `aad` differ from what was sealed; no plaintext
        /// is returned in that case.
        public static func open(_ box: SealedBox, key: [UInt8], authenticating aad: [UInt8] = []) throws(CryptoError) -> [UInt8] {
            try checkKey(key)
            let context = try start(key: key, nonce: box.nonce, encrypt: false)
            try context.authenticate(aad)
            var plaintext = try context.update(box.ciphertext)
            var tag = box.tag
            try context.control(EVP_CTRL_GCM_SET_TAG, Int32(tagSize), &tag)
            guard context.finish() else {
                plaintext.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
                _ = OpenSSLError.lastMessage()
                throw CryptoError(.authenticationFailed, "AES-GCM authentication failed: wrong key or tampered data")
            }
            return plaintext
        }

        private static func checkKey(_ key: [UInt8]) throws(CryptoError) {
            guard key.count == keySize else {
                throw CryptoError(.invalidKey, "AES-256-GCM needs a \(keySize)-byte key, got \(key.count) bytes")
            }
        }

        private static func start(key: [UInt8], nonce: [UInt8], encrypt: Bool) throws(CryptoError) -> CipherContext {
            let context = try CipherContext()
            try context.initialize(cipher: EVP_aes_256_gcm(), key: nil, iv: nil, encrypt: encrypt)
            var unused: [UInt8] = []
            try context.control(EVP_CTRL_GCM_SET_IVLEN, Int32(nonceSize), &unused)
            try context.initialize(cipher: nil, key: key, iv: nonce, encrypt: encrypt)
            return context
        }
    }
}
