import Crypto
import Foundation

extension Keystore {
    /// The largest keystore JSON accepted; real files are well under 1 KiB.
    public static let maxJSONSize = 64 * 1024

    /// Parses keystore v3 JSON. Accepts `crypto` or geth's legacy `Crypto` key and hex with or
    /// without `0x`; requires version 3, `aes-128-ctr`, and scrypt or PBKDF2 with `hmac-sha256`.
    /// `source` names the keystore in errors (the file path when read from disk).
    public init(json: [UInt8], source: String = "(in memory)") throws(EthereumError) {
        guard json.count <= Self.maxJSONSize else {
            throw EthereumError(.malformedKeystore, "keystore \(source) is \(json.count) bytes, more than a keystore can be")
        }
        let file: FileJSON
        do {
            file = try JSONDecoder().decode(FileJSON.self, from: Data(json))
        } catch {
            throw EthereumError(.malformedKeystore, "keystore \(source) is not keystore v3 JSON: \(Self.describe(error))")
        }
        func malformed(_ what: String) -> EthereumError { EthereumError(.malformedKeystore, "keystore \(source): \(what)") }
        func unsupported(_ what: String) -> EthereumError { EthereumError(.unsupportedKeystore, "keystore \(source): \(what)") }

        guard file.version == 3 else { throw unsupported("version \(file.version) (only version 3 is supported)") }
        let crypto = file.crypto
        guard crypto.cipher == "aes-128-ctr" else { throw unsupported("cipher \"\(crypto.cipher)\" (only aes-128-ctr is supported)") }
        guard let iv = Hex.decode(crypto.cipherparams.iv), iv.count == AES.CTR.ivSize else { throw malformed("cipherparams.iv is not 16 bytes of hex") }
        guard let ciphertext = Hex.decode(crypto.ciphertext), ciphertext.count == 32 else { throw malformed("ciphertext is not 32 bytes of hex") }
        guard let mac = Hex.decode(crypto.mac), mac.count == 32 else { throw malformed("mac is not 32 bytes of hex") }
        let parameters = crypto.kdfparams
        guard let salt = Hex.decode(parameters.salt) else { throw malformed("kdfparams.salt is not hex") }
        guard (32...64).contains(parameters.dklen) else { throw malformed("kdfparams.dklen must be 32 to 64, got \(parameters.dklen)") }

        let keyDerivation: KeyDerivation
        switch crypto.kdf {
        case "scrypt":
            guard let n = parameters.n, let r = parameters.r, let p = parameters.p else { throw malformed("scrypt kdfparams need n, r and p") }
            do {
                _ = try KDF.ScryptParameters(n: n, r: r, p: p)
            } catch {
                throw malformed(error.message)
            }
            keyDerivation = .scrypt(n: n, r: r, p: p)
        case "pbkdf2":
            guard let c = parameters.c, c >= 1 else { throw malformed("pbkdf2 kdfparams need c ≥ 1") }
            guard parameters.prf == "hmac-sha256" else { throw unsupported("pbkdf2 prf \"\(parameters.prf ?? "")\" (only hmac-sha256 is supported)") }
            keyDerivation = .pbkdf2(iterations: c)
        default:
            throw unsupported("kdf \"\(crypto.kdf)\" (scrypt and pbkdf2 are supported)")
        }

        var declaredAddress: Address?
        if let address = file.address, !address.isEmpty {
            guard let bytes = Hex.decode(address), bytes.count == 20 else { throw malformed("address is not 20 bytes of hex") }
            declaredAddress = Address(unchecked: bytes)
        }
        self.init(id: file.id ?? "", declaredAddress: declaredAddress, keyDerivation: keyDerivation, salt: salt,
                  derivedKeyLength: parameters.dklen, iv: iv, ciphertext: ciphertext, mac: mac, source: source)
    }

    /// The keystore as compact JSON with sorted keys, in the layout geth writes.
    public func json() throws(EthereumError) -> [UInt8] {
        var parameters = KDFParametersJSON(dklen: derivedKeyLength, salt: Hex.encode(salt))
        let kdfName: String
        switch keyDerivation {
        case let .scrypt(n, r, p):
            kdfName = "scrypt"
            (parameters.n, parameters.r, parameters.p) = (n, r, p)
        case let .pbkdf2(iterations):
            kdfName = "pbkdf2"
            parameters.c = iterations
            parameters.prf = "hmac-sha256"
        }
        let file = FileJSON(
            version: 3, id: id, address: declaredAddress.map { Hex.encode($0.bytes) },
            crypto: CryptoJSON(cipher: "aes-128-ctr", cipherparams: CipherParametersJSON(iv: Hex.encode(iv)),
                               ciphertext: Hex.encode(ciphertext), kdf: kdfName, kdfparams: parameters, mac: Hex.encode(mac)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return Array(try encoder.encode(file))
        } catch {
            throw EthereumError(.malformedKeystore, "cannot encode keystore \(source) as JSON: \(error)")
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default:
            return "invalid JSON"
        }
    }
}

// The on-disk shape, field names as the spec spells them.

private struct FileJSON: Codable {
    var version: Int
    var id: String?
    var address: String?
    var crypto: CryptoJSON

    enum CodingKeys: String, CodingKey { case version, id, address, crypto, legacyCrypto = "Crypto" }

    init(version: Int, id: String?, address: String?, crypto: CryptoJSON) {
        (self.version, self.id, self.address, self.crypto) = (version, id, address, crypto)
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        address = try container.decodeIfPresent(String.self, forKey: .address)
        if let crypto = try container.decodeIfPresent(CryptoJSON.self, forKey: .crypto) {
            self.crypto = crypto
        } else {
            crypto = try container.decode(CryptoJSON.self, forKey: .legacyCrypto)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encodeIfPresent(address, forKey: .address)
        try container.encode(crypto, forKey: .crypto)
    }
}

private struct CryptoJSON: Codable {
    var cipher: String
    var cipherparams: CipherParametersJSON
    var ciphertext: String
    var kdf: String
    var kdfparams: KDFParametersJSON
    var mac: String
}

private struct CipherParametersJSON: Codable {
    var iv: String
}

private struct KDFParametersJSON: Codable {
    var dklen: Int
    var salt: String
    var n: Int?
    var r: Int?
    var p: Int?
    var c: Int?
    var prf: String?
}
