import COpenSSL

/// Password-based key derivation through OpenSSL: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) and scrypt
/// (RFC 7914), the two KDFs of keystore v3 files.
public enum KDF {
    /// The most memory `scrypt` uses unless the caller allows more. Enough for geth's standard
    /// keystore parameters (n = 2^18, r = 8, p = 1 needs 256 MiB) with room to spare; it also
    /// bounds what a hostile keystore file can make us allocate.
    public static let defaultScryptMemoryLimit = 512 << 20

    /// scrypt's cost parameters, validated as geth and pycryptodome validate them.
    public struct ScryptParameters: Sendable, Equatable {
        /// CPU/memory cost: a power of two greater than 1.
        public let n: Int
        /// Block size factor.
        public let r: Int
        /// Parallelisation factor.
        public let p: Int

        public init(n: Int, r: Int, p: Int) throws(CryptoError) {
            guard n > 1, n & (n - 1) == 0 else {
                throw CryptoError(.invalidInput, "scrypt n must be a power of two greater than 1, got \(n)")
            }
            guard r >= 1, p >= 1 else { throw CryptoError(.invalidInput, "scrypt r and p must be at least 1, got r=\(r) p=\(p)") }
            // RFC 7914 §2: p ≤ (2^32 − 1)·32 / (128·r), i.e. r·p < 2^30.
            let (rp, overflow) = r.multipliedReportingOverflow(by: p)
            guard !overflow, rp < 1 << 30 else { throw CryptoError(.invalidInput, "scrypt r·p must be below 2^30, got r=\(r) p=\(p)") }
            // RFC 7914 §2 also asks for n < 2^(16·r). geth, golang.org/x/crypto and pycryptodome do
            // not enforce it and keystore files break it (the keystore spec's own example has
            // n = 2^18, r = 1), so it is not a validation rule here; see `PortableScrypt`.
            self.n = n
            self.r = r
            self.p = p
        }

        /// n = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s): the interactive-login setting of the scrypt
        /// paper and of libsodium's `crypto_pwhash_scryptsalsa208sha256` interactive limits. A constant
        /// the validating initialiser accepts (`KDFTests` checks that it does), so it is built without it.
        public static let interactive = ScryptParameters(validatedN: 1 << 15, r: 8, p: 1)

        private init(validatedN n: Int, r: Int, p: Int) {
            self.n = n
            self.r = r
            self.p = p
        }

        /// Bytes scrypt allocates for these parameters: 128·r·(n + 2) for V plus 128·r·p for B,
        /// as OpenSSL counts them. Nil if that does not fit in an `Int`.
        public var memoryRequired: Int? {
            let (blockBytes, o1) = (128 as Int).multipliedReportingOverflow(by: r)
            let (vBytes, o2) = blockBytes.multipliedReportingOverflow(by: n + 2)
            let (bBytes, o3) = blockBytes.multipliedReportingOverflow(by: p)
            let (total, o4) = vBytes.addingReportingOverflow(bBytes)
            return o1 || o2 || o3 || o4 ? nil : total
        }

        /// OpenSSL computes only parameters with n < 2^(16·r) (RFC 7914 §2).
        var openSSLAccepts: Bool { 16 * r >= Int.bitWidth - 1 || n < 1 << (16 * r) }
    }

