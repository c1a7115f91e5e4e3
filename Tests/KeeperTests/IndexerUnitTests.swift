import Foundation
import Testing
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Store

@Suite struct BlockRangeSizerTests {
    @Test func readsProviderSuggestionsAndLimits() {
        let infura = RPCError.rpc(code: -32005, message: "query returned more than 10000 results. Try with this block range [0x1a, 0x2f].", data: nil)
        #expect(BlockRangeSizer.rangeLimit(in: infura)?.suggestedTo == 0x2f)
        let alchemy = RPCError.rpc(code: -32602, message: "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x10, 0x20]", data: nil)
        #expect(BlockRangeSizer.rangeLimit(in: alchemy)?.suggestedTo == 0x20)
        #expect(BlockRangeSizer.rangeLimit(in: alchemy)?.limit == 2_000)
        let limited = RPCError.rpc(code: -32000, message: "eth_getLogs is limited to a 1,000 blocks range", data: nil)
        #expect(BlockRangeSizer.rangeLimit(in: limited)?.limit == 1_000)
        let plain = RPCError.rpc(code: -32005, message: "query returned more than 10000 results", data: nil)
        #expect(BlockRangeSizer.rangeLimit(in: plain) != nil)
        #expect(BlockRangeSizer.rangeLimit(in: plain)?.suggestedTo == nil)
        #expect(BlockRangeSizer.rangeLimit(in: .rpc(code: -32602, message: "invalid argument", data: nil)) == nil)
        #expect(BlockRangeSizer.rangeLimit(in: .malformed("x")) == nil)
    }

    @Test func narrowsToSuggestionHalvesOtherwiseAndGrowsBack() {
        var sizer = BlockRangeSizer(maximum: 1_000)
        sizer.refused(from: 100, suggestedTo: 149, limit: nil)
        #expect(sizer.current == 50)
        sizer.refused(from: 100, suggestedTo: nil, limit: nil)
        #expect(sizer.current == 25)
        sizer.refused(from: 100, suggestedTo: 90, limit: nil)  // unusable suggestion: halve
        #expect(sizer.current == 12)
        for _ in 0..<40 { sizer.succeeded() }
        #expect(sizer.current == 1_000)
        sizer.refused(from: 0, suggestedTo: UInt64.max, limit: UInt64.max)  // a node's absurd hint: halve, never trap
        #expect(sizer.current == 500)
        var one = BlockRangeSizer(maximum: 1)
        one.refused(from: 5, suggestedTo: nil, limit: nil)
        #expect(one.current == 1)
    }
}

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

@Suite struct DatabaseLockTests {
    @Test func secondKeeperOnTheSameDatabaseRefusesNamingThePID() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keeper.sqlite").path
        let config = try Config.parse(Array("""
            {"chain": {"rpcUrls": ["http://127.0.0.1:1"], "chainId": 1, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
             "store": {"path": "\(path)"}}
            """.utf8))
        var first: IndexerSession? = try IndexerSession(config: config)
        #expect(first != nil)
        let error = #expect(throws: KeeperError.self) { _ = try IndexerSession(config: config) }
        #expect(error?.code == .locked)
        #expect(error?.message.contains("pid \(getpid())") == true, "\(error?.message ?? "")")
        first = nil
        #expect(throws: Never.self) { _ = try IndexerSession(config: config) }  // released with the first session
    }
}
