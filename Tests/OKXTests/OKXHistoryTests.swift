import Foundation
import Testing
import Wire
@testable import OKX

/// The reads the verdict engine adds (issue 13) against devnet/okxsim.py: forced orders from
/// orders-history and orders-history-archive, an order's fills by age, trade/order's fallback to the
/// archive, options' instFamily, `_` in instIds and close type 6. Known answers come from the
/// scenario files.
@Suite final class OKXHistoryTests {
    let sim: OKXSimulator

    init() throws { sim = try OKXSimulator() }

    deinit { sim.stop() }

    static let day: Int64 = 86_400_000
    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test func forcedOrdersOfTheLastWeekComeFromOrdersHistory() async throws {
        let sam = try OKXSimulator.credentials("sam")
        let response = try await sim.client(sam).forcedOrders(instrumentID: "BTC-USDT-SWAP", from: Self.now - 6 * Self.day, to: nil)
        #expect(response.items.map(\.ordId) == ["3190000000000000002"], "the manual close and the opening order are not forced")
        #expect(response.items.first?.category == .partialLiquidation && response.isComplete)
        #expect(response.pages.count == 3 && response.pages.allSatisfy { $0.endpoint == OKXEndpoint.ordersHistory.path })
        let categories = response.pages.compactMap { page in page.requestPath.split(separator: "&").first { $0.hasPrefix("category=") } }
        #expect(categories == ["category=full_liquidation", "category=partial_liquidation", "category=adl"])
        #expect(try await sim.hits(sam, .ordersHistoryArchive)["count"] == nil, "nothing older than 7 days was asked for")
    }

    @Test func olderForcedOrdersComeFromTheArchive() async throws {
        let wendy = try OKXSimulator.credentials("wendy")
        let response = try await sim.client(wendy).forcedOrders(instrumentID: "SOL-USDT-SWAP", from: Self.now - 41 * Self.day, to: nil)
        #expect(response.items.map(\.ordId) == ["3230000000000000002"] && response.items.first?.category == .fullLiquidation)
        #expect(response.pages.contains { $0.endpoint == OKXEndpoint.ordersHistoryArchive.path })
        let window = try await sim.client(wendy).forcedOrders(instrumentID: "SOL-USDT-SWAP", from: Self.now - 41 * Self.day,
                                                               to: Self.now - 36 * Self.day)
        #expect(window.items.isEmpty, "the liquidation 35 days ago is after the window")
    }

    @Test func anEmptyOrInvertedWindowIsNoFault() async throws {
        let sam = try OKXSimulator.credentials("sam")
        let inverted = try await sim.client(sam).forcedOrders(instrumentID: "BTC-USDT-SWAP", from: Self.now, to: Self.now - Self.day)
        #expect(inverted.items.isEmpty && inverted.isComplete)
        let everything = try await sim.client(sam).forcedOrders(instrumentID: "BTC-USDT-SWAP", from: 0, to: nil)
        #expect(everything.items.map(\.ordId) == ["3190000000000000002"])
    }

    @Test func forcedOrdersOfAReusedPosIdAreBothFound() async throws {
        let rita = try OKXSimulator.credentials("rita")
        let response = try await sim.client(rita).forcedOrders(instrumentID: "ETH-USDT-SWAP", from: Self.now - 30 * Self.day, to: nil)
        #expect(response.items.map(\.ordId) == ["3170000000000000004", "3170000000000000002"], "newest first")
    }

    @Test func fillsOfAnOrderOlderThanThreeDaysComeFromFillsHistory() async throws {
        let sam = try OKXSimulator.credentials("sam")
        let response = try await sim.client(sam).fills(orderID: "3190000000000000002", instrumentID: "BTC-USDT-SWAP")
        let fill = try #require(response.items.first)
        #expect(response.items.count == 1 && fill.fillPnl == -112 && fill.fee == Decimal(string: "-1.144") && fill.isLiquidation)
        #expect(response.pages.map(\.endpoint) == [OKXEndpoint.fills.path, OKXEndpoint.fillsHistory.path])
        #expect(response.pages.allSatisfy { $0.requestPath.contains("ordId=3190000000000000002") })
    }

