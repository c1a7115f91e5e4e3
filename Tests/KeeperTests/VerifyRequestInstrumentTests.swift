import Testing
@testable import Indexer
@testable import Keeper

/// `/api/verify` accepts OKX's instIds with `_` (USD-margined `BTC-USD_UM-SWAP`,
/// https://www.okx.com/docs-v5/en/#overview-general-info) and still refuses other characters.
@Suite struct VerifyRequestInstrumentTests {
    static func body(_ instId: String) -> [UInt8] {
        Array(#"{"ordId":"1","instId":"\#(instId)","keyMode":"alias","keyAlias":"a"}"#.utf8)
    }

    @Test func underscoresAreAccepted() throws {
        #expect(try VerifyRequest.parse(Self.body("BTC-USD_UM-SWAP")).instId == "BTC-USD_UM-SWAP")
    }

    @Test(arguments: ["BTC-USD UM-SWAP", "BTC/USD", "BTC-USD%5FUM", ""])
    func otherCharactersAreRefused(instId: String) {
        #expect(throws: KeeperError.self) { try VerifyRequest.parse(Self.body(instId)) }
    }
}
