import COpenSSL

/// SHA-256 and HMAC-SHA256 through OpenSSL's EVP interface.
public enum SHA256 {
    public static func hash<D: Collection>(_ data: D) -> [UInt8] where D.Element == UInt8 {
        var out = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var length: UInt32 = 0
        let bytes = Array(data)
        let ok = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { output in
                EVP_Digest(input.baseAddress, input.count,
                           output.baseAddress?.assumingMemoryBound(to: UInt8.self), &length,
                           EVP_sha256(), nil)
            }
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed: OpenSSL is unusable")
        return out
    }
}

public enum HMACSHA256 {
    /// HMAC-SHA256(key, message), 32 bytes. Used for OKX request signing, webhook signatures
    /// and RFC 6979 nonces.
    public static func authenticate<K: Collection, M: Collection>(_ message: M, key: K) -> [UInt8]
    where K.Element == UInt8, M.Element == UInt8 {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let keyBytes = Array(key)
        let messageBytes = Array(message)
        let result = keyBytes.withUnsafeBytes { k in
            messageBytes.withUnsafeBytes { m in
                out.withUnsafeMutableBytes { o in
                    HMAC(EVP_sha256(), k.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(k.count),
                         m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count,
                         o.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
                }
            }
        }
        precondition(result != nil && length == 32, "HMAC-SHA256 failed: OpenSSL is unusable")
        return out
    }
}

/// Bytes from OpenSSL's CSPRNG.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBytes { RAND_bytes($0.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(count)) }
        guard ok == 1 else { throw CryptoError(.randomUnavailable, "the system random generator failed") }
        return out
    }
}

/// The Crypto module's one error type.
public struct CryptoError: Error, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case randomUnavailable, invalidKey, invalidInput, openSSL, authenticationFailed
    }
    public let code: Code
    public let message: String
    public init(_ code: Code, _ message: String) { self.code = code; self.message = message }
    public var description: String { message }
}
