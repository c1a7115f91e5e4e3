import Testing
import Foundation
import Crypto
@testable import Ethereum

@Suite struct ABITests {
    /// Hex of 32-byte words written one per line, as the Solidity ABI spec prints them.
    static func words(_ lines: String...) -> String { lines.joined() }

    /// Encodes a call, compares with the spec's hex, and decodes the arguments back.
    func expectCall(_ signature: String, _ arguments: [ABIValue], _ expected: String,
                    sourceLocation: SourceLocation = #_sourceLocation) throws {
        let function = try ABIFunction(signature: signature)
        let calldata = try function.encodeCall(arguments)
        #expect(Hex.encode(calldata, prefix: true) == expected, sourceLocation: sourceLocation)
        #expect(try function.decodeCall(calldata) == arguments, sourceLocation: sourceLocation)
    }

    // MARK: Solidity ABI specification, "Examples" and "Use of Dynamic Types"

    @Test func specBaz() throws {
        try expectCall("baz(uint32,bool)", [.uint(69), .bool(true)],
                       "0xcdcd77c000000000000000000000000000000000000000000000000000000000000000450000000000000000000000000000000000000000000000000000000000000001")
    }

    @Test func specBar() throws {
        try expectCall("bar(bytes3[2])", [.array([.fixedBytes(Array("abc".utf8)), .fixedBytes(Array("def".utf8))])],
                       "0xfce353f661626300000000000000000000000000000000000000000000000000000000006465660000000000000000000000000000000000000000000000000000000000")
    }

    @Test func specSam() throws {
        try expectCall("sam(bytes,bool,uint256[])", [.bytes(Array("dave".utf8)), .bool(true), .array([.uint(1), .uint(2), .uint(3)])],
                       "0xa5643bf20000000000000000000000000000000000000000000000000000000000000060000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000a0000000000000000000000000000000000000000000000000000000000000000464617665000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000003")
    }

    @Test func specDynamicF() throws {
        // Written with `uint`, as in the spec: the selector hashes the canonical `uint256`.
        try expectCall("f(uint,uint32[],bytes10,bytes)",
                       [.uint(0x123), .array([.uint(0x456), .uint(0x789)]), .fixedBytes(Array("1234567890".utf8)), .bytes(Array("Hello, world!".utf8))],
                       "0x8be65246" + Self.words(
                        "0000000000000000000000000000000000000000000000000000000000000123",
                        "0000000000000000000000000000000000000000000000000000000000000080",
                        "3132333435363738393000000000000000000000000000000000000000000000",
                        "00000000000000000000000000000000000000000000000000000000000000e0",
                        "0000000000000000000000000000000000000000000000000000000000000002",
                        "0000000000000000000000000000000000000000000000000000000000000456",
                        "0000000000000000000000000000000000000000000000000000000000000789",
                        "000000000000000000000000000000000000000000000000000000000000000d",
                        "48656c6c6f2c20776f726c642100000000000000000000000000000000000000"))
    }

    @Test func specDynamicG() throws {
        try expectCall("g(uint[][],string[])",
                       [.array([.array([.uint(1), .uint(2)]), .array([.uint(3)])]), .array([.string("one"), .string("two"), .string("three")])],
                       "0x2289b18c" + Self.words(
                        "0000000000000000000000000000000000000000000000000000000000000040",
                        "0000000000000000000000000000000000000000000000000000000000000140",
                        "0000000000000000000000000000000000000000000000000000000000000002",
                        "0000000000000000000000000000000000000000000000000000000000000040",
                        "00000000000000000000000000000000000000000000000000000000000000a0",
                        "0000000000000000000000000000000000000000000000000000000000000002",
                        "0000000000000000000000000000000000000000000000000000000000000001",
                        "0000000000000000000000000000000000000000000000000000000000000002",
                        "0000000000000000000000000000000000000000000000000000000000000001",
                        "0000000000000000000000000000000000000000000000000000000000000003",
                        "0000000000000000000000000000000000000000000000000000000000000003",
                        "0000000000000000000000000000000000000000000000000000000000000060",
                        "00000000000000000000000000000000000000000000000000000000000000a0",
                        "00000000000000000000000000000000000000000000000000000000000000e0",
                        "0000000000000000000000000000000000000000000000000000000000000003",
                        "6f6e650000000000000000000000000000000000000000000000000000000000",
                        "0000000000000000000000000000000000000000000000000000000000000003",
                        "74776f0000000000000000000000000000000000000000000000000000000000",
                        "0000000000000000000000000000000000000000000000000000000000000005",
                        "7468726565000000000000000000000000000000000000000000000000000000"))
    }