    @Test func fillsOfARecentOrderComeFromTradeFillsAlone() async throws {
        let alice = try OKXSimulator.credentials("alice")
        let response = try await sim.client(alice).fills(orderID: "2940455327716859904", instrumentID: "BTC-USDT-SWAP")
        #expect(response.items.map(\.tradeId) == ["-1187790455"])
        #expect(response.pages.map(\.endpoint) == [OKXEndpoint.fills.path])
        #expect(try await sim.hits(alice, .fillsHistory)["count"] == nil)
    }

    @Test func anOrderGoneFromTradeOrderIsFoundInTheArchive() async throws {
        let wendy = try OKXSimulator.credentials("wendy")
        let response = try await sim.client(wendy).order(id: "3230000000000000001", instrumentID: "SOL-USDT-SWAP")
        let order = try #require(response.items.first)
        #expect(order.ordId == "3230000000000000001" && order.state == .filled && order.posSide == "short")
        #expect(response.pages.map(\.endpoint) == [OKXEndpoint.ordersHistoryArchive.path])
        #expect(try await sim.hits(wendy, .order)["count"] == 1)
    }

    @Test func anotherAccountsOrderStaysNotFoundAfterTheArchive() async throws {
        let grace = try OKXSimulator.credentials("grace")
        let error = try await expectFailure { try await self.sim.client(grace).order(id: "2972777888999000064", instrumentID: "BTC-USDT-SWAP") }
        #expect(error.code == .notFound && error.okxCode == "51603" && !error.isRetryable)
        #expect(try await sim.hits(grace, .ordersHistoryArchive)["count"] == 1)
    }

    @Test func optionInstrumentsAreAskedWithTheirFamily() async throws {
        let client = sim.client(try OKXSimulator.credentials("alice"))
        let response = try await client.instrument(id: "BTC-USD-261225-100000-C")
        #expect(response.items.first?.instType == "OPTION" && response.items.first?.settleCcy == "BTC")
        #expect(response.pages[0].requestPath == "/api/v5/public/instruments?instType=OPTION&instFamily=BTC-USD&instId=BTC-USD-261225-100000-C")
        #expect(OKXInstrument.family(of: "BTC-USD_UM-SWAP") == "BTC-USD_UM" && OKXInstrument.family(of: "BTC-USDT") == nil)
    }

    @Test func underscoresAreAllowedInInstrumentIDs() async throws {
        let victor = try OKXSimulator.credentials("victor")
        let order = try await sim.client(victor).order(id: "3220000000000000002", instrumentID: "BTC-USD_UM-SWAP")
        #expect(order.items.first?.category == .fullLiquidation)
        let instrument = try #require(try await sim.client(victor).instrument(id: "BTC-USD_UM-SWAP").items.first)
        #expect(instrument.settleCcy == "USD" && instrument.instType == "SWAP")
        let history = try await sim.client(victor).positionsHistory(instrumentID: "BTC-USD_UM-SWAP", from: nil, to: nil)
        #expect(history.items.first?.realizedPnl == Decimal(string: "-61.551"))
        let refused = try await expectFailure { try await self.sim.client(victor).order(id: "1", instrumentID: "BTC-USD UM-SWAP") }
        #expect(refused.code == .remote4xx && refused.attempts == 0, "other characters are still refused before sending")
    }

    @Test func closeTypeSixIsADLFullyClosed() async throws {
        let dave = try OKXSimulator.credentials("dave")
        let record = try #require(try await sim.client(dave).positionsHistory(instrumentID: "BTC-USDT-SWAP", from: nil, to: nil).items.first)
        #expect(record.type == .adlFullyClosed && record.type.isADL && record.type.isDocumented && !record.type.isLiquidation)
        #expect(OKXPositionHistory.CloseType.adl.isADL && !OKXPositionHistory.CloseType(rawValue: "7").isDocumented)
    }
}
