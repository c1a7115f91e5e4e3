import COpenSSL
import Crypto

/// A Web3 Secret Storage (keystore v3) file: a private key encrypted under a password, as geth,
/// Clef, eth-account and most wallets write it.
/// Spec: https://ethereum.org/en/developers/docs/data-structures-and-encoding/web3-secret-storage/
///
/// The key-encryption key comes from scrypt or PBKDF2-HMAC-SHA256; its first 16 bytes are the
/// AES-128-CTR key for the private key, and keccak256(bytes 16 ..< 32 ‖ ciphertext) is the MAC that
/// tells a wrong password from a right one.
public struct Keystore: Sendable, Equatable {
    /// The file's `id` (a UUID).
    public let id: String
    /// The `address` the file declares, if any; checked against the key on decryption.
    public let declaredAddress: Address?
    public let keyDerivation: KeyDerivation
    let salt: [UInt8]
    /// The derived key length (`dklen`), at least 32.
    let derivedKeyLength: Int
    let iv: [UInt8]
    let ciphertext: [UInt8]
    let mac: [UInt8]
    /// Where the keystore came from (a path), named in errors.
    public var source: String

    /// The key-encryption-key derivation and its cost.
    public enum KeyDerivation: Sendable, Equatable {
        case scrypt(n: Int, r: Int, p: Int)
        case pbkdf2(iterations: Int)

        /// geth's standard cost: scrypt n = 2^18, r = 8, p = 1 (about a second, 256 MiB).
        public static let standard = KeyDerivation.scrypt(n: 1 << 18, r: 8, p: 1)
        /// geth's light cost: scrypt n = 2^12, r = 8, p = 6. For tests and throwaway dev keys.
        public static let light = KeyDerivation.scrypt(n: 1 << 12, r: 8, p: 6)

        /// The least scrypt memory the keeper signs with, 128·n·r bytes: 4 MiB, geth's light setting
        /// (n = 4096, r = 8; eth-account and geth's standard use 32 and 256 MiB).
        public static let minimumScryptMemory = 4 << 20
        /// The least PBKDF2-HMAC-SHA256 iterations the keeper signs with: the Web3 Secret Storage
        /// example's 262,144 (eth-account writes 1,000,000).
        public static let minimumPBKDF2Iterations = 262_144

        /// Why this derivation is too cheap for a key that moves money, or nil when it is not.
        public var weakness: String? {
            switch self {
            case let .scrypt(n, r, p):
                let (block, overflow) = r.multipliedReportingOverflow(by: 128)
                let (memory, overflow2) = block.multipliedReportingOverflow(by: n)
                guard overflow || overflow2 || memory >= Self.minimumScryptMemory else {
                    return "scrypt n=\(n) r=\(r) p=\(p) uses \(memory / 1024) KiB; at least 4 MiB (128·n·r, e.g. geth's n=4096 r=8) is required"
                }
                return nil
            case let .pbkdf2(iterations):
                guard iterations >= Self.minimumPBKDF2Iterations else {
                    return "pbkdf2 c=\(iterations); at least \(Self.minimumPBKDF2Iterations) iterations are required"
                }
                return nil
            }
        }
    }

    /// Refuses a keystore whose KDF is cheaper than the minimum (`KeyDerivation.weakness`): checked
    /// before a key is used to sign, so that a file a stolen copy of would give up quickly is not used.
    public func requireStrongKeyDerivation() throws(EthereumError) {
        guard let weakness = keyDerivation.weakness else { return }
        throw EthereumError(.weakKeystore, "the keystore \(source) is too weakly encrypted (\(weakness)): re-encrypt it at geth's standard cost (scrypt n=262144 r=8 p=1)")
    }

    /// The most PBKDF2 iterations a file may ask for: bounds the work a hostile file can cause.
    public static let maxPBKDF2Iterations = 10_000_000

