import Crypto
import Testing
import TestSupport
@testable import Ethereum

@Suite struct PersonalMessageTests {
    /// The first Hardhat / anvil development account (public test key).
    static let devKey = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
    static let devAddress = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

    /// Produced with eth-account 0.14.0 (devnet/.venv):
    /// `m = encode_defunct(text=MESSAGE); _hash_eip191_message(m).hex(); Account.sign_message(m, KEY).signature.to_0x_hex()`
    /// with KEY the dev key above.
    static let knownAnswers: [(message: String, digest: String, signature: String)] = [
        ("hello", "50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750",
         "0xf16ea9a3478698f695fd1401bfe27e9e4a7e8e3da94aa72b021125e31fa899cc573c48ea3fe1d4ab61a9db10c19032026e3ed2dbccba5a178235ac27f94504311c"),
        // 20 bytes in 11 characters: the length in the prefix counts bytes.
        ("Grüße, 世界 🚀", "b866f33f7d7db2713a577d4ed50f530867fc8b61fedd5ce7116e06d1334c9de3",
         "0x6060a7a6520895563448369587951c8cc8bf0d1cac38fa722e538dc714609e8e4a8b1f71518312b6ea4ebfed87297056c83d8ea9f579e26de8f87d73642ad1861b"),
        ("line one\nline two\n", "b6eb0ac5916d924ed1369c10827e49d239b831dbae92abde3c623cae7d6f698c",
         "0xf59e8d46716c6f63b6107e407b5796d7ecf561eeebd5af3cb57bacf386324fd86d2ba7decdff4d59848a365eff3625ce43617f16e3b74fc231292963153fbacf1c"),
    ]

    @Test func knownAnswersFromEthAccount() throws {
        let key = try PrivateKey(hex: Self.devKey)
        #expect(key.address.checksummed == Self.devAddress)
        for answer in Self.knownAnswers {
            #expect(Hex.encode(PersonalMessage.digest(answer.message)) == answer.digest, "\(answer.message)")
            #expect(try key.signPersonalMessage(answer.message) == answer.signature, "\(answer.message)")
            #expect(try PersonalMessage.signer(of: answer.message, signature: answer.signature) == key.address, "\(answer.message)")
        }
        #expect(Array("Grüße, 世界 🚀".utf8).count == 20 && "Grüße, 世界 🚀".count == 11)
    }

    @Test func digestIsKeccakOfThePrefixedMessage() {
        // EIP-191 0x45 spelled out: 0x19, "Ethereum Signed Message:\n", decimal byte length, message.
        let message = Array("LeverageGuard".utf8)
        let expected = Keccak256.hash([0x19] + Array("Ethereum Signed Message:\n13".utf8) + message)
        #expect(PersonalMessage.digest(message) == expected)
        #expect(PersonalMessage.digest([]) == Keccak256.hash([0x19] + Array("Ethereum Signed Message:\n0".utf8)))
    }

