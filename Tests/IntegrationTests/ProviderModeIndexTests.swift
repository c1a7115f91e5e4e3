import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Store

/// `lg-keeper index --once` through `devnet/faultproxy.py` in each provider mode, over the log-replay
/// server (`lg-bench serve`): every served log is indexed exactly once, whatever the provider's limits.
/// The limits are scaled to the corpus so that each mode bites; the 50,000-log run and its timing
/// against the direct run are in BENCHMARKS.md (bench/providers.sh).
@Suite(.serialized) struct ProviderModeIndexTests {
    static let logs = 3_000

    /// (mode, faultproxy settings, keeper `chain` overrides, whether the proxy must have refused something).
    static let modes: [(String, String, String, Bool)] = [
        ("geth-batch", #"{"fault":"geth-batch","batchLimit":7}"#, #""maxBatchSize": 40"#, true),
        ("erigon-batch", #"{"fault":"erigon-batch","batchLimit":9}"#, #""maxBatchSize": 40"#, true),
        ("cu429", #"{"fault":"cu429","cups":1000,"retryAfter":1}"#, #""maxBatchSize": 20"#, true),
        // The same plan with chain.maxRequestsPerSecond set to fit it: not one 429.
        ("cu429-paced", #"{"fault":"cu429","cups":1000,"retryAfter":1}"#, #""maxBatchSize": 20, "maxRequestsPerSecond": 50"#, false),
        ("infura-range", #"{"fault":"infura-range","maxResults":300}"#, #""maxBatchSize": 50"#, true),
        ("alchemy-range", #"{"fault":"alchemy-range","maxResults":300,"maxRange":5}"#, #""maxBatchSize": 50"#, true),
        ("reth-range", #"{"fault":"reth-range","maxResults":300}"#, #""maxBatchSize": 50"#, true),
        ("quicknode-range", #"{"fault":"quicknode-range","maxRange":7}"#, #""maxBatchSize": 50"#, true),
        ("bsc-range", #"{"fault":"bsc-range","maxRange":9}"#, #""maxBatchSize": 50"#, true),
        ("lb-lag", #"{"fault":"lb-lag","blocks":2}"#, #""maxBatchSize": 50"#, true),
    ]

    /// A replay server and a proxy in front of it, for one test: both stopped when it ends
    /// (`lg-bench serve` has no lifeline, so it must not outlive the test process).
    final class Fixture {
        let bench: String
        let server: ServerProcess
        let proxy: ServerProcess
        let contract: String
        let chainID: String

        init() throws {
            bench = URL(fileURLWithPath: KeeperBinary.path).deletingLastPathComponent().appendingPathComponent("lg-bench").path
            server = try ServerProcess(executable: bench, arguments: ["serve", "--logs", "\(ProviderModeIndexTests.logs)"])
            proxy = try ServerProcess(script: "faultproxy.py", arguments: ["--upstream", server.baseURL])
            let described = try ChildProcess.run(bench, ["describe", "--logs", "\(ProviderModeIndexTests.logs)", "--seed", "1"])
            let words = described.stdout.split(separator: " ").map(String.init)
            contract = words[1]
            chainID = words[3]
        }

        func stop() {
            proxy.stop()
            server.stop()
        }
    }

    @Test(arguments: ProviderModeIndexTests.modes.map(\.0))
    func indexOnceThroughTheModeIndexesEveryLogOnce(mode: String) async throws {
        let fixture = try Fixture()
        defer { fixture.stop() }
        let (_, settings, overrides, mustRefuse) = try #require(Self.modes.first { $0.0 == mode })
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-provider-\(mode)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let database = work.appendingPathComponent("keeper.sqlite").path
        let config = work.appendingPathComponent("keeper.json").path
        try """
            {"chain": {"rpcUrls": ["\(fixture.proxy.baseURL)"], "chainId": \(fixture.chainID), "contract": "\(fixture.contract)",
                       "startBlock": 0, "confirmations": 0, "maxBlockRange": 50, "requestTimeoutMs": 20000, \(overrides)},
             "store": {"path": "\(database)"}}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try await admin(fixture, settings)["fault"]?.stringValue == (mode == "cu429-paced" ? "cu429" : mode))

        // `--once` stops at the head the node reported; a lagging backend may report two blocks less,
        // so the next run (as the next round would) indexes the rest. Never more than three runs.
        var indexed = 0
        for _ in 0..<3 where indexed < Self.logs {
            let result = try ChildProcess.run(KeeperBinary.path, ["index", "--once", "--config", config])
            #expect(result.status == 0, "\(mode): \(result.stdout) \(result.stderr)")
            indexed = try Database(path: database).fetchOne("SELECT count(*) FROM events", as: Int.self) ?? -1
        }
        let state = try JSON(parsing: try await HTTPClient().send(HTTPRequest(method: .get, url: fixture.proxy.baseURL + "/__admin")).body)
        _ = try await admin(fixture, #"{"fault":"none"}"#)
        #expect(indexed == Self.logs, "\(mode): \(indexed) rows for \(Self.logs) served logs")
        // Every row equals the served log (lg-bench check compares the count and every column of a sample).
        let check = try ChildProcess.run(fixture.bench, ["check", "--logs", "\(Self.logs)", "--seed", "1", "--db", database, "--sample", "300"])
        #expect(check.status == 0, "\(mode): \(check.stdout) \(check.stderr)")
        let injected = state["injected"]?.intValue ?? -1
        if mustRefuse {
            #expect(injected > 0, "\(mode): the proxy never refused anything, so the mode was not exercised")
        } else {
            #expect(injected == 0, "\(mode): paced to the plan, yet answered 429 \(injected) times")
        }
    }

    /// An oversize batch in geth's form (one-element array) is halved until it passes, in Erigon's form
    /// (one object stating the limit) cut to the stated limit; either way the size is kept, so later
    /// batches are not refused again.
    @Test(arguments: [("geth-batch", 7, 5), ("erigon-batch", 9, 9)])
    func oversizeBatchesNarrowAndTheSizeIsRemembered(mode: String, limit: Int, narrowed: Int) async throws {
        let fixture = try Fixture()
        defer { fixture.stop() }
        _ = try await admin(fixture, #"{"fault":"\#(mode)","batchLimit":\#(limit)}"#)
        let client = JSONRPCClient(endpoints: [fixture.proxy.baseURL], retry: RetryPolicy(maximumAttempts: 2), limits: RPCLimits(maxBatchSize: 40))
        let numbers = (1...40).map { UInt64($0) }
        let headers = try await client.headers(numbers)
        #expect(headers.keys.sorted() == numbers, "every header answered after narrowing")
        #expect(client.currentBatchLimit == narrowed)
        let refused = try await proxyState(fixture)["injected"]?.intValue ?? -1
        #expect(refused >= 1)
        _ = try await client.headers(numbers)
        #expect(try await proxyState(fixture)["injected"]?.intValue == refused, "the narrowed size is remembered")
    }

    /// A 429 with Retry-After is waited out for as long as asked, and the same request then succeeds.
    @Test func rateLimitIsWaitedOutForItsRetryAfter() async throws {
        let fixture = try Fixture()
        defer { fixture.stop() }
        _ = try await admin(fixture, #"{"fault":"cu429","cups":300,"retryAfter":1}"#)  // one batch of 16 headers (256 CU) a second
        let client = JSONRPCClient(endpoints: [fixture.proxy.baseURL], retry: RetryPolicy(maximumAttempts: 3, baseDelayMilliseconds: 1, maximumDelayMilliseconds: 5),
                                   limits: RPCLimits(maxBatchSize: 16))
        let started = ContinuousClock.now
        // Three batches back to back: two of them fall in one of the proxy's one-second windows even when
        // the first two straddle a window's edge (two batches alone met no 429 now and then).
        let headers = try await client.headers((1...48).map { UInt64($0) })
        #expect(headers.count == 48)
        #expect(try await proxyState(fixture)["injected"]?.intValue ?? 0 >= 1, "a batch met a 429")
        #expect(ContinuousClock.now - started >= .seconds(1), "Retry-After: 1 was honoured, not the 5 ms backoff")
    }

    private func proxyState(_ fixture: Fixture) async throws -> JSON {
        try JSON(parsing: try await HTTPClient().send(HTTPRequest(method: .get, url: fixture.proxy.baseURL + "/__admin")).body)
    }

    private func admin(_ fixture: Fixture, _ body: String) async throws -> JSON {
        let response = try await HTTPClient().send(HTTPRequest(method: .post, url: fixture.proxy.baseURL + "/__admin",
                                                               headers: [("Content-Type", "application/json")], body: Array(body.utf8)))
        #expect(response.status == 200)
        return try JSON(parsing: response.body)
    }
}
