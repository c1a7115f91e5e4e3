import Foundation
import Testing
import Verification
import Wire

@Suite struct VerificationResponseTests {
    @Test func liquidatedResponseHasTheSeedShapeAndSeals() throws {
        let policy = try CoveragePolicy(currency: "USDT", poolDecimals: 6, coverageBps: 10_000, maxPayoutPerClaim: 1_000_000_000_000, coverADL: true, maxClaimAgeDays: 30)
        let record = PositionFacts(posId: "1752345678901234567", instId: "BTC-USDT-SWAP", marginMode: "isolated", direction: "long",
                                   close: .liquidation, openedAt: 1_762_000_000_000, closedAt: 1_762_050_000_000, realizedPnl: -325)
        let verdict = Verdict(reason: .forcedLiquidation, liquidatedAt: record.closedAt)
        var response = VerificationResponse(exchange: "okx", ordId: "2940071038556348417", instId: "BTC-USDT-SWAP",
                                            verifiedAt: Date(timeIntervalSince1970: 1_762_247_411), simulated: false, requestId: nil, version: "lg-keeper@0.1.0")
        response.order = ["side": "buy", "state": "filled"]
        response.position = record
        response.verdict = verdict
        response.principal = 325_000_000
        response.policy = policy
        response.payout = Payout(verdict: verdict, realizedPnl: record.realizedPnl, principal: 325_000_000, policy: policy, tooOld: false)
        response.raw = ["trade/order": ["code": "0", "msg": "", "data": []]]
        response.perf = ["totalMs": 5]

        let json = response.json
        #expect(json["meta"]?["verifiedAt"] == "2025-11-04T09:10:11.000Z")
        #expect(json["normalized"]?["position"]?["liquidated"] == true)
        #expect(json["normalized"]?["position"]?["liquidatedAt"] == .string(VerificationResponse.timestamp(milliseconds: 1_762_050_000_000)))
        #expect(json["normalized"]?["position"]?["reason"] == "forced-liquidation")
        #expect(json["normalized"]?["payout"]?["amount"] == "325000000")
        #expect(json["error"] == .null)
        let sealed = try EvidenceBundle.seal(json)
        #expect(try EvidenceCheck(document: sealed).passed)
        #expect(sealed["evidence"]?["evidenceId"]?.stringValue?.hasPrefix("evi_20251104_") == true)
    }

    @Test func failureResponseCarriesTheError() {
        var response = VerificationResponse(exchange: "okx", ordId: "1", instId: "BTC-USDT-SWAP", verifiedAt: Date(timeIntervalSince1970: 0),
                                            simulated: true, requestId: "r", version: "v")
        response.failure = .init(code: "NOT_FOUND", msg: "Order does not exist", hint: "check ordId and instId")
        let json = response.json
        #expect(json["error"]?["code"] == "NOT_FOUND")
        #expect(json["normalized"] == .null)
        #expect(json["meta"]?["live"] == false)
        #expect(VerificationResponse.timestamp(milliseconds: 1_700_000_000_123) == "2023-11-14T22:13:20.123Z")
    }
}
