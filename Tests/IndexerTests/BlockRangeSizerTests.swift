import Testing
@testable import Ethereum
@testable import Indexer

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
