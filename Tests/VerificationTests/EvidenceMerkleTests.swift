import Crypto
import Testing
import Verification
import Wire

@Suite struct EvidenceMerkleTests {
    /// A leaf value with strings that exercise escaping, non-ASCII text and key order.
    static func value(_ index: Int) -> JSON {
        .object([
            "ordId": .string("29400710385563484\(index)"),
            "note": .string("línea \(index)\n\t\"quoted\" \\ back/slash \u{01} 爆仓 🚀"),
            "Z": .number(String(index * 1000)),
            "a": .array([.bool(true), .null, .string("")]),
            "é": .object(["b": 1, "B": 2]),
        ])
    }

    static func leaves(_ count: Int) -> [(String, JSON)] {
        // Paths deliberately out of order, some sharing prefixes.
        (0..<count).reversed().map { ("raw.endpoint/\(["b", "a", "ab", "B", "é", "z", "a.b", "0", "~"][$0])", value($0)) }
    }

    @Test func canonicalJSONEqualsPythonsJSONDumps() throws {
        let value = JSON.array((0..<3).map(Self.value))
        #expect(try ReferenceEvidence.canonical(value) == CanonicalJSON.string(value))
        #expect(CanonicalJSON.string(["b": 1, "a": [" x ": "\u{7f}/"], "B": nil]) == #"{"B":null,"a":{" x ":"\#u{7f}/"},"b":1}"#)
    }

    @Test(arguments: 1...9)
    func rootEqualsIndependentPythonImplementation(count: Int) throws {
        let pairs = Self.leaves(count)
        let root = try EvidenceMerkle.root(of: pairs.map { EvidenceLeaf(path: $0.0, value: $0.1) })
        #expect(Hex.encode(root, prefix: true) == (try ReferenceEvidence.root(pairs)))
    }

    @Test(arguments: 1...9)
    func tamperingAnyLeafChangesTheRoot(count: Int) throws {
        let pairs = Self.leaves(count)
        let original = try EvidenceMerkle.root(of: pairs.map { EvidenceLeaf(path: $0.0, value: $0.1) })
        var seen: Set<[UInt8]> = [original]
        for index in pairs.indices {
            var tampered = pairs
            tampered[index].1 = Self.value(100 + index)
            seen.insert(try EvidenceMerkle.root(of: tampered.map { EvidenceLeaf(path: $0.0, value: $0.1) }))
            var renamed = pairs
            renamed[index].0 += "x"
            seen.insert(try EvidenceMerkle.root(of: renamed.map { EvidenceLeaf(path: $0.0, value: $0.1) }))
        }
        #expect(seen.count == 1 + 2 * count, "every changed value and every changed path gives a new root")
    }

    @Test func structureFollowsTheWrittenRules() throws {
        let a = EvidenceLeaf(path: "a", value: "1"), b = EvidenceLeaf(path: "b", value: "2"), c = EvidenceLeaf(path: "c", value: "3")
        #expect(a.hash == Keccak256.hash([0x00] + Array("a".utf8) + [0x00] + Array(#""1""#.utf8)))
        #expect(try EvidenceMerkle.root(of: [a]) == a.hash, "a single leaf is its own root")
        let ab = EvidenceMerkle.nodeHash(a.hash, b.hash)
        #expect(ab == Keccak256.hash([0x01] + a.hash + b.hash))
        #expect(try EvidenceMerkle.root(of: [c, b, a]) == EvidenceMerkle.nodeHash(ab, c.hash), "sorted, odd node carried up")
        #expect(throws: VerificationError.self) { try EvidenceMerkle.root(of: []) }
        #expect(throws: VerificationError.self) { try EvidenceMerkle.root(of: [a, EvidenceLeaf(path: "a", value: "x")]) }
    }
}
