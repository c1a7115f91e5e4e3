import Foundation
import Testing
import Wire
@testable import OKX

/// The client against devnet/okxsim.py, which checks signatures exactly as OKX does and serves
/// the scenario accounts. Each test gets its own simulator (a suite instance per test).
@Suite final class OKXClientTests {
    let sim: OKXSimulator
    let alice: OKXCredentials
    let liquidatedOrder = "2940071038556348417"

    init() throws {
        sim = try OKXSimulator()
        alice = try OKXSimulator.credentials("alice")
    }

    deinit { sim.stop() }

    @Test func signedOrderRequestSucceeds() async throws {
        let response = try await sim.client(alice).order(id: liquidatedOrder, instrumentID: "BTC-USDT-SWAP")
        let order = try #require(response.items.first)
        #expect(order.ordId == liquidatedOrder && order.instId == "BTC-USDT-SWAP")
        #expect(order.side == "buy" && order.posSide == "long" && order.tdMode == "isolated")
        #expect(order.sz == Decimal(string: "10") && order.avgPx == Decimal(string: "65000") && order.px == nil)
        #expect(order.fee == Decimal(string: "-3.25") && order.feeCcy == "USDT" && order.lever == 20)
        #expect(order.state == .filled && order.category == .normal)
        #expect(order.fillTime.map { $0 > order.cTime } == true)
        #expect(response.pages.count == 1 && response.attempts == 1)
    }

    @Test func rawAnswerIsKeptAsReceived() async throws {
        let response = try await sim.client(alice).order(id: liquidatedOrder, instrumentID: "BTC-USDT-SWAP")
        let page = try #require(response.pages.first)
        #expect(page.requestPath == "/api/v5/trade/order?ordId=\(liquidatedOrder)&instId=BTC-USDT-SWAP")
        #expect(try JSON(parsing: page.body) == page.json)
        #expect(page.json["code"] == "0" && response.raw == page.json)
        #expect(page.status == 200 && abs(page.fetchedAt.timeIntervalSinceNow) < 60)
    }

    @Test func liquidationOrderCategory() async throws {
        let order = try #require(try await sim.client(alice).order(id: "2940455327716859904", instrumentID: "BTC-USDT-SWAP").items.first)
        #expect(order.category == .fullLiquidation && order.category.isLiquidation)
        #expect(order.pnl == Decimal(string: "-305"))
    }

    @Test func wrongSecretIsAnAuthErrorWithAHint() async throws {
        let wrong = OKXCredentials(apiKey: alice.apiKey, secretKey: "00000000000000000000000000000000", passphrase: alice.passphrase)
        let error = try await expectFailure { try await self.sim.client(wrong).order(id: self.liquidatedOrder, instrumentID: "BTC-USDT-SWAP") }
        #expect(error.code == .authError && error.okxCode == "50113" && error.httpStatus == 401)
        #expect(error.hint.contains("secret key"))
        #expect(!error.isRetryable && error.attempts == 1)
    }

    @Test func wrongPassphrase() async throws {
        let wrong = OKXCredentials(apiKey: alice.apiKey, secretKey: alice.secretKey, passphrase: "not-the-passphrase")
        let error = try await expectFailure { try await self.sim.client(wrong).order(id: self.liquidatedOrder, instrumentID: "BTC-USDT-SWAP") }
        #expect(error.code == .authError && error.okxCode == "50105")
        #expect(error.hint.contains("passphrase"))
    }

    @Test func unknownKey() async throws {
        let unknown = OKXCredentials(apiKey: "00000000-0000-4000-8000-000000000000", secretKey: alice.secretKey, passphrase: alice.passphrase)
        let error = try await expectFailure { try await self.sim.client(unknown).order(id: self.liquidatedOrder, instrumentID: "BTC-USDT-SWAP") }
        #expect(error.code == .authError && error.okxCode == "50111")
    }

