import Testing
@testable import Crypto

@Suite struct KDFTests {
    private func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func pbkdf2RFC7914Section11() throws {
        let first = try KDF.pbkdf2SHA256(password: utf8("passwd"), salt: utf8("salt"), iterations: 1, keyLength: 64)
        #expect(Hex.encode(first) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
        let second = try KDF.pbkdf2SHA256(password: utf8("Password"), salt: utf8("NaCl"), iterations: 80000, keyLength: 64)
        #expect(Hex.encode(second) == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            + "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")
    }

    @Test(arguments: [
        // RFC 6070's inputs with HMAC-SHA256 (the widely published SHA-256 counterparts).
        ("password", "salt", 1, 32, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
        ("password", "salt", 2, 32, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"),
        ("password", "salt", 4096, 32, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
        ("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 40,
         "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9"),
        ("pass\0word", "sa\0lt", 4096, 16, "89b69d0516f829893c696226650a8687"),
    ])
    func pbkdf2RFC6070StyleSHA256(password: String, salt: String, iterations: Int, length: Int, expected: String) throws {
        let key = try KDF.pbkdf2SHA256(password: utf8(password), salt: utf8(salt), iterations: iterations, keyLength: length)
        #expect(Hex.encode(key) == expected)
    }

    @Test func pbkdf2RejectsBadParameters() {
        #expect(throws: CryptoError.self) { try KDF.pbkdf2SHA256(password: [1], salt: [2], iterations: 0, keyLength: 32) }
        #expect(throws: CryptoError.self) { try KDF.pbkdf2SHA256(password: [1], salt: [2], iterations: 1, keyLength: 0) }
    }

    @Test func scryptRFC7914Section12() throws {
        let empty = try KDF.scrypt(password: [], salt: [], parameters: .init(n: 16, r: 1, p: 1), keyLength: 64)
        #expect(Hex.encode(empty) == "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
        let nacl = try KDF.scrypt(password: utf8("password"), salt: utf8("NaCl"), parameters: .init(n: 1024, r: 8, p: 16), keyLength: 64)
        #expect(Hex.encode(nacl) == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
        let sodium = try KDF.scrypt(password: utf8("pleaseletmein"), salt: utf8("SodiumChloride"),
                                    parameters: .init(n: 16384, r: 8, p: 1), keyLength: 64)
        #expect(Hex.encode(sodium) == "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
            + "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887")
    }

    /// The constant built without validation is one the validating initialiser accepts.
    @Test func theInteractiveParametersAreValid() throws {
        let interactive = KDF.ScryptParameters.interactive
        #expect(try KDF.ScryptParameters(n: interactive.n, r: interactive.r, p: interactive.p) == interactive)
        #expect(interactive.n == 1 << 15 && interactive.r == 8 && interactive.p == 1)
        #expect(interactive.memoryRequired.map { $0 <= KDF.defaultScryptMemoryLimit } == true)
    }

    @Test func scryptKeystoreParametersFitTheDefaultLimit() throws {
        // geth's standard keystore cost: n = 2^18, r = 8, p = 1, ~256 MiB. OpenSSL's own default
        // maxmem (32 MiB) would refuse it.
        let parameters = try KDF.ScryptParameters(n: 262_144, r: 8, p: 1)
        #expect(parameters.memoryRequired == 128 * 8 * (262_144 + 2) + 128 * 8)
        let key = try KDF.scrypt(password: utf8("testpassword"), salt: [UInt8](repeating: 1, count: 32), parameters: parameters, keyLength: 32)
        #expect(key.count == 32)
    }

    @Test func scryptRefusesMoreMemoryThanTheLimitBeforeAllocating() throws {
        // RFC 7914's fourth vector (n = 2^20, r = 8) needs 1 GiB: above the default limit.
        let parameters = try KDF.ScryptParameters(n: 1 << 20, r: 8, p: 1)
        #expect {
            try KDF.scrypt(password: utf8("pleaseletmein"), salt: utf8("SodiumChloride"), parameters: parameters, keyLength: 64)
        } throws: { ($0 as? CryptoError)?.code == .invalidInput && "\($0)".contains("above the limit") }
    }

    @Test func scryptParameterValidation() {
        for (n, r, p) in [(0, 8, 1), (1, 8, 1), (3, 8, 1), (1000, 8, 1), (16, 0, 1), (16, 1, 0), (16, 1 << 15, 1 << 15)] {
            #expect(throws: CryptoError.self, "n=\(n) r=\(r) p=\(p)") { try KDF.ScryptParameters(n: n, r: r, p: p) }
        }
        #expect((try? KDF.ScryptParameters(n: 1 << 15, r: 1, p: 1)) != nil)
        // n ≥ 2^(16·r) is accepted (keystores use it) though OpenSSL would refuse it.
        #expect((try? KDF.ScryptParameters(n: 1 << 18, r: 1, p: 8))?.openSSLAccepts == false)
    }

    @Test func portableScryptMatchesRFC7914Section12() throws {
        let empty = try PortableScrypt.derive(password: [], salt: [], n: 16, r: 1, p: 1, keyLength: 64)
        #expect(Hex.encode(empty) == "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
        let nacl = try PortableScrypt.derive(password: utf8("password"), salt: utf8("NaCl"), n: 1024, r: 8, p: 16, keyLength: 64)
        #expect(Hex.encode(nacl) == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
        let sodium = try PortableScrypt.derive(password: utf8("pleaseletmein"), salt: utf8("SodiumChloride"), n: 16384, r: 8, p: 1, keyLength: 64)
        #expect(Hex.encode(sodium) == "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
            + "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887")
    }

