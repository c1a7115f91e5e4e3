import Testing
import Foundation
import TestSupport
@testable import Ethereum

@Suite struct AddressTests {
    /// EIP-55's test cases, in its four groups (https://eips.ethereum.org/EIPS/eip-55).
    static let eip55: [String] = [
        // All caps
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
        // All lower
        "0xde709f2102306220921060314715629080e2fb77",
        "0x27b1fdb04752bbc536007a920d24acb045561c26",
        // Normal
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ]

    @Test(arguments: eip55)
    func eip55KnownAnswers(_ text: String) throws {
        let address = try Address(hex: text)
        #expect(address.checksummed == text)
        #expect(address.description == text.lowercased())
        // All-lowercase and all-uppercase forms of the same address are accepted unchecked.
        #expect(try Address(hex: text.lowercased()) == address)
        #expect(try Address(hex: "0x" + text.dropFirst(2).uppercased()) == address)
        #expect(try Address(hex: text.dropFirst(2)) == address)
    }

    @Test func rejectsBadChecksumAndShapes() {
        // One letter's case flipped in a valid checksummed address.
        expectError(.invalidChecksum) { try Address(hex: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD") }
        expectError(.invalidChecksum) { try Address(hex: "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed") }
        for bad in ["", "0x", "0x1234", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00",
                    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", "0x0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA"] {
            expectError(.invalidAddress, "\(bad)") { try Address(hex: bad) }
        }
        expectError(.invalidAddress) { try Address(bytes: [UInt8](repeating: 1, count: 19)) }
    }

    @Test func codableWritesChecksummedAndReadsStrictly() throws {
        let address = try Address(hex: "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
        let data = try JSONEncoder().encode([address])
        #expect(String(decoding: data, as: UTF8.self) == #"["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"]"#)
        #expect(try JSONDecoder().decode([Address].self, from: data) == [address])
        #expect(throws: EthereumError.self) {
            try JSONDecoder().decode([Address].self, from: Data(#"["0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"]"#.utf8))
        }
    }

    @Test func hashParsesPrintsAndConverts() throws {
        let text = "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        let hash = try Hash(hex: text.uppercased().replacingOccurrences(of: "0X", with: "0x"))
        #expect(hash.description == text)
        #expect(Hash.keccak256([UInt8]()) == hash)
        #expect(Hash(hash.uint256) == hash)
        #expect(Hash(UInt256(1)).description == "0x" + String(repeating: "0", count: 63) + "1")
        expectError(.invalidHash) { try Hash(hex: "0x1234") }
        expectError(.invalidHash) { try Hash(hex: text + "00") }
        expectError(.invalidHash) { try Hash(bytes: [UInt8](repeating: 0, count: 31)) }
        let data = try JSONEncoder().encode(hash)
        #expect(try JSONDecoder().decode(Hash.self, from: data) == hash)
    }

    /// EIP-55 of random addresses against eth-utils' `to_checksum_address`, in one Python run.
    @Test func checksumMatchesEthUtils() throws {
        var rng = SeededRandom(seed: 55)
        let addresses = try (0..<300).map { _ in try Address(bytes: rng.bytes(20)) }
        let script = """
        import json, sys
        from eth_utils import to_checksum_address
        print(json.dumps([to_checksum_address(a) for a in json.load(sys.stdin)]))
        """
        let answer = try jsonObject(try ReferencePython.run(script, stdin: try jsonText(addresses.map(\.description)))) as? [String]
        #expect(answer == addresses.map(\.checksummed))
        for text in answer ?? [] { #expect(try Address(hex: text).checksummed == text) }
    }
}
