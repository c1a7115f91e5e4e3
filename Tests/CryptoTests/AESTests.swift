import Testing
@testable import Crypto

@Suite struct AESTests {
    private func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex) ?? [] }

    @Test func ctrNISTSP80038AF51() throws {
        // NIST SP 800-38A, F.5.1 CTR-AES128.Encrypt and F.5.2 CTR-AES128.Decrypt.
        let key = bytes("2b7e151628aed2a6abf7158809cf4f3c")
        let counter = bytes("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
        let plaintext = bytes("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
            + "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
        let ciphertext = bytes("874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
            + "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee")
        #expect(try AES.CTR.encrypt(plaintext, key: key, iv: counter) == ciphertext)
        #expect(try AES.CTR.decrypt(ciphertext, key: key, iv: counter) == plaintext)
        // A partial final block is a prefix of the full keystream.
        #expect(try AES.CTR.encrypt(Array(plaintext.prefix(37)), key: key, iv: counter) == Array(ciphertext.prefix(37)))
        #expect(try AES.CTR.encrypt([], key: key, iv: counter) == [])
    }

    @Test func ctrRejectsBadKeyAndIV() {
        #expect(throws: CryptoError.self) { try AES.CTR.encrypt([1], key: [UInt8](repeating: 0, count: 15), iv: [UInt8](repeating: 0, count: 16)) }
        #expect(throws: CryptoError.self) { try AES.CTR.encrypt([1], key: [UInt8](repeating: 0, count: 16), iv: [UInt8](repeating: 0, count: 12)) }
    }

    @Test func gcmTestCase14() throws {
        // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 14 (AES-256, zero key).
        let box = try AES.GCM.seal([UInt8](repeating: 0, count: 16), key: [UInt8](repeating: 0, count: 32),
                                   nonce: [UInt8](repeating: 0, count: 12))
        #expect(Hex.encode(box.ciphertext) == "cea7403d4d606b6e074ec5d3baf39d18")
        #expect(Hex.encode(box.tag) == "d0d1c8a799996bf0265b98b5d48ab919")
    }

    private let key15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
    private let nonce15 = "cafebabefacedbaddecaf888"
    private let plaintext15 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
    private let ciphertext15 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"

    @Test func gcmTestCases15And16() throws {
        let box15 = try AES.GCM.seal(bytes(plaintext15), key: bytes(key15), nonce: bytes(nonce15))
        #expect(Hex.encode(box15.ciphertext) == ciphertext15)
        #expect(Hex.encode(box15.tag) == "b094dac5d93471bdec1a502270e3cc6c")
        #expect(try AES.GCM.open(box15, key: bytes(key15)) == bytes(plaintext15))

        // Test case 16: 60-byte plaintext with 20 bytes of AAD.
        let aad = bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let box16 = try AES.GCM.seal(Array(bytes(plaintext15).prefix(60)), key: bytes(key15), nonce: bytes(nonce15), authenticating: aad)
        #expect(Hex.encode(box16.ciphertext) == String(ciphertext15.prefix(120)))
        #expect(Hex.encode(box16.tag) == "76fc6ece0f4e1768cddf8853bb2d551b")
        #expect(try AES.GCM.open(box16, key: bytes(key15), authenticating: aad) == Array(bytes(plaintext15).prefix(60)))
    }

    @Test func gcmTamperingIsAnAuthenticationFailure() throws {
        let key = try SecureRandom.bytes(32)
        let aad = Array("wallet:0xabc".utf8)
        let box = try AES.GCM.seal(Array("okx secret".utf8), key: key, authenticating: aad)
        #expect(try AES.GCM.open(try AES.GCM.SealedBox(combined: box.combined), key: key, authenticating: aad) == Array("okx secret".utf8))

        var flippedCiphertext = box.ciphertext
        flippedCiphertext[0] ^= 1
        var flippedTag = box.tag
        flippedTag[15] ^= 0x80
        var otherNonce = box.nonce
        otherNonce[3] ^= 1
        var otherKey = key
        otherKey[31] ^= 1
        let cases: [(AES.GCM.SealedBox, [UInt8], [UInt8])] = [
            (try AES.GCM.SealedBox(nonce: box.nonce, ciphertext: flippedCiphertext, tag: box.tag), key, aad),
            (try AES.GCM.SealedBox(nonce: box.nonce, ciphertext: box.ciphertext, tag: flippedTag), key, aad),
            (try AES.GCM.SealedBox(nonce: otherNonce, ciphertext: box.ciphertext, tag: box.tag), key, aad),
            (box, otherKey, aad),
            (box, key, Array("wallet:0xabd".utf8)),
            (box, key, []),
        ]
        for (candidate, candidateKey, candidateAAD) in cases {
            #expect {
                try AES.GCM.open(candidate, key: candidateKey, authenticating: candidateAAD)
            } throws: { ($0 as? CryptoError)?.code == .authenticationFailed }
        }
    }

    @Test func gcmFreshNoncesAndShapeChecks() throws {
        let key = [UInt8](repeating: 7, count: 32)
        let a = try AES.GCM.seal([1, 2, 3], key: key)
        let b = try AES.GCM.seal([1, 2, 3], key: key)
        #expect(a.nonce != b.nonce)
        #expect(a.combined.count == 12 + 3 + 16)
        #expect(try AES.GCM.open(try AES.GCM.SealedBox(combined: AES.GCM.seal([], key: key).combined), key: key) == [])
        #expect(throws: CryptoError.self) { try AES.GCM.SealedBox(combined: [UInt8](repeating: 0, count: 27)) }
        #expect(throws: CryptoError.self) { try AES.GCM.seal([1], key: [UInt8](repeating: 0, count: 16)) }
        #expect(throws: CryptoError.self) { try AES.GCM.seal([1], key: key, nonce: [UInt8](repeating: 0, count: 16)) }
    }
}