    @Test func portableScryptAgreesWithOpenSSL() throws {
        for (n, r, p, length) in [(2, 1, 1, 16), (256, 2, 3, 32), (4096, 1, 2, 48), (64, 5, 1, 100)] {
            let password = utf8("pw \(n) \(r) \(p)"), salt = utf8("salt \(length)")
            let viaOpenSSL = try KDF.scrypt(password: password, salt: salt, parameters: .init(n: n, r: r, p: p), keyLength: length)
            #expect(try PortableScrypt.derive(password: password, salt: salt, n: n, r: r, p: p, keyLength: length) == viaOpenSSL,
                    "n=\(n) r=\(r) p=\(p)")
        }
    }

    @Test func scryptBeyondOpenSSLsBoundUsesThePortablePath() throws {
        // n = 2^16 with r = 1 breaks RFC 7914's n < 2^(16·r), which OpenSSL enforces and keystore
        // writers do not. Expected value from pycryptodome 3.24 (Crypto.Protocol.KDF.scrypt).
        // The keystore spec's n = 2^18 example is checked in the Ethereum keystore tests.
        let parameters = try KDF.ScryptParameters(n: 65_536, r: 1, p: 2)
        #expect(!parameters.openSSLAccepts)
        let key = try KDF.scrypt(password: utf8("keystore"), salt: utf8("salt beyond openssl"), parameters: parameters, keyLength: 32)
        #expect(Hex.encode(key) == "621ce2b2d7ea84de4a685bbe817a2c193821dba263f08997740d792ed6140bd0")
    }

    @Test func salsa20_8RFC7914Section8() {
        // RFC 7914 §8 Salsa20/8 core test vector, bytes read as little-endian words.
        let input = words("7e879a214f3ec9867ca940e641718f26baee555b8c61c1b50df846116dcd3b1d"
            + "ee24f319df9b3d8514121e4b5ac5aa3276021d2909c74829edebc68db8b8c25e")
        let output = words("a41f859c6608cc993b81cacb020cef05044b2181a2fd337dfd7b1c6396682f29"
            + "b4393168e3c9e6bcfe6bc5b7a06d96bae424cc102c91745c24ad673dc7618f81")
        let result = withUnsafeBytes(of: PortableScrypt.salsa20_8(input.withUnsafeBytes { $0.load(as: PortableScrypt.Block.self) })) {
            Array($0.bindMemory(to: UInt32.self))
        }
        #expect(result == output)
    }

    private func words(_ hex: String) -> [UInt32] {
        let bytes = Hex.decode(hex) ?? []
        return stride(from: 0, to: bytes.count, by: 4).map { (at: Int) -> UInt32 in
            bytes[at..<at + 4].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
    }
}
