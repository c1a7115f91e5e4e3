import Foundation
import Testing
import Wire
@testable import Ethereum
@testable import Indexer

@Suite struct RangeValidatorTests {
    static let contract = Address(unchecked: [UInt8](repeating: 0xC0, count: 20))

    static func hash(_ n: UInt64, fork: UInt8 = 0) -> String { "0x" + String(repeating: String(format: "%02x", fork), count: 24) + String(format: "%016llx", n) }

    static func header(_ n: UInt64, fork: UInt8 = 0) throws -> BlockHeader {
        try BlockHeader(json: ["number": .string("0x" + String(n, radix: 16)), "hash": .string(hash(n, fork: fork)),
                               "parentHash": .string(hash(n - 1, fork: fork)), "timestamp": "0x1", "gasLimit": "0x1", "gasUsed": "0x0"])
    }

    static func log(block n: UInt64, index: UInt64, blockHash: String? = nil, address: Address = contract) throws -> Log {
        let topic = LeverageGuardContract.fundsDeposited.topic0.description
        let sender = "0x" + String(repeating: "0", count: 24) + String(repeating: "ab", count: 20)
        return try Log(json: ["address": .string(address.description), "topics": [.string(topic), .string(sender)],
                              "data": .string("0x" + String(repeating: "0", count: 63) + "7"), "blockNumber": .string("0x" + String(n, radix: 16)),
                              "blockHash": .string(blockHash ?? hash(n)), "transactionHash": .string(hash(n + 1_000)),
                              "transactionIndex": "0x0", "logIndex": .string("0x" + String(index, radix: 16)), "removed": false])
    }

    static func answer(_ logs: [Log], headers: [BlockHeader]) -> LogRangeAnswer {
        LogRangeAnswer(headers: Dictionary(uniqueKeysWithValues: headers.map { ($0.number, $0) }), logs: logs)
    }

    @Test func acceptsAConsistentAnswerAndDecodes() throws {
        let headers = try (10...12).map { try Self.header($0) }
        let valid = try RangeValidator.validate(Self.answer([try Self.log(block: 11, index: 0), try Self.log(block: 12, index: 3)], headers: headers),
                                                range: 10...12, contract: Self.contract)
        #expect(valid.events.map(\.name) == ["FundsDeposited", "FundsDeposited"])
        #expect(valid.events[0].data == #"{"amount":"7","sender":"0xabababababababababababababababababababab"}"#)
        #expect(valid.headers.count == 3)
    }

    @Test func refusesInconsistentAnswers() throws {
        let headers = try (10...12).map { try Self.header($0) }
        let cases: [(String, LogRangeAnswer)] = [
            ("outside the range", Self.answer([try Self.log(block: 13, index: 0)], headers: headers)),
            ("hash differs from header", Self.answer([try Self.log(block: 11, index: 0, blockHash: Self.hash(11, fork: 9))], headers: headers)),
            ("duplicate", Self.answer([try Self.log(block: 11, index: 2), try Self.log(block: 11, index: 2)], headers: headers)),
            ("other address", Self.answer([try Self.log(block: 11, index: 0, address: Address(unchecked: [UInt8](repeating: 1, count: 20)))], headers: headers)),
            ("missing header", Self.answer([], headers: Array(headers.prefix(2)))),
            ("broken parent chain", Self.answer([], headers: [headers[0], try Self.header(11, fork: 3), headers[2]])),
        ]
        for (name, answer) in cases {
            #expect(throws: RangeValidator.Inconsistency.self, "\(name)") {
                _ = try RangeValidator.validate(answer, range: 10...12, contract: Self.contract)
            }
        }
    }
}
