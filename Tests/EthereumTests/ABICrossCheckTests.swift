import Testing
import Foundation
import Crypto
import TestSupport
@testable import Ethereum

/// Random nested types and values against eth-abi 6, in one Python run; and a mutation loop.
@Suite struct ABICrossCheckTests {
    struct Case {
        let types: [ABIType]
        let values: [ABIValue]
        let encoded: [UInt8]
    }

    static func randomType(_ rng: inout SeededRandom, depth: Int = 0) -> ABIType {
        let choices = depth < 3 ? 12 : 8
        switch Int.random(in: 0..<choices, using: &rng) {
        case 0: return .uint(8 * Int.random(in: 1...32, using: &rng))
        case 1: return .int(8 * Int.random(in: 1...32, using: &rng))
        case 2: return .address
        case 3: return .bool
        case 4: return .fixedBytes(Int.random(in: 1...32, using: &rng))
        case 5: return .bytes
        case 6: return .string
        case 7: return .uint(256)
        case 8: return .array(randomType(&rng, depth: depth + 1))
        case 9: return .fixedArray(randomType(&rng, depth: depth + 1), Int.random(in: 1...3, using: &rng))
        case 10: return .tuple((0..<Int.random(in: 1...3, using: &rng)).map { _ in randomType(&rng, depth: depth + 1) })
        default: // dynamic arrays of tuples, the shape of struct[] returns
            return .array(.tuple((0..<Int.random(in: 1...3, using: &rng)).map { _ in randomType(&rng, depth: depth + 2) }))
        }
    }

    static let characters: [String] = ["a", "Z", "0", " ", "-", "é", "ß", "漢", "字", "🚀", "\u{0}", "\n", "\""]

    static func randomValue(_ type: ABIType, _ rng: inout SeededRandom) -> ABIValue {
        switch type {
        case .uint(let bits):
            let random = rng.uint256() >> (256 - bits)
            return .uint(Int.random(in: 0..<8, using: &rng) == 0 ? UInt256.max >> (256 - bits) : random)
        case .int(let bits):
            // A random `bits`-bit pattern, sign-extended to 256 bits.
            let low = rng.uint256() >> (256 - bits)
            let negative = !(low >> (bits - 1)).isZero
            return .int(Int256(bitPattern: negative ? low | (UInt256.max << bits) : low))
        case .address:
            return .address(Address(unchecked: rng.bytes(20)))
        case .bool:
            return .bool(Bool.random(using: &rng))
        case .fixedBytes(let count):
            return .fixedBytes(rng.bytes(count))
        case .bytes:
            return .bytes(rng.bytes([0, 1, 31, 32, 33, 64, 100][Int.random(in: 0..<7, using: &rng)]))
        case .string:
            return .string((0..<Int.random(in: 0...40, using: &rng)).map { _ in characters[Int.random(in: 0..<characters.count, using: &rng)] }.joined())
        case .array(let element):
            return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in randomValue(element, &rng) })
        case .fixedArray(let element, let count):
            return .array((0..<count).map { _ in randomValue(element, &rng) })
        case .tuple(let components):
            return .tuple(components.map { randomValue($0, &rng) })
        }
    }

    /// Tagged JSON for the Python side: ["u", "123"], ["a", "0x…"], ["l", [...]], ["t", [...]].
    static func tagged(_ value: ABIValue) -> Any {
        switch value {
        case .uint(let v): return ["u", v.description]
        case .int(let v): return ["i", v.description]
        case .address(let v): return ["a", v.checksummed]
        case .bool(let v): return ["b", v]
        case .fixedBytes(let v), .bytes(let v): return ["x", Hex.encode(v)]
        case .string(let v): return ["s", v]
        case .array(let v): return ["l", v.map(tagged)]
        case .tuple(let v): return ["t", v.map(tagged)]
        }
    }

    static func cases(count: Int, seed: UInt64) throws -> [Case] {
        var rng = SeededRandom(seed: seed)
        return try (0..<count).map { _ in
            let types = (0..<Int.random(in: 1...4, using: &rng)).map { _ in randomType(&rng) }
            let values = types.map { randomValue($0, &rng) }
            return Case(types: types, values: values, encoded: try ABI.encode(values, as: types))
        }
    }

    @Test func randomValuesMatchEthABI() throws {
        let cases = try Self.cases(count: 400, seed: 2024)
        #expect(cases.contains { $0.types.contains { if case .array(.tuple) = $0 { true } else { false } } })
        let input = cases.map { c -> [String: Any] in
            ["types": c.types.map(\.canonicalName), "values": c.values.map(Self.tagged), "swift": Hex.encode(c.encoded)]
        }
        let script = """
        import json, sys
        from eth_abi import encode, decode
        def conv(v):
            t, x = v
            if t in 'ui': return int(x)
            if t == 'x': return bytes.fromhex(x)
            if t == 'l': return [conv(i) for i in x]
            if t == 't': return tuple(conv(i) for i in x)
            return x
        out = []
        for case in json.load(sys.stdin):
            types = case['types']
            ours = encode(types, [conv(v) for v in case['values']])
            theirs_of_swift = encode(types, list(decode(types, bytes.fromhex(case['swift']))))
            out.append([ours.hex(), theirs_of_swift.hex()])
        print(json.dumps(out))
        """
        let answer = try jsonObject(try ReferencePython.run(script, stdin: try jsonText(input))) as? [[String]] ?? []
        #expect(answer.count == cases.count)
        for (c, row) in zip(cases, answer) {
            let signature = "(" + c.types.map(\.canonicalName).joined(separator: ",") + ")"
            #expect(Hex.encode(c.encoded) == row[0], "encoding of \(signature) \(c.values)")
            #expect(Hex.encode(c.encoded) == row[1], "eth-abi decodes our \(signature) to other values")
            #expect(try ABI.decode(c.types, from: hex(row[0])) == c.values, "decoding eth-abi's \(signature)")
        }
    }

    /// Every proper prefix of a valid encoding is refused (the decoder reads every byte,
    /// padding included); random byte flips, insertions and deletions never crash.
    @Test func truncationsAndMutationsThrowTypedErrors() throws {
        var rng = SeededRandom(seed: 99)
        var refused = 0, decoded = 0
        for c in try Self.cases(count: 300, seed: 4242) {
            let cut = Int.random(in: 0..<c.encoded.count, using: &rng)
            expectError(.abiOutOfBounds, "\(c.types) cut at \(cut)") { try ABI.decode(c.types, from: c.encoded.prefix(cut)) }
            for _ in 0..<10 {
                var data = c.encoded
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<data.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: data[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                    case 1: data[i] = 0xFF
                    case 2: data.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                    default: data.remove(at: i)
                    }
                    if data.isEmpty { break }
                }
                do {
                    _ = try ABI.decode(c.types, from: data)
                    decoded += 1
                } catch {
                    refused += 1
                }
            }
        }
        #expect(refused + decoded == 3000)
        #expect(refused > 1000)
    }
}
