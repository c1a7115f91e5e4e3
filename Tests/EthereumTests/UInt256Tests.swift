import Testing
import Foundation
import TestSupport
@testable import Ethereum

@Suite struct UInt256Tests {
    static let maxDecimal = "115792089237316195423570985008687907853269984665640564039457584007913129639935"

    @Test func parsesAndPrintsEdgeValues() throws {
        #expect(try UInt256(decimal: "0") == .zero)
        #expect(try UInt256(decimal: "000123") == 123)
        #expect(try UInt256(decimal: Self.maxDecimal) == .max)
        #expect(UInt256.max.description == Self.maxDecimal)
        #expect(UInt256.zero.description == "0")
        #expect(UInt256(10_000_000_000_000_000_000).description == "10000000000000000000")
        #expect(try UInt256(hex: "0x0") == .zero)
        #expect(try UInt256(hex: "ff") == 255)
        #expect(try UInt256(hex: "0XFF") == 255)
        #expect(try UInt256(hex: "0x" + String(repeating: "f", count: 64)) == .max)
        #expect(try UInt256(hex: "0x00" + String(repeating: "f", count: 64)) == .max)
        #expect(UInt256.max.hexString == "0x" + String(repeating: "f", count: 64))
        #expect(UInt256.zero.hexString == "0x0")
        #expect(UInt256(0x1f).hexString == "0x1f")
        #expect(UInt256(0x100).hexString == "0x100")
    }

    @Test(arguments: ["", "-1", "+1", "1e3", " 1", "1 ", "1_000", "0x10", "１"])
    func rejectsMalformedDecimal(_ text: String) {
        expectError(.invalidNumber) { try UInt256(decimal: text) }
    }

    @Test func rejectsOverflow() {
        // max + 1 in both notations.
        let maxPlusOne = "115792089237316195423570985008687907853269984665640564039457584007913129639936"
        expectError(.overflow) { try UInt256(decimal: maxPlusOne) }
        expectError(.overflow) { try UInt256(decimal: maxPlusOne + "0") }
        expectError(.overflow) { try UInt256(hex: "0x1" + String(repeating: "0", count: 64)) }
    }

    @Test(arguments: ["", "0x", "0xg", "0x-1", "-0x1", "0x 1", "x1"])
    func rejectsMalformedHex(_ text: String) {
        expectError(.invalidHex) { try UInt256(hex: text) }
    }

    @Test func bytesRoundTrip() throws {
        let value = try UInt256(hex: "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20")
        #expect(value.bytes == Array(1...32))
        #expect(try UInt256(bytes: value.bytes) == value)
        #expect(try UInt256(bytes: [0x01, 0x00]) == 256)
        #expect(try UInt256(bytes: []) == .zero)
        #expect(UInt256(256).minimalBytes == [0x01, 0x00])
        #expect(UInt256.zero.minimalBytes == [])
        #expect(throws: EthereumError.self) { try UInt256(bytes: [UInt8](repeating: 1, count: 33)) }
    }

    @Test func overflowDetection() throws {
        #expect(UInt256.max.addingReportingOverflow(.one) == (.zero, true))
        #expect(UInt256.zero.subtractingReportingOverflow(.one) == (.max, true))
        #expect(UInt256.max.multipliedReportingOverflow(by: 2).overflow)
        #expect(!UInt256.max.multipliedReportingOverflow(by: 1).overflow)
        expectError(.overflow) { try UInt256.max.adding(1) }
        expectError(.overflow) { try UInt256(3).subtracting(4) }
        expectError(.overflow) { try (UInt256.one << 128).multiplied(by: UInt256.one << 128) }
        #expect(try (UInt256.one << 127).multiplied(by: UInt256.one << 128) == UInt256.one << 255)
        expectError(.divisionByZero) { try UInt256(1).quotientAndRemainder(dividingBy: .zero) }
        #expect(UInt256.max &+ 2 == 1)
        #expect(UInt256.zero &- 1 == .max)
    }