    @Test func wellKnownSelectors() throws {
        #expect(Hex.encode(ABI.selector("transfer(address,uint256)")) == "a9059cbb")
        #expect(Hex.encode(try ABIFunction(signature: "balanceOf(address)").selector) == "70a08231")
        #expect(ABIEvent(name: "Transfer", inputs: [ABIParameter(type: .address, indexed: true), ABIParameter(type: .address, indexed: true),
                                                    ABIParameter(type: .uint(256))]).topic0.description
                == "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
    }

    // MARK: Types

    @Test(arguments: [
        ("uint256", "uint256", false), ("uint", "uint256", false), ("int", "int256", false), ("int8", "int8", false),
        ("bytes32", "bytes32", false), ("bytes", "bytes", true), ("string", "string", true), ("address", "address", false),
        ("bool[]", "bool[]", true), ("bool[2]", "bool[2]", false), ("string[2]", "string[2]", true),
        ("(uint256,string)[]", "(uint256,string)[]", true), ("(uint256,bool)", "(uint256,bool)", false),
        ("(uint256,bytes)", "(uint256,bytes)", true), ("(uint256,(bool,string[1]))[3]", "(uint256,(bool,string[1]))[3]", true),
        ("int8[3][]", "int8[3][]", true), ("int8[][3]", "int8[][3]", true), ("(address,uint8[2])[2]", "(address,uint8[2])[2]", false),
    ])
    func parsesCanonicalNamesAndDynamism(_ text: String, _ canonical: String, _ dynamic: Bool) throws {
        let type = try ABIType(text)
        #expect(type.canonicalName == canonical)
        #expect(type.isDynamic == dynamic)
        #expect(try ABIType(canonical) == type)
    }

    @Test func parsedStructure() throws {
        #expect(try ABIType("int8[3][]") == .array(.fixedArray(.int(8), 3)))
        #expect(try ABIType("(uint256,string)[]") == .array(.tuple([.uint(256), .string])))
    }

    @Test(arguments: ["", "uint7", "uint264", "uint0", "uint08", "bytes0", "bytes33", "int8[0]", "int8[01]", "()",
                      "(uint256", "(uint256,)", "uint256[", "uint256]", "foo", "fixed128x18", "tuple", "function",
                      "uint256 ", "Uint256", "(uint256)x", "address[-1]", "uint256[99999999999]"])
    func rejectsInvalidTypes(_ text: String) {
        expectError(.abiInvalidType, "\(text)") { try ABIType(text) }
    }

    @Test func rejectsHandBuiltInvalidTypes() {
        for type: ABIType in [.uint(7), .int(0), .fixedBytes(33), .fixedArray(.bool, 0), .tuple([]),
                              .fixedArray(.fixedArray(.fixedArray(.uint(256), 1 << 20), 1 << 20), 1 << 20)] {
            expectError(.abiInvalidType, "\(type)") { try ABI.encode([], as: [type]) }
            expectError(.abiInvalidType, "\(type)") { try ABI.decode([type], from: []) }
        }
        var deep = ABIType.bool
        for _ in 0...ABIType.maxDepth { deep = .array(deep) }
        expectError(.abiInvalidType) { try deep.validate() }
    }

    // MARK: Encoding rejects values that do not fit

    @Test func encodingChecksRangesAndShapes() throws {
        expectError(.abiValueOutOfRange) { try ABI.encode([.uint(256)], as: [.uint(8)]) }
        expectError(.abiValueOutOfRange) { try ABI.encode([.int(128)], as: [.int(8)]) }
        expectError(.abiValueOutOfRange) { try ABI.encode([.int(-129)], as: [.int(8)]) }
        #expect(try ABI.encode([.int(-128), .int(127)], as: [.int(8), .int(8)]).count == 64)
        #expect(try ABI.encode([.int(-1)], as: [.int(8)]) == [UInt8](repeating: 0xFF, count: 32))
        expectError(.abiTypeMismatch) { try ABI.encode([.uint(1)], as: [.int(8)]) }
        expectError(.abiTypeMismatch) { try ABI.encode([.fixedBytes([1, 2])], as: [.fixedBytes(3)]) }
        expectError(.abiTypeMismatch) { try ABI.encode([.array([.bool(true)])], as: [.fixedArray(.bool, 2)]) }
        expectError(.abiTypeMismatch) { try ABI.encode([.uint(1)], as: [.uint(8), .uint(8)]) }
        expectError(.abiTypeMismatch) { try ABI.encode([.tuple([.uint(1)])], as: [.tuple([.uint(8), .bool])]) }
        expectError(.abiTypeMismatch) { try ABI.encode([.bytes([1])], as: [.string]) }
    }

    @Test func int256Basics() throws {
        #expect(Int256(-1).bitPattern == .max)
        #expect(Int256(-5).magnitude == 5)
        #expect(Int256.min.description == "-57896044618658097711785492504343953926634992332820282019728792003956564819968")
        #expect(Int256.max.description == "57896044618658097711785492504343953926634992332820282019728792003956564819967")
        #expect(try Int256(decimal: Int256.min.description) == .min)
        #expect(try Int256(decimal: "-0") == .zero)
        expectError(.overflow) { try Int256(decimal: "57896044618658097711785492504343953926634992332820282019728792003956564819968") }
        expectError(.overflow) { try Int256(decimal: "-57896044618658097711785492504343953926634992332820282019728792003956564819969") }
        expectError(.invalidNumber) { try Int256(decimal: "--1") }
        #expect(Int256(-3) < Int256(2))
        #expect(Int256(-3) < Int256(-2))
        #expect(Int256.min < Int256.max)
        #expect(Int256(-128).fits(bits: 8) && !Int256(-129).fits(bits: 8))
        #expect(Int256(127).fits(bits: 8) && !Int256(128).fits(bits: 8))
        #expect(Int256.min.fits(bits: 256) && Int256.max.fits(bits: 256))
    }

    // MARK: Strict decoding

    /// One 32-byte word holding the hex number `hex`.
    static func word(_ hex: String) -> [UInt8] { (try? UInt256(hex: hex))?.bytes ?? [] }

    @Test func decodingRejectsOutOfRangeValues() {
        expectError(.abiValueOutOfRange) { try ABI.decode([.uint(8)], from: Self.word("0100")) }
        #expect((try? ABI.decode([.uint(8)], from: Self.word("ff"))) == [.uint(255)])
        expectError(.abiValueOutOfRange) { try ABI.decode([.bool], from: Self.word("02")) }
        expectError(.abiValueOutOfRange) { try ABI.decode([.address], from: Self.word("01" + String(repeating: "00", count: 20))) }
        // int8: 0x80 without sign extension is not -128.
        expectError(.abiValueOutOfRange) { try ABI.decode([.int(8)], from: Self.word("80")) }
        #expect((try? ABI.decode([.int(8)], from: [UInt8](repeating: 0xFF, count: 31) + [0x80])) == [.int(-128)])
        expectError(.abiValueOutOfRange) { try ABI.decode([.int(8)], from: [UInt8](repeating: 0xFF, count: 31) + [0x7F]) }
        expectError(.abiValueOutOfRange) { try ABI.decode([.fixedBytes(3)], from: [0x61, 0x62, 0x63, 0x01] + [UInt8](repeating: 0, count: 28)) }
    }

    @Test func decodingRejectsBadOffsetsAndLengths() {
        let bytesOffset = Self.word("20")
        // Truncated head.
        expectError(.abiOutOfBounds) { try ABI.decode([.uint(256)], from: [UInt8](repeating: 0, count: 31)) }
        expectError(.abiOutOfBounds) { try ABI.decode([.uint(256), .bool], from: Self.word("01")) }
        // Offset past the end, and a huge offset.
        expectError(.abiOutOfBounds) { try ABI.decode([.bytes], from: Self.word("40")) }
        expectError(.abiOutOfBounds) { try ABI.decode([.bytes], from: [UInt8](repeating: 0xFF, count: 32)) }
        // Length past the end; a length of 2^256 - 1 must not allocate.
        expectError(.abiOutOfBounds) { try ABI.decode([.bytes], from: bytesOffset + Self.word("21") + [UInt8](repeating: 0, count: 32)) }
        expectError(.abiOutOfBounds) { try ABI.decode([.bytes], from: bytesOffset + [UInt8](repeating: 0xFF, count: 32)) }
        expectError(.abiOutOfBounds) { try ABI.decode([.array(.uint(256))], from: bytesOffset + Self.word("ffffffffffffffff")) }
        expectError(.abiOutOfBounds) { try ABI.decode([.array(.uint(256))], from: bytesOffset + Self.word("02") + Self.word("01")) }
        // Padding after bytes must be present and zero.
        expectError(.abiOutOfBounds) { try ABI.decode([.bytes], from: bytesOffset + Self.word("01") + [0x61]) }
        expectError(.abiValueOutOfRange) { try ABI.decode([.bytes], from: bytesOffset + Self.word("01") + [0x61, 0x01] + [UInt8](repeating: 0, count: 30)) }
        #expect((try? ABI.decode([.bytes], from: bytesOffset + Self.word("01") + [0x61] + [UInt8](repeating: 0, count: 31))) == [.bytes([0x61])])
        // Invalid UTF-8 in a string.
        expectError(.abiInvalidUTF8) { try ABI.decode([.string], from: bytesOffset + Self.word("02") + [0xC3, 0x28] + [UInt8](repeating: 0, count: 30)) }
    }

    /// Offsets may point at the same data; a few hundred bytes of aliases must not expand into
    /// megabytes of work.
    @Test func aliasedOffsetsAreRefused() throws {
        let inner = 1000, outer = 1000
        var data = Self.word("20") + Self.word(String(outer, radix: 16))
        let innerOffset = 32 * outer // every element points at the same inner array, after the offsets
        for _ in 0..<outer { data += Self.word(String(innerOffset, radix: 16)) }
        data += Self.word(String(inner, radix: 16))
        for i in 0..<inner { data += Self.word(String(i, radix: 16)) }
        expectError(.abiDecodingLimit) { try ABI.decode([.array(.array(.uint(256)))], from: data) }
        // Two aliases of one array are harmless and decode.
        let small = Self.word("20") + Self.word("02") + Self.word("40") + Self.word("40") + Self.word("01") + Self.word("07")
        #expect(try ABI.decode([.array(.array(.uint(8)))], from: small) == [.array([.array([.uint(7)]), .array([.uint(7)])])])
    }

    @Test func trailingDataIsIgnored() throws {
        #expect(try ABI.decode([.uint(256)], from: Self.word("05") + [1, 2, 3]) == [.uint(5)])
        #expect(try ABI.decode([], from: [1, 2, 3]) == [])
    }
}
