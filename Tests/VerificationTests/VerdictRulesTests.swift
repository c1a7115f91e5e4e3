import Foundation
import Testing
import OKX
import Verification
import Wire

/// The verdict rules over exchange-neutral facts. Each rule's source in OKX's v5 documentation is
/// quoted beside its test (https://www.okx.com/docs-v5/en/, "Get positions history" and "Get order history").
@Suite struct VerdictRulesTests {
    static let hour: Int64 = 3_600_000
    static func order(_ origin: OrderFacts.Origin = .trader, id: String = "1", side: String = "buy", posSide: String = "long",
                      mode: String = "isolated", at time: Int64 = 100 * hour, filled: Decimal? = 100) -> OrderFacts {
        OrderFacts(ordId: id, instId: "BTC-USDT-SWAP", side: side, posSide: posSide, marginMode: mode, origin: origin, time: time, filledSize: filled)
    }
    static func record(_ close: PositionFacts.Close, id: String = "p", direction: String = "long", mode: String = "isolated", fullyClosed: Bool = true,
                       opened: Int64 = 100 * hour, closed: Int64 = 110 * hour, pnl: Decimal = -325, penalty: Decimal? = nil,
                       closedSize: Decimal? = 100) -> PositionFacts {
        PositionFacts(posId: id, instId: "BTC-USDT-SWAP", marginMode: mode, direction: direction, close: close, isFullyClosed: fullyClosed,
                      openedAt: opened, closedAt: closed, realizedPnl: pnl, liqPenalty: penalty, closedSize: closedSize, currency: "USDT")
    }
    /// A forced sell closing the long, with what its fills realised.
    static func forced(_ origin: OrderFacts.Origin = .liquidation, id: String = "9", at time: Int64 = 110 * hour, realized: Decimal? = -300,
                       size: Decimal = 100) -> ForcedCloseFacts {
        ForcedCloseFacts(order: order(origin, id: id, side: "sell", at: time, filled: size), realized: realized, filledSize: size)
    }
    static func decided(_ judgement: VerdictRules.Judgement) -> VerdictRules.Decision? {
        if case .decided(let decision) = judgement { return decision }
        return nil
    }
    static func pending(_ judgement: VerdictRules.Judgement) -> String? {
        if case .undecided(let why) = judgement { return why }
        return nil
    }

    @Test func onlyTheSamePositionMatches() {
        let order = Self.order()
        let others = [
            Self.record(.liquidation, id: "short", direction: "short"),
            Self.record(.liquidation, id: "cross", mode: "cross"),
            Self.record(.liquidation, id: "earlier", opened: 10 * Self.hour, closed: 20 * Self.hour),
            Self.record(.liquidation, id: "later", opened: 101 * Self.hour, closed: 120 * Self.hour),
        ]
        #expect(VerdictRules.position(of: order, in: others) == nil)
        let mine = Self.record(.manual, id: "mine", opened: 99 * Self.hour, closed: 105 * Self.hour)
        #expect(VerdictRules.position(of: order, in: others + [mine])?.posId == "mine")
        // One-way mode: a buy opens a long; a liquidation sell closes a long.
        #expect(Self.order(posSide: "net").positionDirection == "long")
        #expect(Self.order(.liquidation, side: "sell", posSide: "net").positionDirection == "long")
        #expect(Self.order(side: "sell", posSide: "net").positionDirection == "short")
    }

    /// "posId … is kept when a position is reopened within 30 days of its last full close" (shared/OKX.md):
    /// one posId, two lifecycles; each order matches its own, and the identity carries the opening time.
    @Test func aReusedPosIdIsTwoLifecycles() {
        let first = Self.record(.liquidation, id: "777", opened: 10 * Self.hour, closed: 20 * Self.hour)
        let second = Self.record(.liquidation, id: "777", opened: 30 * Self.hour, closed: 40 * Self.hour)
        let early = VerdictRules.position(of: Self.order(at: 12 * Self.hour), in: [second, first])
        let late = VerdictRules.position(of: Self.order(at: 31 * Self.hour), in: [second, first])
        #expect(early?.lifecycle == "777@\(10 * Self.hour)" && late?.lifecycle == "777@\(30 * Self.hour)")
        #expect(early?.lifecycle != late?.lifecycle)
    }

