import Foundation
import Testing
import Wire
@testable import OKX

@Suite struct OKXModelTests {
    // An order as OKX's documentation shows one ([order-book-trading-trade-get-order-details]).
    let order = #"""
    {"accFillSz":"0.00192","algoClOrdId":"","algoId":"","attachAlgoClOrdId":"","attachAlgoOrds":[],"avgPx":"51858",
     "cTime":"1708587373361","cancelSource":"","cancelSourceReason":"","category":"normal","ccy":"","clOrdId":"",
     "fee":"-0.00000192","feeCcy":"BTC","fillPx":"51858","fillSz":"0.00192","fillTime":"1708587373361","instId":"BTC-USDT",
     "instType":"SPOT","isTpLimit":"false","lever":"","linkedAlgoOrd":{"algoId":""},"ordId":"680800019749904384",
     "ordType":"market","pnl":"0","posSide":"net","px":"","pxType":"","pxUsd":"","pxVol":"","quickMgnType":"",
     "rebate":"0","rebateCcy":"USDT","reduceOnly":"false","side":"buy","slOrdPx":"","slTriggerPx":"",
     "slTriggerPxType":"","source":"","state":"filled","stpId":"","stpMode":"absent_taker","sz":"100","tag":"",
     "tdMode":"cash","tgtCcy":"quote_ccy","tpOrdPx":"","tpTriggerPx":"","tpTriggerPxType":"","tradeId":"744876980",
     "tradeQuoteCcy":"USDT","uTime":"1708587373362"}
    """#

    @Test func orderDecodesOKXsExample() throws {
        let decoded = try OKXOrder(json: try JSON(parsing: order))
        #expect(decoded.ordId == "680800019749904384" && decoded.instId == "BTC-USDT")
        #expect(decoded.accFillSz == Decimal(string: "0.00192") && decoded.fee == Decimal(string: "-0.00000192"))
        #expect(decoded.px == nil && decoded.lever == nil && decoded.sz == 100)
        #expect(decoded.fillTime == 1_708_587_373_361 && decoded.uTime == 1_708_587_373_362)
        #expect(decoded.state == .filled && decoded.category == .normal && !decoded.category.isLiquidation)
    }

    @Test func unknownEnumValuesStayRepresentable() throws {
        let text = order.replacingOccurrences(of: #""category":"normal""#, with: #""category":"something_new""#)
        #expect(try OKXOrder(json: try JSON(parsing: text)).category.rawValue == "something_new")
    }

    @Test(arguments: [
        (#""sz":"100""#, #""sz":100"#, "sz is not a string"),
        (#""sz":"100""#, #""sz":"1e""#, "sz is not a decimal"),
        (#""sz":"100""#, #""sz":"""#, "sz is empty"),
        (#""cTime":"1708587373361""#, #""cTime":"-5""#, "cTime is not epoch milliseconds"),
        (#""ordId":"680800019749904384","#, "", "ordId is missing"),
    ])
    func malformedFieldsAreNamed(original: String, replacement: String, reason: String) {
        let text = order.replacingOccurrences(of: original, with: replacement)
        #expect(throws: OKXDecodingError.self) { try OKXOrder(json: try JSON(parsing: text)) }
        do { _ = try OKXOrder(json: try JSON(parsing: text)) } catch let error as OKXDecodingError {
            #expect(error.description == "order.\(reason)" || error.description.hasPrefix("order.\(reason)"))
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func positionHistoryDecodes() throws {
        let record = try OKXPositionHistory(json: try JSON(parsing: #"""
        {"cTime":"1654177169995","ccy":"USDT","closeAvgPx":"29786.5999999789081085","closeTotalPos":"1","instId":"BTC-USDT-SWAP",
         "instType":"SWAP","lever":"10.0","mgnMode":"cross","openAvgPx":"29783.8999999995535393","openMaxPos":"1",
         "realizedPnl":"0.001","fee":"-0.0001","fundingFee":"0","liqPenalty":"0","pnl":"0.0011","pnlRatio":"0.000906447858888",
         "posId":"452587086133239818","posSide":"long","direction":"long","triggerPx":"","type":"1","uTime":"1654177174419","uly":"BTC-USDT"}
        """#))
        #expect(record.type == .partialClose && record.type.isManualClose && !record.type.isLiquidation)
        #expect(record.closeAvgPx == Decimal(string: "29786.5999999789081085"))
        #expect(record.realizedPnl == Decimal(string: "0.001") && record.triggerPx == nil && record.lever == 10)
        #expect(record.cTime == 1_654_177_169_995 && record.uTime == 1_654_177_174_419)
    }

    @Test func fillFlagsForcedCloses() throws {
        func fill(_ tradeId: String, _ subType: String) throws -> OKXFill {
            try OKXFill(json: try JSON(parsing: #"{"instId":"BTC-USDT-SWAP","tradeId":"\#(tradeId)","ordId":"1","billId":"2","subType":"\#(subType)","side":"sell","fillPx":"1","fillSz":"1","ts":"3"}"#))
        }
        #expect(try fill("-5", "104").isLiquidation && (try fill("-5", "104").isForced))
        #expect(try fill("-5", "126").isADL)
        #expect(try fill("-5", "").isForced, "a negative tradeId marks a forced fill")
        #expect(!(try fill("5", "3").isForced))
        #expect(throws: OKXDecodingError.self) { try fill("5", "x") }
    }

    @Test(arguments: [("0", "0"), ("-3.25", "-3.25"), ("29786.5999999789081085", "29786.5999999789081085"),
                      ("1e3", "1000"), ("-0.00000192", "-0.00000192")])
    func decimalsParseExactly(text: String, expected: String) throws {
        #expect(OKXDecimal.parse(text) == Decimal(string: expected, locale: Locale(identifier: "en_US_POSIX")))
    }

    @Test(arguments: ["", "-", "12abc", "1.", ".5", "+1", " 1", "1,5", "0x10", "NaN", "1e", "1e99999", "١٢"])
    func junkIsNotADecimal(text: String) {
        #expect(OKXDecimal.parse(text) == nil)
    }

    /// Found by `make fuzz` (Fuzz/regressions/okx/): Decimal(string:) kept 38 of these 50 digits and
    /// returned 11111111111111111111111111111111111111100000000000 — a different amount, silently.
    @Test(arguments: [String(repeating: "1", count: 50), "-" + String(repeating: "9", count: 39), "1." + String(repeating: "3", count: 40),
                      "1e200", "1e-200"])
    func amountsADecimalCannotHoldAreRefused(text: String) throws {
        #expect(OKXDecimal.parse(text) == nil)
        let order = #"{"ordId":"1","instId":"BTC-USDT-SWAP","side":"buy","sz":"\#(text)","state":"filled","cTime":"1","uTime":"2"}"#
        #expect(throws: OKXDecodingError.self) { try OKXOrder(json: try JSON(parsing: order)) }
    }

    @Test(arguments: [("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
                      ("0.00000000000000000000000000000000000001", "1e-38"), ("1000e-3", "1"), ("-0.0", "0")])
    func amountsUpTo38DigitsStayExact(text: String, expected: String) throws {
        let value = try #require(OKXDecimal.parse(text))
        #expect(value == Decimal(string: expected, locale: Locale(identifier: "en_US_POSIX")))
        #expect(OKXDecimal.numeral(value.description) == OKXDecimal.numeral(text))
    }

    @Test func instrumentTypes() {
        #expect(OKXInstrument.type(of: "BTC-USDT-SWAP") == "SWAP")
        #expect(OKXInstrument.type(of: "BTC-USD-250328") == "FUTURES")
        #expect(OKXInstrument.type(of: "BTC-USD-250328-60000-C") == "OPTION")
        #expect(OKXInstrument.type(of: "BTC-USDT") == "SPOT")
    }

    @Test func queriesArePercentEncodedInOrder() {
        #expect(OKXClient.queryString([]) == "")
        #expect(OKXClient.queryString([("ordId", "1"), ("instId", "BTC-USDT-SWAP")]) == "?ordId=1&instId=BTC-USDT-SWAP")
        #expect(OKXClient.queryString([("a", "x y&z=1")]) == "?a=x%20y%26z%3D1")
    }

    @Test func pagedRawJoinsTheData() {
        func page(_ items: [JSON]) -> RawExchangeResponse {
            let json: JSON = ["code": "0", "msg": "", "data": .array(items)]
            return RawExchangeResponse(endpoint: "/p", requestPath: "/p", status: 200, body: json.serialized(), json: json,
                                       fetchedAt: Date(timeIntervalSince1970: 1), rttMs: 5, attempts: 2, waitedMs: 7)
        }
        let response = ExchangeResponse<Int>(items: [1, 2, 3], pages: [page([1, 2]), page([3])])
        #expect(response.raw == ["code": "0", "msg": "", "data": [1, 2, 3]])
        #expect(response.rttMs == 10 && response.attempts == 4 && response.waitedMs == 14)
        #expect(response.pages[0].fetchedAtMilliseconds == 1_000)
    }
}