    /// PBKDF2 with HMAC-SHA256 as the PRF (RFC 8018 §5.2).
    public static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int) throws(CryptoError) -> [UInt8] {
        guard iterations >= 1, iterations <= Int(Int32.max) else {
            throw CryptoError(.invalidInput, "PBKDF2 iterations must be between 1 and \(Int32.max), got \(iterations)")
        }
        try checkLengths(password: password, salt: salt, keyLength: keyLength, kdf: "PBKDF2")
        return try pbkdf2(password: password, salt: salt, iterations: iterations, keyLength: keyLength)
    }

    /// PBKDF2-HMAC-SHA256 without the public entry's key length cap (scrypt's B can be larger).
    static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int) throws(CryptoError) -> [UInt8] {
        guard keyLength <= Int(Int32.max), salt.count <= Int(Int32.max) else {
            throw CryptoError(.invalidInput, "PBKDF2 salt or key length too large")
        }
        var key = [UInt8](repeating: 0, count: keyLength)
        let ok = password.withNonNullPointer { passwordPointer in
            salt.withNonNullPointer { saltPointer in
                key.withUnsafeMutableBufferPointer { output in
                    passwordPointer.withMemoryRebound(to: CChar.self, capacity: max(password.count, 1)) { passwordChars in
                        PKCS5_PBKDF2_HMAC(passwordChars, Int32(password.count), saltPointer, Int32(salt.count),
                                          Int32(iterations), EVP_sha256(), Int32(keyLength), output.baseAddress)
                    }
                }
            }
        }
        guard ok == 1 else { throw CryptoError(.openSSL, "PBKDF2 failed: \(OpenSSLError.lastMessage())") }
        return key
    }

    /// scrypt (RFC 7914). Throws `.invalidInput` before allocating anything when the parameters
    /// need more than `memoryLimit` bytes. Uses OpenSSL's `EVP_PBE_scrypt`, or `PortableScrypt`
    /// for the n ≥ 2^(16·r) parameters OpenSSL refuses.
    public static func scrypt(password: [UInt8], salt: [UInt8], parameters: ScryptParameters, keyLength: Int,
                              memoryLimit: Int = defaultScryptMemoryLimit) throws(CryptoError) -> [UInt8] {
        try checkLengths(password: password, salt: salt, keyLength: keyLength, kdf: "scrypt")
        guard let memory = parameters.memoryRequired, memory <= memoryLimit else {
            let needed = parameters.memoryRequired.map { "\($0 >> 20) MiB" } ?? "more than the address space"
            throw CryptoError(.invalidInput,
                              "scrypt n=\(parameters.n) r=\(parameters.r) p=\(parameters.p) needs \(needed), above the limit of \(memoryLimit >> 20) MiB")
        }
        guard parameters.openSSLAccepts else {
            return try PortableScrypt.derive(password: password, salt: salt, n: parameters.n, r: parameters.r, p: parameters.p,
                                             keyLength: keyLength)
        }
        var key = [UInt8](repeating: 0, count: keyLength)
        let ok = password.withNonNullPointer { passwordPointer in
            salt.withNonNullPointer { saltPointer in
                key.withUnsafeMutableBufferPointer { output in
                    passwordPointer.withMemoryRebound(to: CChar.self, capacity: max(password.count, 1)) { passwordChars in
                        // maxmem is the exact need plus a page: OpenSSL's default (32 MiB) is too small
                        // for keystore parameters, and the caller's limit was checked above.
                        EVP_PBE_scrypt(passwordChars, password.count, saltPointer, salt.count,
                                       UInt64(parameters.n), UInt64(parameters.r), UInt64(parameters.p),
                                       UInt64(memory) + 4096, output.baseAddress, keyLength)
                    }
                }
            }
        }
        guard ok == 1 else { throw CryptoError(.openSSL, "scrypt failed: \(OpenSSLError.lastMessage())") }
        return key
    }

    private static func checkLengths(password: [UInt8], salt: [UInt8], keyLength: Int, kdf: String) throws(CryptoError) {
        guard keyLength >= 1, keyLength <= 1 << 20 else {
            throw CryptoError(.invalidInput, "\(kdf) key length must be between 1 byte and 1 MiB, got \(keyLength)")
        }
        guard password.count <= Int(Int32.max), salt.count <= Int(Int32.max) else {
            throw CryptoError(.invalidInput, "\(kdf) password or salt is too long")
        }
    }
}

extension Array where Element == UInt8 {
    /// Calls `body` with a non-null pointer to the bytes, even when the array is empty: OpenSSL's
    /// KDFs treat a null password or salt differently from an empty one.
    func withNonNullPointer<R>(_ body: (UnsafePointer<UInt8>) -> R) -> R {
        withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { return body(base) }
            var placeholder: UInt8 = 0
            return body(&placeholder)
        }
    }
}