    /// Many keys and messages (ASCII, multi-line with CRLF, non-ASCII, empty, long, bytes that are
    /// not UTF-8) signed by eth-account at test time and by this code: same signatures, same signer.
    @Test func crossCheckWithEthAccount() throws {
        var random = SeededRandom(seed: 0x191_45)
        let texts = ["", "a", "hello\r\nworld\n\nthird line", "ünïcödé ✓ 𝔘", String(repeating: "long message ", count: 100)]
        let devKey = try PrivateKey(hex: Self.devKey).exportBytes()
        var cases: [(key: [UInt8], message: [UInt8])] = texts.map { (devKey, Array($0.utf8)) }
        cases.append(([UInt8](repeating: 0, count: 31) + [1], [0xff, 0xfe, 0x00, 0x80]))
        while cases.count < 40 {
            let key = random.bytes(32)
            guard Secp256k1.isValidScalar(key) else { continue }
            cases.append((key, random.bytes(Int.random(in: 0...300, using: &random))))
        }
        let script = """
        import sys, json
        from eth_account import Account
        from eth_account.messages import encode_defunct, _hash_eip191_message
        out = []
        for c in json.load(sys.stdin):
            message = encode_defunct(primitive=bytes.fromhex(c["message"]))
            signed = Account.sign_message(message, bytes.fromhex(c["key"]))
            out.append({"digest": _hash_eip191_message(message).hex(), "signature": signed.signature.to_0x_hex(),
                        "signer": Account.recover_message(message, signature=signed.signature)})
        print(json.dumps(out))
        """
        let input = try jsonText(cases.map { ["key": Hex.encode($0.key), "message": Hex.encode($0.message)] })
        let expected = try #require(try jsonObject(try ReferencePython.run(script, stdin: input)) as? [[String: String]])
        try #require(expected.count == cases.count)
        for (testCase, reference) in zip(cases, expected) {
            let key = try PrivateKey(bytes: testCase.key)
            let label = "message \(Hex.encode(testCase.message))"
            #expect(Hex.encode(PersonalMessage.digest(testCase.message)) == reference["digest"], "\(label)")
            let signature = try key.signPersonalMessage(testCase.message)
            #expect(signature == reference["signature"], "\(label)")
            #expect(try PersonalMessage.signer(of: testCase.message, signature: signature).checksummed == reference["signer"], "\(label)")
        }
    }

    @Test func recoveryIdZeroOrOneIsAccepted() throws {
        let answer = Self.knownAnswers[0]
        var bytes = hex(answer.signature)
        bytes[64] -= 27
        let signer = try PersonalMessage.signer(of: answer.message, signature: Hex.encode(bytes, prefix: true))
        #expect(signer.checksummed == Self.devAddress)
        // Uppercase hex digits read the same.
        #expect(try PersonalMessage.signer(of: answer.message, signature: "0x" + answer.signature.dropFirst(2).uppercased()).checksummed == Self.devAddress)
    }

    @Test func anotherMessageRecoversAnotherAddress() throws {
        let answer = Self.knownAnswers[0]
        #expect(try PersonalMessage.signer(of: "hello!", signature: answer.signature).checksummed != Self.devAddress)
    }

    @Test func malformedSignaturesAreRefusedSayingWhy() throws {
        let good = Self.knownAnswers[0].signature
        func refused(_ signature: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                let signer = try PersonalMessage.signer(of: "hello", signature: signature)
                Issue.record("accepted \(signature) as \(signer)", sourceLocation: sourceLocation)
            } catch {
                #expect(error.code == .invalidSignature, sourceLocation: sourceLocation)
                #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
            }
        }
        refused(String(good.dropFirst(2)), "without the 0x prefix")
        refused(String(good.dropLast(2)), "got 130 characters")
        refused(good + "00", "got 134 characters")
        refused("", "got 0 characters")
        refused(String(good.dropLast(1)) + "g", "not a hex digit")
        for v in ["1d", "02", "25", "ff"] { refused(String(good.dropLast(2)) + v, "must be 27 or 28") }
        let zero = String(repeating: "0", count: 64)
        refused("0x" + zero + good.dropFirst(66), "r must be")
        refused("0x" + good.dropFirst(2).prefix(64) + zero + "1b", "s must be")
        refused("0x" + Hex.encode(Secp256k1.order) + good.dropFirst(66), "r must be")

        // The high-s twin (s' = n − s, v flipped) recovers the same key but is malleable: refused.
        let bytes = hex(good)
        let highS = subtract(Secp256k1.order, Array(bytes[32..<64]))
        let twin = Array(bytes[0..<32]) + highS + [bytes[64] == 27 ? 28 : 27]
        let twinSignature = try Signature(r: Array(bytes[0..<32]), s: highS, recoveryId: twin[64] - 27)
        #expect(try Secp256k1.recoverPublicKey(digest: PersonalMessage.digest("hello"), signature: twinSignature).address.checksummed == Self.devAddress)
        refused(Hex.encode(twin, prefix: true), "high s")
    }

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