    @Test func aWholeLiquidationPaysThePositionsLoss() throws {
        let decision = try #require(Self.decided(VerdictRules.judge(order: Self.order(), position: Self.record(.liquidation), forced: [Self.forced()], forcedComplete: true)))
        #expect(decision.verdict == Verdict(reason: .forcedLiquidation, liquidatedAt: 110 * Self.hour))
        #expect(decision.loss == 325 && decision.lossBasis == .position && decision.forcedOrders == ["9"])
    }

    /// "type … 6: ADL (position fully closed)" — the whole position closed by auto-deleveraging.
    @Test func adlThatClosedThePositionIsADL() throws {
        let record = PositionFacts(okx: try OKXRecords.positionsHistory(type: "6", closeTotalPos: "10", openMaxPos: "10"))
        #expect(record.close == .adl && record.isFullyClosed)
        let decision = try #require(Self.decided(VerdictRules.judge(order: Self.order(filled: 10), position: Self.record(.adl), forced: [Self.forced(.adl)], forcedComplete: true)))
        #expect(decision.verdict.reason == .adl && decision.verdict.liquidated)
    }

    /// "type: The type of latest close position … If there are several types for the same position, only the
    /// type of the latest close will be returned": partially liquidated, then closed by hand, reads 2. The
    /// liquidation is still found (through its orders), and only what its fills realised is insured.
    @Test func aPartialLiquidationThenAManualCloseIsPaidTheLiquidationsLossOnly() throws {
        // 60 of 100 liquidated, fills realised -312 + -4.344 fee; penalty -6; the rest closed by hand at a further loss.
        let record = Self.record(.manual, pnl: -400, penalty: -6, closedSize: 100)
        let decision = try #require(Self.decided(VerdictRules.judge(order: Self.order(), position: record,
                                                                    forced: [Self.forced(at: 105 * Self.hour, realized: Decimal(string: "-316.344")!, size: 60)],
                                                                    forcedComplete: true)))
        #expect(decision.verdict.reason == .forcedLiquidation && decision.lossBasis == .liquidationOrders)
        #expect(decision.loss == Decimal(string: "322.344"))
        // The manual close was at a profit: it does not reduce the liquidation's loss either.
        let profitable = Self.record(.manual, pnl: -100, penalty: -6, closedSize: 100)
        let same = try #require(Self.decided(VerdictRules.judge(order: Self.order(), position: profitable,
                                                                forced: [Self.forced(at: 105 * Self.hour, realized: Decimal(string: "-316.344")!, size: 60)],
                                                                forcedComplete: true)))
        #expect(same.loss == Decimal(string: "322.344"))
    }

    @Test func aManualCloseIsFinalAndNotLiquidated() throws {
        let decision = try #require(Self.decided(VerdictRules.judge(order: Self.order(), position: Self.record(.manual, pnl: Decimal(string: "-53.575")!), forced: [], forcedComplete: true)))
        #expect(decision.verdict == Verdict(reason: .manualClose, liquidatedAt: nil) && decision.loss == Decimal(string: "53.575"))
    }

    /// Only a complete, consistent picture is decided.
    @Test func uncertaintyWaits() {
        let order = Self.order()
        // No position yet: still open, or not yet visible; or the history was cut.
        #expect(Self.pending(VerdictRules.withoutPosition(order: order, historyComplete: true))?.contains("not closed") == true)
        #expect(Self.pending(VerdictRules.withoutPosition(order: order, historyComplete: false))?.contains("page limit") == true)
        #expect(Self.pending(VerdictRules.withoutPosition(order: Self.order(.liquidation, side: "sell"), historyComplete: true)) != nil)
        // An order never filled opened nothing: that is final.
        #expect(Self.decided(VerdictRules.withoutPosition(order: Self.order(filled: 0), historyComplete: true))?.verdict.liquidated == false)
        // An unknown type, a position not fully closed, an incomplete read of the forced orders or of their fills.
        #expect(Self.pending(VerdictRules.judge(order: order, position: Self.record(.other("9")), forced: [], forcedComplete: true))?.contains("type 9") == true)
        #expect(Self.pending(VerdictRules.judge(order: order, position: Self.record(.liquidation, fullyClosed: false), forced: [Self.forced()], forcedComplete: true)) != nil)
        #expect(Self.pending(VerdictRules.judge(order: order, position: Self.record(.manual), forced: [], forcedComplete: false)) != nil)
        #expect(Self.pending(VerdictRules.judge(order: order, position: Self.record(.liquidation), forced: [Self.forced(realized: nil)], forcedComplete: true)) != nil)
        // Contradictions: a liquidation type without a liquidation order; a forced order the history does not list.
        #expect(Self.pending(VerdictRules.judge(order: order, position: Self.record(.liquidation), forced: [], forcedComplete: true))?.contains("force-closed") == true)
        let claimedForced = Self.order(.liquidation, id: "42", side: "sell", at: 110 * Self.hour)
        #expect(Self.pending(VerdictRules.judge(order: claimedForced, position: Self.record(.liquidation), forced: [Self.forced()], forcedComplete: true)) != nil)
    }

    @Test func forcedOrdersOfAnotherLifecycleDoNotCount() throws {
        let record = Self.record(.manual, opened: 100 * Self.hour, closed: 110 * Self.hour)
        let elsewhere = Self.forced(at: 120 * Self.hour)  // after this lifecycle closed
        let decision = try #require(Self.decided(VerdictRules.judge(order: Self.order(), position: record, forced: [elsewhere], forcedComplete: true)))
        #expect(!decision.verdict.liquidated)
    }

    @Test func ageIsMeasuredFromTheLiquidation() throws {
        let liquidationOrder = Self.order(.liquidation, side: "sell", at: 110 * Self.hour)
        let verdict = Verdict(reason: .forcedLiquidation, liquidatedAt: 110 * Self.hour)
        let policy = try CoveragePolicy(currency: "USDT", poolDecimals: 6, coverageBps: 10_000, maxPayoutPerClaim: 1, coverADL: true, maxClaimAgeDays: 30)
        #expect(!VerdictRules.isTooOld(verdict: verdict, order: liquidationOrder, now: 110 * Self.hour + 30 * 24 * Self.hour, policy: policy))
        #expect(VerdictRules.isTooOld(verdict: verdict, order: liquidationOrder, now: 110 * Self.hour + 30 * 24 * Self.hour + 1, policy: policy))
    }
}

/// OKX records as OKX sends them, for the rules that read OKX's own fields.
enum OKXRecords {
    /// One positions-history record of a closed long (OKX's field names; numbers as strings).
    static func positionsHistory(type: String, closeTotalPos: String, openMaxPos: String) throws -> OKXPositionHistory {
        let text = """
            {"instId":"BTC-USDT-SWAP","mgnMode":"isolated","type":"\(type)","posId":"1","posSide":"long","direction":"long",
             "lever":"10","openAvgPx":"100","closeAvgPx":"90","openMaxPos":"\(openMaxPos)","closeTotalPos":"\(closeTotalPos)",
             "realizedPnl":"-100","pnl":"-100","fee":"0","fundingFee":"0","liqPenalty":"","triggerPx":"90",
             "cTime":"1700000000000","uTime":"1700000100000","ccy":"USDT"}
            """
        return try OKXPositionHistory(json: try JSON(parsing: Data(text.utf8)))
    }
}
