import Crypto
import Testing
import TestSupport
@testable import Ethereum

@Suite struct Secp256k1Tests {
    private func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex) ?? [] }

    @Test func knownAddresses() throws {
        // Private key 1: the generator point's address, a well-known constant.
        let one = try PrivateKey(bytes: [UInt8](repeating: 0, count: 31) + [1])
        #expect(one.address.checksummed == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
        #expect(Hex.encode(one.publicKey.bytes) == "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
            + "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
        // eth-account's documented example key.
        let documented = try PrivateKey(hex: "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        #expect(documented.address.checksummed == "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")
    }

    @Test func privateKeyRange() throws {
        let n = Secp256k1.order
        var nMinusOne = n
        nMinusOne[31] -= 1
        var nPlusOne = n
        nPlusOne[31] += 1
        for invalid in [[UInt8](repeating: 0, count: 32), n, nPlusOne, [UInt8](repeating: 0xff, count: 32),
                        [UInt8](repeating: 1, count: 31), [UInt8](repeating: 1, count: 33)] {
            #expect {
                try PrivateKey(bytes: invalid)
            } throws: { ($0 as? EthereumError)?.code == .invalidPrivateKey }
        }
        #expect(throws: EthereumError.self) { try PrivateKey(hex: "0x12") }
        #expect(throws: EthereumError.self) { try PrivateKey(hex: String(repeating: "g", count: 64)) }
        _ = try PrivateKey(bytes: nMinusOne)
    }

    @Test func privateKeyIsNeverPrinted() throws {
        let hex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
        let key = try PrivateKey(hex: hex)
        var dumped = ""
        dump(key, to: &dumped)
        for text in ["\(key)", String(reflecting: key), dumped, "\([key])"] {
            #expect(text.contains("redacted"))
            #expect(!text.contains(hex) && !text.contains("4c0883"))
        }
        #expect(key.exportBytes() == bytes(hex))
        #expect(key.withUnsafeBytes { Array($0) } == bytes(hex))
    }

    @Test func rfc6979NoncesMatchTheRFCsP256Vectors() {
        // RFC 6979 A.2.5 (P-256, SHA-256): the HMAC-DRBG part is curve-independent for a 256-bit
        // order; SHA-256("sample"/"test") are below the P-256 order, so bits2octets is the identity.
        let x = bytes("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
        var sample = RFC6979Nonces(secret: x, reducedDigest: SHA256.hash(Array("sample".utf8)))
        #expect(Hex.encode(sample.next()) == "a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60")
        var test = RFC6979Nonces(secret: x, reducedDigest: SHA256.hash(Array("test".utf8)))
        #expect(Hex.encode(test.next()) == "d16b6ae827f17175e040871a1c7ec3500192c4c92677336ec2537acaee0008e0")
        // Retries (step h.3) yield fresh candidates.
        let second = test.next()
        #expect(second.count == 32 && Hex.encode(second) != "d16b6ae827f17175e040871a1c7ec3500192c4c92677336ec2537acaee0008e0")
    }

    @Test func signaturesMatchEthKeysAndEthAccount() throws {
        var random = SeededRandom(seed: 0x5EC9_256B_1)
        var cases: [(key: [UInt8], digest: [UInt8])] = []
        var nMinusOne = Secp256k1.order
        nMinusOne[31] -= 1
        let one = [UInt8](repeating: 0, count: 31) + [1]
        // Edge keys and digests: d = 1 and n − 1; a zero digest; digests ≥ n (reduced mod n).
        cases.append((one, [UInt8](repeating: 0, count: 32)))
        cases.append((nMinusOne, [UInt8](repeating: 0xff, count: 32)))
        cases.append((one, Secp256k1.order))
        while cases.count < 64 {
            let key = random.bytes(32)
            guard Secp256k1.isValidScalar(key) else { continue }
            cases.append((key, random.bytes(32)))
        }
        let script = """
        import sys, json
        from eth_keys import keys
        from eth_account import Account
        out = []
        for c in json.load(sys.stdin):
            key, digest = bytes.fromhex(c["key"]), bytes.fromhex(c["digest"])
            sig = keys.PrivateKey(key).sign_msg_hash(digest)
            signed = Account.unsafe_sign_hash(digest, key)
            assert (signed.r, signed.s, signed.v) == (sig.r, sig.s, sig.v + 27), "eth-account and eth-keys disagree"
            out.append({"r": "%064x" % sig.r, "s": "%064x" % sig.s, "v": sig.v,
                        "address": keys.PrivateKey(key).public_key.to_canonical_address().hex()})
        print(json.dumps(out))
        """
        let input = try jsonText(cases.map { ["key": Hex.encode($0.key), "digest": Hex.encode($0.digest)] })
        let expected = try #require(try jsonObject(try ReferencePython.run(script, stdin: input)) as? [[String: Any]])
        #expect(expected.count == cases.count)
        for (testCase, reference) in zip(cases, expected) {
            let key = try PrivateKey(bytes: testCase.key)
            let signature = try key.sign(digest: testCase.digest)
            let label = "key \(Hex.encode(testCase.key)) digest \(Hex.encode(testCase.digest))"
            #expect(Hex.encode(signature.r) == reference["r"] as? String, "\(label)")
            #expect(Hex.encode(signature.s) == reference["s"] as? String, "\(label)")
            #expect(Int(signature.recoveryId) == reference["v"] as? Int, "\(label)")
            #expect(Hex.encode(key.address.bytes) == reference["address"] as? String, "\(label)")
            #expect(signature.isLowS, "\(label)")
            #expect(try Secp256k1.recoverPublicKey(digest: testCase.digest, signature: signature) == key.publicKey, "\(label)")
            #expect(key.publicKey.isValidSignature(signature, digest: testCase.digest))
        }
    }

    @Test func signingIsDeterministicAndLowS() throws {
        var random = SeededRandom(seed: 42)
        for _ in 0..<200 {
            let key = try PrivateKey.generate()
            let digest = random.bytes(32)
            let signature = try key.sign(digest: digest)
            #expect(signature.isLowS)
            #expect(try key.sign(digest: digest) == signature)
            #expect(try Secp256k1.recoverPublicKey(digest: digest, signature: signature) == key.publicKey)
        }
    }

    @Test func highSTwinRecoversTheSameKeyWithFlippedParity() throws {
        let key = try PrivateKey(hex: "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let digest = Keccak256.hash(Array("LeverageGuard".utf8))
        let low = try key.sign(digest: digest)
        let highS = subtract(Secp256k1.order, low.s)
        let high = try Signature(r: low.r, s: highS, recoveryId: low.recoveryId ^ 1)
        #expect(!high.isLowS)
        #expect(try Secp256k1.recoverPublicKey(digest: digest, signature: high) == key.publicKey)
        // Keeping the parity with the negated s yields some other key.
        let wrongParity = try Signature(r: low.r, s: highS, recoveryId: low.recoveryId)
        #expect(try Secp256k1.recoverPublicKey(digest: digest, signature: wrongParity) != key.publicKey)
    }

    @Test func recoveryRejectsInvalidSignatures() throws {
        let key = try PrivateKey.generate()
        let digest = Keccak256.hash([1, 2, 3])
        let good = try key.sign(digest: digest)
        // Another digest recovers another key, never the signer.
        #expect(try Secp256k1.recoverPublicKey(digest: Keccak256.hash([1, 2, 4]), signature: good) != key.publicKey)
        // r, s outside 1 ..< n and recovery ids above 3 cannot be constructed.
        let zero = [UInt8](repeating: 0, count: 32)
        for (r, s, id) in [(zero, good.s, good.recoveryId), (good.r, zero, good.recoveryId), (Secp256k1.order, good.s, good.recoveryId),
                           (good.r, Secp256k1.order, good.recoveryId), (good.r, good.s, UInt8(4)), (Array(good.r.dropFirst()), good.s, good.recoveryId)] {
            #expect {
                try Signature(r: r, s: s, recoveryId: id)
            } throws: { ($0 as? EthereumError)?.code == .invalidSignature }
        }
        // r = 5 is not the x coordinate of any secp256k1 point (5³ + 7 = 132 is not a square mod p).
        let notOnCurve = try Signature(r: [UInt8](repeating: 0, count: 31) + [5], s: good.s, recoveryId: 0)
        #expect {
            try Secp256k1.recoverPublicKey(digest: digest, signature: notOnCurve)
        } throws: { ($0 as? EthereumError)?.code == .invalidSignature }
        // Recovery ids 2 and 3 need r + n < p, impossible for r this large.
        let largeR = try Signature(r: [UInt8](repeating: 0x80, count: 32), s: good.s, recoveryId: 2)
        #expect {
            try Secp256k1.recoverPublicKey(digest: digest, signature: largeR)
        } throws: { ($0 as? EthereumError)?.code == .invalidSignature }
        #expect(throws: EthereumError.self) { try Secp256k1.recoverPublicKey(digest: [1, 2], signature: good) }
        #expect(throws: EthereumError.self) { try key.sign(digest: [1, 2]) }
    }

    @Test func publicKeyValidation() throws {
        let key = try PrivateKey.generate()
        #expect(try PublicKey(uncompressed: [0x04] + key.publicKey.bytes) == key.publicKey)
        var offCurve = key.publicKey.bytes
        offCurve[63] ^= 1
        #expect {
            try PublicKey(uncompressed: offCurve)
        } throws: { ($0 as? EthereumError)?.code == .invalidPublicKey }
        #expect(throws: EthereumError.self) { try PublicKey(uncompressed: [0x02] + key.publicKey.bytes) }
        #expect(throws: EthereumError.self) { try PublicKey(uncompressed: Array(key.publicKey.bytes.prefix(33))) }
    }

    /// a − b for 32-byte big-endian a ≥ b.
    private func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in (0..<32).reversed() {
            var digit = Int(a[i]) - Int(b[i]) - borrow
            borrow = digit < 0 ? 1 : 0
            if digit < 0 { digit += 256 }
            out[i] = UInt8(digit)
        }
        return out
    }
}
