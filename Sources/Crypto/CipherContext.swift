import COpenSSL

/// An owned `EVP_CIPHER_CTX`: one encryption or decryption, freed (and cleansed by OpenSSL) on deinit.
/// Not `Sendable`: a context is used by one call on one thread.
final class CipherContext {
    /// OpenSSL's update functions take an `int` length; larger inputs go through in chunks of this size.
    private static let chunkSize = 1 << 30

    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let pointer = EVP_CIPHER_CTX_new() else {
            throw CryptoError(.openSSL, "EVP_CIPHER_CTX_new failed: \(OpenSSLError.lastMessage())")
        }
        self.pointer = pointer
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }

    /// Sets cipher, key and IV; `encrypt` chooses the direction. A nil cipher keeps the one already set.
    func initialize(cipher: OpaquePointer?, key: [UInt8]?, iv: [UInt8]?, encrypt: Bool) throws(CryptoError) {
        let ok = withOptionalBytes(key) { keyPointer in
            withOptionalBytes(iv) { ivPointer in
                EVP_CipherInit_ex(pointer, cipher, nil, keyPointer, ivPointer, encrypt ? 1 : 0)
            }
        }
        guard ok == 1 else { throw CryptoError(.openSSL, "EVP_CipherInit_ex failed: \(OpenSSLError.lastMessage())") }
    }

    /// Feeds additional authenticated data (AEAD modes): an update with no output buffer.
    func authenticate(_ aad: [UInt8]) throws(CryptoError) {
        var start = 0
        while start < aad.count {
            let length = min(Self.chunkSize, aad.count - start)
            var written: Int32 = 0
            let ok = aad.withUnsafeBufferPointer { input in
                EVP_CipherUpdate(pointer, nil, &written, input.baseAddress.map { $0 + start }, Int32(length))
            }
            guard ok == 1 else { throw CryptoError(.openSSL, "EVP_CipherUpdate(AAD) failed: \(OpenSSLError.lastMessage())") }
            start += length
        }
    }

    /// Runs `input` through the cipher. Stream modes (CTR, GCM) return exactly `input.count` bytes.
    func update(_ input: [UInt8]) throws(CryptoError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: input.count)
        var produced = 0
        var start = 0
        while start < input.count {
            let length = min(Self.chunkSize, input.count - start)
            var written: Int32 = 0
            let ok = input.withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { target in
                    EVP_CipherUpdate(pointer, target.baseAddress.map { $0 + produced }, &written,
                                     source.baseAddress.map { $0 + start }, Int32(length))
                }
            }
            guard ok == 1, written == Int32(length) else {
                throw CryptoError(.openSSL, "EVP_CipherUpdate failed: \(OpenSSLError.lastMessage())")
            }
            produced += Int(written)
            start += length
        }
        return output
    }

    /// Finishes the operation. For GCM decryption this is where the tag is checked: returns false
    /// when it does not match. Stream modes emit no final bytes.
    func finish() -> Bool {
        var scratch = [UInt8](repeating: 0, count: 32)
        var written: Int32 = 0
        let ok = scratch.withUnsafeMutableBufferPointer { EVP_CipherFinal_ex(pointer, $0.baseAddress, &written) }
        return ok == 1 && written == 0
    }

    /// `EVP_CIPHER_CTX_ctrl` with a byte buffer argument (GCM tag and IV length controls).
    func control(_ type: Int32, _ argument: Int32, _ buffer: inout [UInt8]) throws(CryptoError) {
        let ok = buffer.withUnsafeMutableBytes { EVP_CIPHER_CTX_ctrl(pointer, type, argument, $0.baseAddress) }
        guard ok == 1 else { throw CryptoError(.openSSL, "EVP_CIPHER_CTX_ctrl(\(type)) failed: \(OpenSSLError.lastMessage())") }
    }
}

/// Calls `body` with a pointer to `bytes`, or nil for nil. An empty array still yields a valid pointer.
private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafePointer<UInt8>?) -> R) -> R {
    guard let bytes else { return body(nil) }
    if bytes.isEmpty {
        var placeholder: UInt8 = 0
        return body(&placeholder)
    }
    return bytes.withUnsafeBufferPointer { body($0.baseAddress) }
}
