import Foundation
import Testing
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement

/// The signer loads the keeper's key from a 0600 raw-key file or a keystore with its password from
/// the environment or a 0600 file, refuses files open to group or others, and never shows the key.
@Suite struct SignerTests {
    static let keyHex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    static let address = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-signer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ contents: String, mode: Int) throws -> String {
        let path = directory.appendingPathComponent(name).path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func keystore(password: String, mode: Int = 0o600) throws -> String {
        let path = directory.appendingPathComponent("keystore-\(UUID().uuidString).json").path
        try Keystore.create(try PrivateKey(hex: Self.keyHex), password: password, at: path, keyDerivation: .light)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// A keystore cheaper to guess than geth's light setting (scrypt under 4 MiB, PBKDF2 under
    /// 262,144 iterations) is refused before it is decrypted, with the minimum named.
    @Test(arguments: [Keystore.KeyDerivation.scrypt(n: 1024, r: 8, p: 1), .scrypt(n: 1 << 14, r: 1, p: 8), .pbkdf2(iterations: 1000)])
    func weaklyEncryptedKeystoreIsRefused(derivation: Keystore.KeyDerivation) throws {
        let path = directory.appendingPathComponent("weak-\(UUID().uuidString).json").path
        try Keystore.create(try PrivateKey(hex: Self.keyHex), password: "pw", at: path, keyDerivation: derivation)
        let error = try #require(refusal(SignerConfig(keystore: path, passwordEnv: "LGK_TEST_PW"), environment: ["LGK_TEST_PW": "pw"]))
        #expect(error.code == .config)
        #expect(error.message.contains("too weakly encrypted") && error.message.contains(path))
        #expect(error.message.contains(derivation.weakness ?? "?"))
        #expect(!error.message.contains("\n"))
    }

    @Test func theMinimumsAdmitWhatWalletsWrite() {
        #expect(Keystore.KeyDerivation.light.weakness == nil)
        #expect(Keystore.KeyDerivation.standard.weakness == nil)
        #expect(Keystore.KeyDerivation.scrypt(n: 262_144, r: 1, p: 8).weakness == nil)  // eth-account's default
        #expect(Keystore.KeyDerivation.pbkdf2(iterations: 262_144).weakness == nil)
        #expect(Keystore.KeyDerivation.scrypt(n: 1 << 15, r: 1, p: 1).weakness == nil)
        #expect(Keystore.KeyDerivation.scrypt(n: 1 << 14, r: 1, p: 1).weakness != nil)
        #expect(Keystore.KeyDerivation.scrypt(n: Int.max, r: Int.max, p: 1).weakness == nil)  // overflow is not a trap
    }

    func refusal(_ config: SignerConfig, environment: [String: String] = [:]) -> KeeperError? {
        #expect(throws: KeeperError.self) { try Signer.load(config, environment: environment) }
    }

    @Test func rawKeyFile0600Loads() throws {
        let path = try file("key", "0x" + Self.keyHex + "\n", mode: 0o600)
        let signer = try Signer.load(SignerConfig(keyFile: path))
        #expect(signer.address.description == Self.address)
        #expect(!"\(signer)".contains(Self.keyHex) && !String(reflecting: signer).contains(Self.keyHex))
        #expect(!String(describing: Mirror(reflecting: signer).children.map(\.value)).contains(Self.keyHex))
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o620, 0o602])
    func keyFileOpenToOthersIsRefusedWithTheFix(mode: Int) throws {
        let path = try file("key-\(mode)", Self.keyHex, mode: mode)
        let error = try #require(refusal(SignerConfig(keyFile: path)))
        #expect(error.code == .config)
        #expect(error.message.contains(path))
        #expect(error.message.contains("chmod 600 \(path)"))
        #expect(!error.message.contains("\n"))
        #expect(!error.message.contains(Self.keyHex))
    }

    @Test func keystoreWithPasswordFromTheEnvironment() throws {
        let path = try keystore(password: "correct horse")
        let signer = try Signer.load(SignerConfig(keystore: path, passwordEnv: "LGK_TEST_PW"), environment: ["LGK_TEST_PW": "correct horse"])
        #expect(signer.address.description == Self.address)
    }

    @Test func keystoreWithPasswordFile() throws {
        let path = try keystore(password: "correct horse")
        let passwordPath = try file("pw", "correct horse\n", mode: 0o600)
        let signer = try Signer.load(SignerConfig(keystore: path, passwordFile: passwordPath))
        #expect(signer.address.description == Self.address)

        let open = try file("pw-open", "correct horse\n", mode: 0o644)
        let error = try #require(refusal(SignerConfig(keystore: path, passwordFile: open)))
        #expect(error.message.contains("chmod 600 \(open)"))
        #expect(!error.message.contains("correct horse"))
    }

    @Test func keystoreOpenToOthersIsRefused() throws {
        let path = try keystore(password: "pw", mode: 0o644)
        let error = try #require(refusal(SignerConfig(keystore: path, passwordEnv: "P"), environment: ["P": "pw"]))
        #expect(error.message.contains("chmod 600 \(path)"))
    }

    @Test func secretsNeverAppearInErrors() throws {
        let path = try keystore(password: "s3cret-password")
        let wrong = try #require(refusal(SignerConfig(keystore: path, passwordEnv: "P"), environment: ["P": "not-the-password"]))
        #expect(wrong.message.contains(path))
        #expect(wrong.message.lowercased().contains("password"))
        for secret in ["not-the-password", "s3cret-password", Self.keyHex] { #expect(!wrong.description.contains(secret)) }

        let unset = try #require(refusal(SignerConfig(keystore: path, passwordEnv: "LGK_UNSET_PW")))
        #expect(unset.message.contains("LGK_UNSET_PW"))

        let bad = try file("bad-key", "0x" + String(Self.keyHex.dropLast(2)) + "zz", mode: 0o600)
        let malformed = try #require(refusal(SignerConfig(keyFile: bad)))
        #expect(malformed.message.contains(bad))
        #expect(!malformed.message.contains(String(Self.keyHex.prefix(16))))
    }

    @Test func nothingConfiguredIsAConfigError() {
        #expect(refusal(SignerConfig())?.code == .config)
    }
}
