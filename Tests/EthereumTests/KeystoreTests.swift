import Crypto
import Foundation
import Testing
import TestSupport
@testable import Ethereum

@Suite struct KeystoreTests {
    /// The private key of both Web3 Secret Storage spec examples (password "testpassword").
    static let specKey = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"

    static let specPBKDF2 = """
    {"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"6087dab2f9fdbbfaddc31a909735c1e6"},
    "ciphertext":"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46","kdf":"pbkdf2",
    "kdfparams":{"c":262144,"dklen":32,"prf":"hmac-sha256","salt":"ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"},
    "mac":"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"},
    "id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3}
    """

    static let specScrypt = """
    {"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"83dbcc02d8ccb40e466191a123791e0e"},
    "ciphertext":"d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c","kdf":"scrypt",
    "kdfparams":{"dklen":32,"n":262144,"p":8,"r":1,"salt":"ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19"},
    "mac":"2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"},
    "id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3}
    """

    private func parse(_ json: String, source: String = "(test)") throws -> Keystore {
        try Keystore(json: Array(json.utf8), source: source)
    }

    private func expectCode(_ code: EthereumError.Code, _ comment: Comment? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        #expect(comment, sourceLocation: sourceLocation) {
            try body()
        } throws: { error in
            guard let error = error as? EthereumError else { return false }
            return error.code == code
        }
    }

    @Test func specPBKDF2Example() throws {
        let keystore = try parse(Self.specPBKDF2)
        #expect(keystore.keyDerivation == .pbkdf2(iterations: 262_144))
        #expect(keystore.id == "3198bc9c-6672-5ab3-d995-4942343ae5b6")
        #expect(keystore.declaredAddress == nil)
        #expect(try keystore.decrypt(password: "testpassword").exportBytes() == hex(Self.specKey))
        expectCode(.wrongPassword) { _ = try keystore.decrypt(password: "testpassword ") }
    }

    @Test func specScryptExample() throws {
        // n = 2^18 with r = 1: computed by the portable ROMix, since OpenSSL refuses r = 1 at this n.
        let keystore = try parse(Self.specScrypt)
        #expect(keystore.keyDerivation == .scrypt(n: 262_144, r: 1, p: 8))
        #expect(try keystore.decrypt(password: "testpassword").exportBytes() == hex(Self.specKey))
    }

    @Test func wrongPasswordNamesTheFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("spec.json")
        try Data(Self.specPBKDF2.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try Keystore.decryptFile(at: path, password: "not it")
            Issue.record("decryption with a wrong password succeeded")
        } catch {
            #expect(error.code == .wrongPassword)
            #expect(error.message == "wrong password for keystore \(path)")
        }
    }

    @Test func roundTripInSwift() throws {
        let key = try PrivateKey.generate()
        for derivation in [Keystore.KeyDerivation.pbkdf2(iterations: 1000), .scrypt(n: 1024, r: 8, p: 1), .scrypt(n: 2048, r: 1, p: 2)] {
            let keystore = try Keystore.encrypt(key, password: "pässwörd 🔑", keyDerivation: derivation)
            #expect(keystore.declaredAddress == key.address)
            let reread = try Keystore(json: keystore.json())
            #expect(reread.keyDerivation == derivation)
            #expect(try reread.decrypt(password: "pässwörd 🔑").exportBytes() == key.exportBytes())
            expectCode(.wrongPassword) { _ = try reread.decrypt(password: "passwörd 🔑") }
        }
        // Fresh salt, IV and id every time.
        let a = try Keystore.encrypt(key, password: "pw", keyDerivation: .pbkdf2(iterations: 1))
        let b = try Keystore.encrypt(key, password: "pw", keyDerivation: .pbkdf2(iterations: 1))
        #expect(a.salt != b.salt && a.iv != b.iv && a.id != b.id && a.ciphertext != b.ciphertext)
        #expect(a.salt.count == 32)
        #expect(a.id.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression) != nil)
        #expect(!"\(a)".contains(Hex.encode(key.exportBytes())))
    }

    @Test func swiftKeystoresOpenInEthAccount() throws {
        let directory = try TemporaryDirectory()
        var random = SeededRandom(seed: 0xC0FFEE)
        var cases: [[String: String]] = []
        var keys: [PrivateKey] = []
        let derivations: [Keystore.KeyDerivation] = [.pbkdf2(iterations: 1000), .light, .scrypt(n: 1 << 16, r: 1, p: 1)]
        for (index, derivation) in derivations.enumerated() {
            let key = try PrivateKey(bytes: random.bytes(32))
            let password = "password \(index) ✓"
            let path = directory.path("key\(index).json")
            try Keystore.create(key, password: password, at: path, keyDerivation: derivation)
            keys.append(key)
            cases.append(["path": path, "password": password])
        }
        let script = """
        import sys, json
        from eth_account import Account
        out = []
        for c in json.load(sys.stdin):
            with open(c["path"]) as f:
                keyfile = json.load(f)
            out.append({"key": Account.decrypt(keyfile, c["password"]).hex(), "address": keyfile["address"]})
        print(json.dumps(out))
        """
        let results = try #require(try jsonObject(try ReferencePython.run(script, stdin: try jsonText(cases))) as? [[String: String]])
        #expect(results.count == keys.count)
        for (key, result) in zip(keys, results) {
            #expect(result["key"].flatMap { Hex.decode($0) } == key.exportBytes())
            #expect(result["address"] == Hex.encode(key.address.bytes))
        }
    }

    @Test func ethAccountKeystoresOpenInSwift() throws {
        var random = SeededRandom(seed: 0xBEEF)
        let keys = (0..<4).map { _ in Hex.encode(random.bytes(32)) }
        // eth-keyfile's scrypt uses r = 1, p = 8: n = 2^10 goes through OpenSSL, n = 2^16 through
        // the portable ROMix (the shape of its default n = 2^18).
        let requests: [[String: Any]] = [
            ["key": keys[0], "password": "pbkdf2 pw", "kdf": "pbkdf2", "iterations": 1000],
            ["key": keys[1], "password": "scrypt pw", "kdf": "scrypt", "iterations": 1024],
            ["key": keys[2], "password": "", "kdf": "pbkdf2", "iterations": 1],
            ["key": keys[3], "password": "ünïcødé", "kdf": "scrypt", "iterations": 65536],
        ]
        let script = """
        import sys, json
        from eth_account import Account
        print(json.dumps([Account.encrypt(r["key"], r["password"], kdf=r["kdf"], iterations=r["iterations"])
                          for r in json.load(sys.stdin)]))
        """
        let output = try ReferencePython.run(script, stdin: try jsonText(requests))
        let files = try #require(try jsonObject(output) as? [Any])
        #expect(files.count == requests.count)
        for (request, file) in zip(requests, files) {
            let json = Array(try JSONSerialization.data(withJSONObject: file))
            let keystore = try Keystore(json: json)
            let password = try #require(request["password"] as? String)
            let key = try keystore.decrypt(password: password)
            #expect(Hex.encode(key.exportBytes()) == request["key"] as? String)
            #expect(keystore.declaredAddress == key.address)
            expectCode(.wrongPassword) { _ = try keystore.decrypt(password: password + "x") }
        }
    }

    @Test func createdFileIsOwnerOnlyAndNeverOverwritten() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("signer.json")
        let key = try PrivateKey.generate()
        let written = try Keystore.create(key, password: "pw", at: path, keyDerivation: .pbkdf2(iterations: 1))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))

        let other = try PrivateKey.generate()
        expectCode(.fileExists) { try Keystore.create(other, password: "pw", at: path, keyDerivation: .pbkdf2(iterations: 1)) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["signer.json"])

        let reread = try Keystore.read(from: path)
        #expect(reread.source == path)
        #expect(reread.id == written.id)
        #expect(try reread.decrypt(password: "pw").address == key.address)
        expectCode(.fileSystem) { _ = try Keystore.read(from: directory.path("missing.json")) }
        expectCode(.fileSystem) { try Keystore.create(key, password: "pw", at: directory.path("no/such/dir.json"), keyDerivation: .pbkdf2(iterations: 1)) }
    }

    @Test func legacyCapitalCryptoKeyAndPrefixedHex() throws {
        let legacy = Self.specPBKDF2.replacingOccurrences(of: "\"crypto\"", with: "\"Crypto\"")
            .replacingOccurrences(of: "\"iv\":\"", with: "\"iv\":\"0x")
        #expect(try parse(legacy).decrypt(password: "testpassword").exportBytes() == hex(Self.specKey))
    }

    @Test func declaredAddressMustMatchTheKey() throws {
        let key = try PrivateKey.generate()
        let keystore = try Keystore.encrypt(key, password: "pw", keyDerivation: .pbkdf2(iterations: 1))
        var object = try #require(try JSONSerialization.jsonObject(with: Data(keystore.json())) as? [String: Any])
        object["address"] = String(repeating: "ab", count: 20)
        let tampered = try Keystore(json: Array(try JSONSerialization.data(withJSONObject: object)))
        expectCode(.malformedKeystore) { _ = try tampered.decrypt(password: "pw") }
    }

    @Test(arguments: [
        ("not json", EthereumError.Code.malformedKeystore),
        ("{\"version\":3}", .malformedKeystore),
        ("\"version\":3,", .malformedKeystore),
        ("\"version\":2,", .unsupportedKeystore),
        ("\"cipher\":\"aes-128-cbc\"", .unsupportedKeystore),
        ("\"kdf\":\"argon2id\"", .unsupportedKeystore),
        ("\"prf\":\"hmac-sha512\"", .unsupportedKeystore),
        ("\"iv\":\"6087dab2\"", .malformedKeystore),
        ("\"mac\":\"517e\"", .malformedKeystore),
        ("\"ciphertext\":\"zz\"", .malformedKeystore),
        ("\"c\":0", .malformedKeystore),
        ("\"dklen\":16", .malformedKeystore),
        ("\"salt\":\"xyz\"", .malformedKeystore),
    ])
    func malformedKeystoresAreRejected(edit: String, code: EthereumError.Code) {
        let json: String
        switch edit {
        case "not json", "{\"version\":3}": json = edit
        case "\"version\":3,": json = Self.specPBKDF2.replacingOccurrences(of: "\"version\":3", with: "\"version\":\"3\"")
        default:
            let key = String(edit.split(separator: ":")[0])
            json = Self.specPBKDF2.replacingOccurrences(of: "\(key):[^,}]*", with: edit, options: .regularExpression)
            #expect(json != Self.specPBKDF2, "the edit \(edit) changed nothing")
        }
        expectCode(code, "\(edit)") { _ = try parse(json) }
    }

    @Test func costlyParametersAreRefused() throws {
        // scrypt n not a power of two: malformed on read.
        expectCode(.malformedKeystore) { _ = try parse(Self.specScrypt.replacingOccurrences(of: "\"n\":262144", with: "\"n\":262143")) }
        // n = 2^30, r = 8 would need 1 TiB: refused before allocating, at decryption.
        let huge = try parse(Self.specScrypt.replacingOccurrences(of: "\"n\":262144", with: "\"n\":1073741824")
            .replacingOccurrences(of: "\"r\":1", with: "\"r\":8"))
        expectCode(.unsupportedKeystore) { _ = try huge.decrypt(password: "testpassword") }
        let slow = try parse(Self.specPBKDF2.replacingOccurrences(of: "\"c\":262144", with: "\"c\":2000000000"))
        expectCode(.unsupportedKeystore) { _ = try slow.decrypt(password: "testpassword") }
    }
}

/// A fresh directory under the system temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}