    @Test func persistentClockRefusalKeepsTheClockHint() async throws {
        try await sim.fault("50102", endpoint: "/api/v5/trade/order", count: 4)
        let error = try await expectFailure { try await self.sim.client(self.alice).order(id: self.liquidatedOrder, instrumentID: "BTC-USDT-SWAP") }
        #expect(error.code == .authError && error.okxCode == "50102")
        #expect(error.hint.contains("check the host clock / NTP; OKX refuses timestamps more than 30 s off"))
        #expect(error.isClockProblem && error.isRetryable && !error.isKeyProblem && error.attempts == 4)
        #expect(try await sim.client(alice, clock: { Date().addingTimeInterval(20) })
            .order(id: liquidatedOrder, instrumentID: "BTC-USDT-SWAP").items.count == 1, "20 s off is still accepted")
    }

    @Test func keyWithoutReadPermission() async throws {
        let error = try await expectFailure {
            try await self.sim.client(try OKXSimulator.credentials("mike")).order(id: "2975000111222333440", instrumentID: "BTC-USDT-SWAP")
        }
        #expect(error.code == .authError && error.okxCode == "50120" && error.hint.contains("Read permission"))
    }

    @Test func keyBoundToOtherIPs() async throws {
        let error = try await expectFailure {
            try await self.sim.client(try OKXSimulator.credentials("nina")).order(id: "2976000111222333440", instrumentID: "ETH-USDT-SWAP")
        }
        #expect(error.code == .authError && error.okxCode == "50110" && error.hint.contains("whitelist"))
    }

    @Test func demoKeyNeedsSimulatedTrading() async throws {
        let lena = try OKXSimulator.credentials("lena")
        let error = try await expectFailure { try await self.sim.client(lena).order(id: "2974000111222333440", instrumentID: "BTC-USDT-SWAP") }
        #expect(error.code == .authError && error.okxCode == "50101" && error.hint.contains("simulated"))
        let order = try await sim.client(lena, simulated: true).order(id: "2974000111222333440", instrumentID: "BTC-USDT-SWAP")
        #expect(order.items.count == 1)
    }

    @Test func unknownOrderIsNotFound() async throws {
        let error = try await expectFailure { try await self.sim.client(self.alice).order(id: "1111111111111111111", instrumentID: "BTC-USDT-SWAP") }
        #expect(error.code == .notFound && error.okxCode == "51603" && error.httpStatus == 200)
        #expect(error.hint.contains("1111111111111111111") && error.hint.contains("BTC-USDT-SWAP"))
        #expect(!error.isRetryable && error.attempts == 1)
    }

    @Test func anotherAccountsOrderIsNotFound() async throws {
        let grace = try OKXSimulator.credentials("grace")
        let heidis = "2972777888999000064"
        let error = try await expectFailure { try await self.sim.client(grace).order(id: heidis, instrumentID: "BTC-USDT-SWAP") }
        #expect(error.code == .notFound && error.okxCode == "51603")
        #expect(try await sim.client(try OKXSimulator.credentials("heidi")).order(id: heidis, instrumentID: "BTC-USDT-SWAP").items.count == 1)
    }

    @Test func mismatchedInstrumentIsNotFound() async throws {
        let error = try await expectFailure { try await self.sim.client(self.alice).order(id: self.liquidatedOrder, instrumentID: "ETH-USDT-SWAP") }
        #expect(error.code == .notFound && error.hint.contains("belong together"))
    }

    @Test func malformedIdentifiersAreRefusedBeforeSending() async throws {
        let client = sim.client(alice)
        for (ordId, instId) in [("12a", "BTC-USDT-SWAP"), ("", "BTC-USDT-SWAP"), ("1", "BTC-USDT-SWAP&x=1"), ("1", "")] {
            let error = try await expectFailure { try await client.order(id: ordId, instrumentID: instId) }
            #expect(error.code == .remote4xx && error.attempts == 0)
        }
    }

    @Test func credentialsWithControlCharactersAreRefusedBeforeSending() async throws {
        let injected = OKXCredentials(apiKey: alice.apiKey, secretKey: alice.secretKey, passphrase: "x\r\nX-Injected: 1")
        let error = try await expectFailure { try await self.sim.client(injected).order(id: self.liquidatedOrder, instrumentID: "BTC-USDT-SWAP") }
        #expect(error.code == .authError && error.attempts == 0)
    }

    @Test func positionsHistoryGathersEveryPage() async throws {
        let ken = try OKXSimulator.credentials("ken")
        let response = try await sim.client(ken).positionsHistory(instrumentID: "BTC-USDT-SWAP", from: nil, to: nil)
        #expect(response.items.count == 231 && response.isComplete)
        #expect(response.pages.count == 3)
        #expect(response.pages.dropFirst().allSatisfy { $0.requestPath.contains("&after=") })
        #expect(Set(response.items.map(\.posId)).count == 231)
        #expect(response.items.map(\.uTime) == response.items.map(\.uTime).sorted(by: >))
        let liquidation = try #require(response.items.last)
        #expect(liquidation.posId == "1745500000000000001" && liquidation.type == .liquidation && liquidation.type.isLiquidation)
        #expect(liquidation.realizedPnl == -84 && liquidation.liqPenalty == Decimal(string: "-7.167"))
        let received = response.pages.map { $0.json["data"]?.arrayValue?.count ?? 0 }
        #expect(response.raw["data"]?.arrayValue?.count == received.reduce(0, +))
        #expect(received == [100, 100, 33], "pages overlap by the record at the previous page's oldest uTime")
    }

    @Test func positionsHistoryWindowAndPageBound() async throws {
        let ken = try OKXSimulator.credentials("ken")
        let all = try await sim.client(ken).positionsHistory(instrumentID: "BTC-USDT-SWAP", from: nil, to: nil).items
        let window = try await sim.client(ken).positionsHistory(instrumentID: "BTC-USDT-SWAP", from: all[20].uTime, to: all[10].uTime)
        #expect(window.items.map(\.posId) == all[10...20].map(\.posId))
        let bounded = try await sim.client(ken).positionsHistory(OKXPositionsHistoryQuery(instrumentID: "BTC-USDT-SWAP", maximumPages: 2))
        #expect(!bounded.isComplete && bounded.items.count == 199 && bounded.items.map(\.posId) == all[..<199].map(\.posId))
    }

    @Test func instrumentSpecification() async throws {
        let instrument = try #require(try await sim.client(alice).instrument(id: "BTC-USDT-SWAP").items.first)
        #expect(instrument.ctVal == Decimal(string: "0.01") && instrument.ctMult == 1)
        #expect(instrument.ctValCcy == "BTC" && instrument.settleCcy == "USDT" && instrument.ctType == "linear")
        let error = try await expectFailure { try await self.sim.client(self.alice).instrument(id: "NOPE-USDT-SWAP") }
        #expect(error.code == .notFound && error.okxCode == "51001")
    }

    @Test func fillsShowTheLiquidation() async throws {
        let fills = try await sim.client(alice).fills(OKXFillsQuery(instrumentID: "BTC-USDT-SWAP")).items
        #expect(fills.map(\.ordId) == ["2940455327716859904", liquidatedOrder])
        #expect(fills[0].isForced && fills[0].isLiquidation && fills[0].subType == 104 && fills[0].tradeId.hasPrefix("-"))
        #expect(!fills[1].isForced)
        let recent = try await sim.client(alice).fills(OKXFillsQuery(instrumentID: "BTC-USDT-SWAP", history: false)).items
        #expect(recent.map(\.ordId) == ["2940455327716859904"], "trade/fills covers 3 days only")
    }

    @Test func serverTimeIsOKXsClock() async throws {
        let before = Date()
        let ts = try await sim.client(alice).serverTime()
        let seconds = Double(ts) / 1000
        #expect(seconds >= before.timeIntervalSince1970 - 1 && seconds <= Date().timeIntervalSince1970 + 1)
    }

    @Test func worksThroughTheExchangeProtocol() async throws {
        let exchange: AnyOKXExchange = sim.client(alice)
        #expect(exchange.exchangeName == "okx")
        do {
            _ = try await exchange.order(id: "1", instrumentID: "BTC-USDT-SWAP")
            Issue.record("expected NOT_FOUND")
        } catch {
            #expect(error.code == .notFound && error.exchangeCode == "51603")
        }
    }

    @Test func noCredentialStringAppearsInErrorsOrRecords() async throws {
        var texts = [String(describing: alice), String(reflecting: alice)]
        var dumped = ""
        dump(alice, to: &dumped)
        texts.append(dumped)
        let variants = [
            OKXCredentials(apiKey: alice.apiKey, secretKey: "00000000000000000000000000000000", passphrase: alice.passphrase),
            OKXCredentials(apiKey: alice.apiKey, secretKey: alice.secretKey, passphrase: "wrong-passphrase-123"),
            alice,
        ]
        for credentials in variants {
            let client = sim.client(credentials)
            for (ordId, instId) in [(liquidatedOrder, "BTC-USDT-SWAP"), ("1", "BTC-USDT-SWAP"), (liquidatedOrder, "XYZ-USDT-SWAP")] {
                do { _ = try await client.order(id: ordId, instrumentID: instId) } catch {
                    texts += [error.description, error.msg, error.hint, String(reflecting: error)]
                }
            }
        }
        try await sim.fault("50102", endpoint: "/api/v5/trade/order", count: 4)
        let skewed = try await expectFailure {
            try await self.sim.client(self.alice).order(id: self.liquidatedOrder, instrumentID: "BTC-USDT-SWAP")
        }
        texts.append(String(reflecting: skewed))
        let success = try await sim.client(alice).order(id: liquidatedOrder, instrumentID: "BTC-USDT-SWAP")
        texts += success.pages.map { $0.requestPath + String(decoding: $0.body, as: UTF8.self) + $0.json.serializedString }
        #expect(texts.count >= 12)
        for secret in [alice.apiKey, alice.secretKey, alice.passphrase, "wrong-passphrase-123", "00000000000000000000000000000000"] {
            for text in texts { #expect(!text.contains(secret), "a credential leaked into: \(text)") }
        }
    }
}

/// Runs `body`, which must throw an `OKXError`, and returns it.
func expectFailure<T>(_ body: () async throws -> T, sourceLocation: SourceLocation = #_sourceLocation) async throws -> OKXError {
    do {
        _ = try await body()
    } catch let error as OKXError {
        return error
    }
    Issue.record("expected an OKXError", sourceLocation: sourceLocation)
    throw CancellationError()
}
