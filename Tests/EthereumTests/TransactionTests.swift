import Crypto
import Foundation
import Testing
import TestSupport
@testable import Ethereum

@Suite struct TransactionTests {
    private func address(_ text: String) throws -> Address { try Address(hex: text) }

    private func expectMalformed(_ raw: [UInt8], _ code: EthereumError.Code = .malformedTransaction, _ comment: Comment? = nil,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(comment, sourceLocation: sourceLocation) {
            try SignedTransaction(raw: raw)
        } throws: { ($0 as? EthereumError)?.code == code }
    }

    /// The example of EIP-155 itself (https://eips.ethereum.org/EIPS/eip-155#example).
    @Test func eip155Example() throws {
        let transaction = LegacyTransaction(nonce: 9, gasPrice: UInt256(20_000_000_000), gasLimit: 21_000,
                                            to: try address("0x3535353535353535353535353535353535353535"),
                                            value: try UInt256(decimal: "1000000000000000000"), data: [], chainId: 1)
        #expect(Hex.encode(transaction.signingPayload)
            == "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080")
        #expect(transaction.signingHash == (try Hash(hex: "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53")))
        let key = try PrivateKey(hex: String(repeating: "46", count: 32))
        let signed = try transaction.signed(with: key)
        #expect(Hex.encode(signed.rawBytes) == "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080"
            + "25a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83")
        #expect(try UInt256(bytes: signed.signature.r) == UInt256(decimal: "18515461264373351373200002665853028612451056578545711640558177340181847433846"))
        #expect(try UInt256(bytes: signed.signature.s) == UInt256(decimal: "46948507304638947509940763649030358759909902576025900602547168820602576006531"))
        #expect(signed.hash == (try Hash(hex: "33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788")))

        let decoded = try SignedTransaction(raw: signed.rawBytes)
        #expect(decoded == signed)
        #expect(decoded.sender == key.address)
        #expect(decoded.sender.checksummed == "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F")
    }

    @Test func signedTransactionsMatchEthAccount() throws {
        var random = SeededRandom(seed: 0x1559)
        var cases: [(key: PrivateKey, transaction: Transaction, json: [String: Any])] = []
        for index in 0..<60 {
            let key = try PrivateKey(bytes: random.bytes(32))
            let to: Address? = index % 5 == 0 ? nil : try Address(bytes: random.bytes(20))
            let data = index % 4 == 0 ? [] : random.bytes(Int.random(in: 1...300, using: &random))
            let nonce = random.next() >> UInt64.random(in: 0...63, using: &random)
            let gasLimit = random.next() >> UInt64.random(in: 0...63, using: &random)
            let chainId = max(1, random.next() >> UInt64.random(in: 1...63, using: &random))
            let value = random.uint256()
            var json: [String: Any] = ["key": Hex.encode(key.exportBytes(), prefix: true), "nonce": "\(nonce)", "gas": "\(gasLimit)",
                                       "chainId": "\(chainId)", "value": "\(value)", "data": Hex.encode(data, prefix: true)]
            if let to { json["to"] = to.checksummed }
            let transaction: Transaction
            if index % 2 == 0 {
                let tip = random.uint256() >> 1
                let cap = tip &+ (random.uint256() >> 1)
                var accessList: [AccessListEntry] = []
                for _ in 0..<(index % 3) {
                    let keys = try (0..<(index % 4)).map { _ in try Hash(bytes: random.bytes(32)) }
                    accessList.append(AccessListEntry(address: try Address(bytes: random.bytes(20)), storageKeys: keys))
                }
                transaction = .eip1559(EIP1559Transaction(chainId: chainId, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: cap,
                                                          gasLimit: gasLimit, to: to, value: value, data: data, accessList: accessList))
                json["type"] = "2"
                json["maxPriorityFeePerGas"] = "\(tip)"
                json["maxFeePerGas"] = "\(cap)"
                json["accessList"] = accessList.map { ["address": $0.address.checksummed, "storageKeys": $0.storageKeys.map(\.description)] }
            } else {
                let gasPrice = random.uint256()
                transaction = .legacy(LegacyTransaction(nonce: nonce, gasPrice: gasPrice, gasLimit: gasLimit, to: to, value: value,
                                                        data: data, chainId: chainId))
                json["gasPrice"] = "\(gasPrice)"
            }
            cases.append((key, transaction, json))
        }
        let script = """
        import sys, json
        from eth_account import Account
        INTS = {"type", "chainId", "nonce", "gas", "value", "gasPrice", "maxPriorityFeePerGas", "maxFeePerGas"}
        out = []
        for c in json.load(sys.stdin):
            key = c.pop("key")
            signed = Account.sign_transaction({k: int(v) if k in INTS else v for k, v in c.items()}, key)
            out.append({"raw": signed.raw_transaction.hex(), "hash": signed.hash.hex()})
        print(json.dumps(out))
        """
        let output = try ReferencePython.run(script, stdin: try jsonText(cases.map(\.json)))
        let references = try #require(try jsonObject(output) as? [[String: String]])
        #expect(references.count == cases.count)
        for (testCase, reference) in zip(cases, references) {
            let signed = try testCase.transaction.signed(with: testCase.key)
            let label = Comment(rawValue: "\(testCase.json)")
            #expect(Hex.encode(signed.rawBytes) == reference["raw"].map { $0.replacingOccurrences(of: "0x", with: "") }, label)
            #expect(signed.hash.bytes == reference["hash"].flatMap { Hex.decode($0) }, label)
            #expect(signed.signature.isLowS)
            let decoded = try SignedTransaction(raw: Hex.decode(reference["raw"] ?? "") ?? [])
            #expect(decoded.transaction == testCase.transaction, label)
            #expect(decoded.sender == testCase.key.address, label)
            #expect(decoded.hash == signed.hash, label)
        }
    }

    @Test func preEIP155LegacyTransactionsDecodeButAreNeverSigned() throws {
        // Signed by eth-account without a chain id: v = 28 (see the script in the cross-check test).
        let raw = try #require(Hex.decode("f84e8001830186a080808260001ca073e7565651c2790fbb82913d71a32bc0505cdfe18f7d9eb2cbaf68b474d2cd4b"
            + "a016812b790e3be12ec4e5c3c086fdb8d4c252c4461c7da580cd4f3b3013926031"))
        let decoded = try SignedTransaction(raw: raw)
        guard case .legacy(let legacy) = decoded.transaction else { Issue.record("not legacy"); return }
        #expect(legacy.chainId == nil && legacy.to == nil && legacy.data == [0x60, 0x00] && legacy.gasLimit == 100_000)
        let key = try PrivateKey(hex: String(repeating: "46", count: 32))
        #expect(decoded.sender == key.address)
        #expect {
            try legacy.signed(with: key)
        } throws: { ($0 as? EthereumError)?.code == .invalidTransaction }
    }

    @Test func signingRefusesATipAboveTheFeeCap() throws {
        let key = try PrivateKey.generate()
        let transaction = EIP1559Transaction(chainId: 1, nonce: 0, maxPriorityFeePerGas: UInt256(3), maxFeePerGas: UInt256(2),
                                             gasLimit: 21_000, to: Address.zero)
        #expect {
            try transaction.signed(with: key)
        } throws: { ($0 as? EthereumError)?.code == .invalidTransaction }
    }

    @Test func contractCreationAndEmptyDataRoundTrip() throws {
        let key = try PrivateKey.generate()
        for to in [nil, Address.zero] {
            for data in [[], [UInt8](repeating: 0xfe, count: 100)] {
                let transaction = EIP1559Transaction(chainId: 31337, nonce: 0, maxPriorityFeePerGas: .zero, maxFeePerGas: .zero,
                                                     gasLimit: 0, to: to, data: data)
                let signed = try transaction.signed(with: key)
                let decoded = try SignedTransaction(raw: signed.rawBytes)
                #expect(decoded.transaction == .eip1559(transaction))
                #expect(decoded.sender == key.address)
                #expect(decoded.transaction.to == to)
            }
        }
    }

    /// A valid EIP-1559 transaction and its decoded fields, for mutation.
    private func sampleEIP1559() throws -> (key: PrivateKey, transaction: EIP1559Transaction, fields: [RLPItem]) {
        let key = try PrivateKey(hex: "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let transaction = EIP1559Transaction(chainId: 1, nonce: 7, maxPriorityFeePerGas: UInt256(2_000_000_000),
                                             maxFeePerGas: UInt256(30_000_000_000), gasLimit: 90_000,
                                             to: try address("0x3535353535353535353535353535353535353535"), value: UInt256(1), data: [1, 2, 3])
        let raw = try transaction.signed(with: key).rawBytes
        let fields = try RLP.decode(raw.dropFirst()).asList()
        return (key, transaction, fields)
    }

    private func typed(_ fields: [RLPItem]) -> [UInt8] { [0x02] + RLPItem.list(fields).encoded() }

    @Test func malformedRawTransactionsThrowTypedErrors() throws {
        let (_, _, fields) = try sampleEIP1559()
        let raw = typed(fields)
        _ = try SignedTransaction(raw: raw)

        expectMalformed([])
        expectMalformed([0x01] + Array(raw.dropFirst()), .unsupportedTransactionType)
        expectMalformed([0x03] + Array(raw.dropFirst()), .unsupportedTransactionType)
        expectMalformed([0x80] + Array(raw.dropFirst()))
        expectMalformed(Array(raw.dropLast()), .malformedTransaction, "truncated")
        expectMalformed(raw + [0x00], .malformedTransaction, "trailing byte")
        expectMalformed([0x02], .malformedTransaction, "type byte only")
        expectMalformed(typed(Array(fields.dropLast())), .malformedTransaction, "11 fields")
        expectMalformed(typed(fields + [.bytes([])]), .malformedTransaction, "13 fields")

        var mutated = fields
        mutated[9] = .bytes([2])
        expectMalformed(typed(mutated), .malformedTransaction, "y parity 2")
        mutated = fields
        mutated[10] = .bytes([])
        expectMalformed(typed(mutated), .malformedTransaction, "r = 0")
        mutated = fields
        mutated[11] = .bytes(Secp256k1.order)
        expectMalformed(typed(mutated), .malformedTransaction, "s = n")
        mutated = fields
        mutated[10] = .bytes([5])
        expectMalformed(typed(mutated), .malformedTransaction, "r is no curve x coordinate")
        mutated = fields
        mutated[5] = .bytes([UInt8](repeating: 0x35, count: 19))
        expectMalformed(typed(mutated), .malformedTransaction, "19-byte to")
        mutated = fields
        mutated[1] = .bytes([0x00, 0x07])
        expectMalformed(typed(mutated), .malformedTransaction, "nonce with a leading zero")
        mutated = fields
        mutated[0] = .bytes([UInt8](repeating: 1, count: 9))
        expectMalformed(typed(mutated), .malformedTransaction, "chain id above 64 bits")
        mutated = fields
        mutated[7] = .list([])
        expectMalformed(typed(mutated), .malformedTransaction, "data as a list")
        mutated = fields
        mutated[8] = .list([.list([.bytes([UInt8](repeating: 1, count: 20)), .list([.bytes([1, 2])])])])
        expectMalformed(typed(mutated), .malformedTransaction, "31-byte storage key")
        // Non-canonical RLP inside a correctly framed list: the nonce 7 as 0x81 0x07.
        var payload = fields.map { $0.encoded() }
        payload[1] = [0x81, 0x07]
        let body = payload.flatMap { $0 }
        let framed = [0x02, 0xF8, UInt8(body.count)] + body
        #expect(body.count >= 56 && body.count < 256)
        #expect {
            try SignedTransaction(raw: framed)
        } throws: { error in
            guard let error = error as? EthereumError else { return false }
            return error.code == .malformedTransaction && error.message.contains("0x81-prefixed")
        }
    }

    @Test func highSIsRejectedEvenThoughItRecovers() throws {
        let (key, _, fields) = try sampleEIP1559()
        let s = try fields[11].asUInt256()
        let order = try UInt256(bytes: Secp256k1.order)
        var mutated = fields
        mutated[11] = RLPItem(uint: order &- s)
        mutated[9] = RLPItem(uint: try fields[9].asUInt64() ^ 1)
        // The twin signature is mathematically valid for the same key …
        let twin = try Signature(r: try fields[10].asUInt256().bytes, s: (order &- s).bytes, recoveryId: UInt8(try fields[9].asUInt64() ^ 1))
        let hash = try SignedTransaction(raw: typed(fields)).transaction.signingHash
        #expect(try Secp256k1.recoverPublicKey(digest: hash.bytes, signature: twin) == key.publicKey)
        // … but malleable, so EIP-2 forbids it.
        expectMalformed(typed(mutated), .malformedTransaction, "high s")
    }

    @Test func legacyVValues() throws {
        let key = try PrivateKey.generate()
        let transaction = LegacyTransaction(nonce: 1, gasPrice: UInt256(1), gasLimit: 21_000, to: Address.zero, chainId: 5)
        let signed = try transaction.signed(with: key)
        var fields = try RLP.decode(signed.rawBytes).asList()
        let v = try fields[6].asUInt64()
        #expect(v == 5 * 2 + 35 + UInt64(signed.signature.recoveryId))
        for bad: UInt64 in [0, 1, 26, 29, 34, 35, 36] {
            fields[6] = RLPItem(uint: bad)
            expectMalformed(RLPItem.list(fields).encoded(), .malformedTransaction, "v = \(bad)")
        }
        // Another chain id in v changes the signing hash: a different (or no) sender, never ours.
        fields[6] = RLPItem(uint: v + 2)
        if let other = try? SignedTransaction(raw: RLPItem.list(fields).encoded()) {
            #expect(other.sender != key.address)
            #expect(other.transaction.chainId == 6)
        }
        // A huge chain id whose v overflows 64 bits still signs (EIP-155 has no bound).
        let big = LegacyTransaction(nonce: 0, gasPrice: .zero, gasLimit: 0, to: nil, chainId: UInt64.max)
        let bigSigned = try big.signed(with: key)
        #expect(try SignedTransaction(raw: bigSigned.rawBytes).transaction.chainId == UInt64.max)
    }
}
