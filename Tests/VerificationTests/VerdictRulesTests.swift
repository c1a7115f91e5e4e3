import Foundation
import Testing
import Verification

@Suite struct VerdictRulesTests {
    static let hour: Int64 = 3_600_000
    static func order(_ origin: OrderFacts.Origin = .trader, side: String = "buy", posSide: String = "long", mode: String = "isolated", at time: Int64 = 100 * hour) -> OrderFacts {
        OrderFacts(ordId: "1", instId: "BTC-USDT-SWAP", side: side, posSide: posSide, marginMode: mode, origin: origin, time: time)
    }
    static func record(_ close: PositionFacts.Close, id: String = "p", direction: String = "long", mode: String = "isolated",
                       opened: Int64 = 100 * hour, closed: Int64 = 110 * hour, pnl: Decimal = -325) -> PositionFacts {
        PositionFacts(posId: id, instId: "BTC-USDT-SWAP", marginMode: mode, direction: direction, close: close, openedAt: opened, closedAt: closed, realizedPnl: pnl)
    }

    @Test func closeTypeDecidesForATradersOrder() {
        let cases: [(PositionFacts.Close, Verdict.Reason, Bool)] = [
            (.liquidation, .forcedLiquidation, true), (.adl, .adl, true), (.manual, .manualClose, false), (.other("9"), .unknown, false),
        ]
        for (close, reason, liquidated) in cases {
            let position = VerdictRules.position(of: Self.order(), in: [Self.record(close)])
            let verdict = VerdictRules.verdict(order: Self.order(), position: position)
            #expect(verdict.reason == reason && verdict.liquidated == liquidated)
            #expect(verdict.liquidatedAt == (liquidated ? 110 * Self.hour : nil))
        }
        #expect(VerdictRules.verdict(order: Self.order(), position: nil) == Verdict(reason: .unknown, liquidatedAt: nil))
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

    @Test func liquidationOrderDecidesDirectlyAndAgeIsChecked() throws {
        let liquidationOrder = Self.order(.liquidation, side: "sell", at: 110 * Self.hour)
        let verdict = VerdictRules.verdict(order: liquidationOrder, position: nil)
        #expect(verdict == Verdict(reason: .forcedLiquidation, liquidatedAt: 110 * Self.hour))
        #expect(VerdictRules.verdict(order: Self.order(.adl), position: nil).reason == .adl)
        #expect(VerdictRules.position(of: liquidationOrder, in: [Self.record(.liquidation)])?.posId == "p")
        let policy = try CoveragePolicy(currency: "USDT", poolDecimals: 6, coverageBps: 10_000, maxPayoutPerClaim: 1, coverADL: true, maxClaimAgeDays: 30)
        #expect(!VerdictRules.isTooOld(verdict: verdict, order: liquidationOrder, now: 110 * Self.hour + 30 * 24 * Self.hour, policy: policy))
        #expect(VerdictRules.isTooOld(verdict: verdict, order: liquidationOrder, now: 110 * Self.hour + 30 * 24 * Self.hour + 1, policy: policy))
    }
}