    /// Encrypts `key` under `password` with a fresh random salt (32 bytes), IV and UUID.
    public static func encrypt(_ key: PrivateKey, password: String,
                               keyDerivation: KeyDerivation = .standard) throws(EthereumError) -> Keystore {
        let salt = try randomBytes(32)
        let iv = try randomBytes(AES.CTR.ivSize)
        var derived = try derive(password: password, keyDerivation: keyDerivation, salt: salt, length: 32)
        defer { wipe(&derived) }
        var secret = key.exportBytes()
        defer { wipe(&secret) }
        let ciphertext: [UInt8]
        do {
            ciphertext = try AES.CTR.encrypt(secret, key: Array(derived[0..<16]), iv: iv)
        } catch {
            throw EthereumError(.cryptoFailure, "keystore encryption failed: \(error.message)")
        }
        return Keystore(id: try newUUID(), declaredAddress: key.address, keyDerivation: keyDerivation, salt: salt,
                        derivedKeyLength: 32, iv: iv, ciphertext: ciphertext,
                        mac: Keccak256.hash(derived[16..<32] + ciphertext), source: "(new keystore)")
    }

    /// Derives the key from `password`, checks the MAC, decrypts and checks the declared address.
    /// A MAC mismatch throws `.wrongPassword` naming `source`.
    public func decrypt(password: String) throws(EthereumError) -> PrivateKey {
        var derived = try Self.derive(password: password, keyDerivation: keyDerivation, salt: salt, length: derivedKeyLength)
        defer { Self.wipe(&derived) }
        let expected = Keccak256.hash(derived[16..<32] + ciphertext)
        let matches = expected.withUnsafeBytes { a in mac.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, 32) } }
        guard matches == 0 else { throw EthereumError(.wrongPassword, "wrong password for keystore \(source)") }
        var secret: [UInt8]
        do {
            secret = try AES.CTR.decrypt(ciphertext, key: Array(derived[0..<16]), iv: iv)
        } catch {
            throw EthereumError(.cryptoFailure, "keystore decryption failed: \(error.message)")
        }
        defer { Self.wipe(&secret) }
        let key: PrivateKey
        do {
            key = try PrivateKey(bytes: secret)
        } catch {
            throw EthereumError(.malformedKeystore, "keystore \(source) decrypts to an invalid private key")
        }
        if let declaredAddress, declaredAddress != key.address {
            throw EthereumError(.malformedKeystore,
                               "keystore \(source) declares address \(declaredAddress) but holds the key of \(key.address)")
        }
        return key
    }

    private static func derive(password: String, keyDerivation: KeyDerivation, salt: [UInt8], length: Int) throws(EthereumError) -> [UInt8] {
        let passwordBytes = Array(password.utf8)
        do {
            switch keyDerivation {
            case let .scrypt(n, r, p):
                return try KDF.scrypt(password: passwordBytes, salt: salt, parameters: KDF.ScryptParameters(n: n, r: r, p: p), keyLength: length)
            case let .pbkdf2(iterations):
                guard iterations <= maxPBKDF2Iterations else {
                    throw EthereumError(.unsupportedKeystore, "PBKDF2 with \(iterations) iterations is above the limit of \(maxPBKDF2Iterations)")
                }
                return try KDF.pbkdf2SHA256(password: passwordBytes, salt: salt, iterations: iterations, keyLength: length)
            }
        } catch let error as CryptoError {
            let code: EthereumError.Code = error.code == .invalidInput ? .unsupportedKeystore : .cryptoFailure
            throw EthereumError(code, "keystore key derivation: \(error.message)")
        } catch let error as EthereumError {
            throw error
        } catch {
            throw EthereumError(.cryptoFailure, "keystore key derivation: \(error)")
        }
    }

    private static func randomBytes(_ count: Int) throws(EthereumError) -> [UInt8] {
        do {
            return try SecureRandom.bytes(count)
        } catch {
            throw EthereumError(.cryptoFailure, "cannot create a keystore: \(error.message)")
        }
    }

    /// A random (version 4) UUID in lowercase 8-4-4-4-12 form.
    private static func newUUID() throws(EthereumError) -> String {
        var bytes = try randomBytes(16)
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = Hex.encode(bytes)
        var parts: [Substring] = []
        var start = hex.startIndex
        for length in [8, 4, 4, 4, 12] {
            let end = hex.index(start, offsetBy: length)
            parts.append(hex[start..<end])
            start = end
        }
        return parts.joined(separator: "-")
    }

    private static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
    }
}