    @Test func conversions() throws {
        #expect(UInt256(exactly: -1) == nil)
        #expect(UInt256(exactly: 42) == 42)
        #expect(UInt256(exactly: UInt64.max) == UInt256(UInt64.max))
        #expect(UInt64(exactly: UInt256.one << 64) == nil)
        #expect(Int(exactly: UInt256(UInt64.max)) == nil)
        #expect(Int(exactly: UInt256(7)) == 7)
        #expect(UInt256("12345") == 12345)
        #expect(UInt256("nope") == nil)
    }

    @Test func shiftsAndBits() {
        let one = UInt256.one
        #expect((one << 255) >> 255 == one)
        #expect(one << 256 == .zero)
        #expect(UInt256.max >> 256 == .zero)
        #expect(one << -1 == .zero)
        #expect((one << 64).bitLength == 65)
        #expect(~UInt256.zero == .max)
        #expect((UInt256.max ^ UInt256.max) == .zero)
        #expect((UInt256(0b1100) & 0b1010) == 0b1000)
        #expect((UInt256(0b1100) | 0b1010) == 0b1110)
    }

    @Test func codableUsesHexQuantities() throws {
        let data = try JSONEncoder().encode([UInt256(255), .zero])
        #expect(String(decoding: data, as: UTF8.self) == #"["0xff","0x0"]"#)
        #expect(try JSONDecoder().decode([UInt256].self, from: data) == [255, 0])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([UInt256].self, from: Data(#"["255"]"#.utf8)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode([UInt256].self, from: Data(#"["0x"]"#.utf8)) }
    }

    /// Add, subtract, multiply, divide, remainder, shifts and both notations against Python's big ints.
    @Test func arithmeticMatchesPythonBigInts() throws {
        var rng = SeededRandom(seed: 256)
        var cases: [[String]] = []
        var pairs: [(UInt256, UInt256, Int)] = []
        for i in 0..<400 {
            var a = rng.uint256(), b = rng.uint256()
            if i % 50 == 0 { a = .max }
            if i % 70 == 0 { b = .zero }
            let shift = Int.random(in: 0...300, using: &rng)
            pairs.append((a, b, shift))
            cases.append([a.description, b.description, String(shift)])
        }
        let script = """
        import json, sys
        M = 1 << 256
        out = []
        for a, b, s in json.load(sys.stdin):
            a, b, s = int(a), int(b), int(s)
            out.append([str((a + b) % M), a + b >= M, str((a - b) % M), a < b, str((a * b) % M), a * b >= M,
                        str(a // b) if b else None, str(a % b) if b else None,
                        str((a << s) % M), str(a >> s), hex(a), str(a & b), str(a | b), str(a ^ b)])
        print(json.dumps(out))
        """
        let answer = try jsonObject(try ReferencePython.run(script, stdin: try jsonText(cases))) as? [[Any]] ?? []
        #expect(answer.count == pairs.count)
        for ((a, b, s), row) in zip(pairs, answer) {
            let sum = a.addingReportingOverflow(b), difference = a.subtractingReportingOverflow(b)
            let product = a.multipliedReportingOverflow(by: b)
            #expect(sum.partialValue.description == row[0] as? String)
            #expect(sum.overflow == row[1] as? Bool)
            #expect(difference.partialValue.description == row[2] as? String)
            #expect(difference.overflow == row[3] as? Bool)
            #expect(product.partialValue.description == row[4] as? String, "\(a) * \(b)")
            #expect(product.overflow == row[5] as? Bool)
            if b.isZero {
                #expect(throws: EthereumError.self) { try a.quotientAndRemainder(dividingBy: b) }
            } else {
                let qr = try a.quotientAndRemainder(dividingBy: b)
                #expect(qr.quotient.description == row[6] as? String, "\(a) / \(b)")
                #expect(qr.remainder.description == row[7] as? String, "\(a) % \(b)")
            }
            #expect((a << s).description == row[8] as? String)
            #expect((a >> s).description == row[9] as? String)
            #expect(a.hexString == row[10] as? String)
            #expect((a & b).description == row[11] as? String)
            #expect((a | b).description == row[12] as? String)
            #expect((a ^ b).description == row[13] as? String)
            #expect(try UInt256(decimal: a.description) == a)
            #expect(try UInt256(hex: a.hexString) == a)
        }
    }
}
