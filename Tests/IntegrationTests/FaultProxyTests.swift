import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper

/// The follower through `devnet/faultproxy.py`: for every fault kind, the final `events` table is
/// the one indexed without faults. Own devnode (the events are made once) and one proxy.
@Suite(.serialized) struct FaultProxyTests {
    final class Fixture: @unchecked Sendable {
        let devnet: Devnet
        let proxy: ServerProcess
        let harness: IndexerHarness
        let clean: [EventRow]

        init() throws {
            devnet = try Devnet(arguments: ["--pool-token"])
            proxy = try ServerProcess(script: "faultproxy.py", arguments: ["--upstream", devnet.rpcURL])
            harness = try IndexerHarness(devnet: devnet)
            try harness.makeEvents(claims: 18, deposits: 6, perBlock: 3, orderBase: 7_000)
            clean = try harness.reference()
        }
    }
    static let fixture = Result { try Fixture() }

    static let faults: [(String, String)] = [
        ("timeout", #"{"fault":"timeout","every":4,"limit":2,"delay":60}"#),
        ("http429", #"{"fault":"http429","every":2,"limit":6}"#),
        ("http5xx", #"{"fault":"http5xx","every":2,"limit":6,"status":502}"#),
        ("drop", #"{"fault":"drop","every":2,"limit":6}"#),
        ("toomany", #"{"fault":"toomany","every":1,"limit":4}"#),
        ("lag", #"{"fault":"lag","every":1,"limit":3,"blocks":4}"#),
        ("omit", #"{"fault":"omit","every":1,"limit":3}"#),
        ("corrupt", #"{"fault":"corrupt","every":2,"limit":3}"#),
    ]

    func admin(_ fixture: Fixture, _ body: String) async throws -> JSON {
        let response = try await HTTPClient().send(HTTPRequest(method: .post, url: fixture.proxy.baseURL + "/__admin",
                                                               headers: [("Content-Type", "application/json")], body: Array(body.utf8)))
        #expect(response.status == 200)
        return try JSON(parsing: response.body)
    }

    @Test(arguments: FaultProxyTests.faults.map(\.0))
    func everyFaultEndsWithTheSameTable(kind: String) async throws {
        let fixture = try Self.fixture.get()
        let settings = try #require(Self.faults.first { $0.0 == kind }?.1)
        _ = try await admin(fixture, #"{"fault":"none"}"#)
        // Held requests (60 s) far beyond the timeout, answered ones (milliseconds, seconds on a loaded
        // machine) far below it.
        let follower = try await fixture.harness.follower(rpcURL: fixture.proxy.baseURL, confirmations: 0, maxBlockRange: 8,
                                                          requestTimeoutMs: 6_000)
        _ = try await admin(fixture, settings)
        // A round may give up after its bounded retries; the next one resumes from the cursor.
        var rows = [EventRow]()
        for _ in 0..<8 {
            _ = try? await follower.round()
            rows = try IndexerHarness.rows(follower.store)
            if rows == fixture.clean { break }
        }
        let state = try JSON(parsing: try await HTTPClient().send(HTTPRequest(method: .get, url: fixture.proxy.baseURL + "/__admin")).body)
        _ = try await admin(fixture, #"{"fault":"none"}"#)
        expectSameRows(rows, fixture.clean, "through fault \(kind)")
        #expect((state["injected"]?.intValue ?? 0) > 0, "the proxy injected \(kind)")
        let statistics = follower.statistics
        switch kind {
        case "omit": #expect(statistics.missedLogsRecovered > 0, "the re-scan recovered the omitted logs")
        case "corrupt": #expect(statistics.inconsistentAnswers > 0, "corrupted answers were refused")
        case "toomany": #expect(statistics.rangeRefusals > 0)
        case "lag": #expect(statistics.reorgs == 0, "a lagging node is not a reorg")
        default: break  // retried inside the JSON-RPC client; the proxy's count above shows they happened
        }
        #expect(statistics.reorgs == 0)

        if kind == "lag" {
            // Fully indexed, then the node falls behind our newest block: neither a reorg nor a rollback.
            _ = try await admin(fixture, #"{"fault":"lag","every":1,"blocks":5}"#)
            let report = try await follower.round()
            _ = try await admin(fixture, #"{"fault":"none"}"#)
            #expect(report.reorgs == 0)
            expectSameRows(try IndexerHarness.rows(follower.store), fixture.clean, "with the node behind the index")
        }
    }
}
