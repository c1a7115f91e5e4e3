import Foundation
import Indexer
import Keeper
import Verification
import Wire

// lg-bench: the log-replay server and its companions for `bench/index.sh` (BENCHMARKS.md).
// Not part of the product: `lg-keeper` neither links nor ships it.

let usage = """
    usage: lg-bench COMMAND [--logs N] [--seed S] [options]
      serve    [--port P] [--max-results M]      the JSON-RPC log-replay server (prints "listening on http://127.0.0.1:PORT")
      fetch    --url URL [--range R]             fetch every range as the keeper does, parse nothing: the server's own rate
      render   [--range R]                       render every range in-process, no socket: the renderer's own rate
      ceiling  --db FILE [--range R] [--events-only]   insert the same rows with SQLite's C API
      check    --db FILE [--sample K]            compare a keeper database with the corpus (row count and a sample)
      verify-core --okx URL [--scenarios DIR] [--iterations N] [--scratch DIR]
                                                 LiquidationVerifier over okxsim's answers recorded once: ms per claim
      describe [--through-log K]                 print the corpus' contract, chain id and head (and the block of log K)
      profile-index --config FILE                what `lg-keeper index --once` does (same Keeper calls), from a
                                                 synchronous main: valgrind cannot run Swift's async main
    defaults: --logs 1000000 --seed 1 --range 500 --sample 500
    """

struct Options {
    var values: [String: String] = [:]
    var flags: Set<String> = []

    init(_ words: ArraySlice<String>) throws {
        var words = words
        while let word = words.popFirst() {
            guard word.hasPrefix("--") else { throw UsageError("unexpected argument \(word)") }
            let name = String(word.dropFirst(2))
            if ["events-only"].contains(name) { flags.insert(name); continue }
            guard let value = words.popFirst() else { throw UsageError("\(word) needs a value") }
            values[name] = value
        }
    }

    func int(_ name: String, _ fallback: Int) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")), value >= 0 else { throw UsageError("--\(name) needs a number") }
        return value
    }

    func string(_ name: String) throws -> String {
        guard let value = values[name] else { throw UsageError("--\(name) is required") }
        return value
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func main() throws -> Int32 {
    let arguments = CommandLine.arguments
    guard arguments.count >= 2, !["-h", "--help"].contains(arguments[1]) else {
        print(usage)
        return arguments.count >= 2 ? 0 : 64
    }
    let options = try Options(arguments.dropFirst(2))
    let corpus = LogCorpus(seed: UInt64(try options.int("seed", 1)), totalLogs: try options.int("logs", 1_000_000))
    let range = max(1, try options.int("range", 500))
    let clock = ContinuousClock()

    switch arguments[1] {
    case "serve":
        let maximum = try options.int("max-results", 0)
        try ReplayServer(renderer: RPCRenderer(corpus: corpus, maximumResults: maximum > 0 ? maximum : nil))
            .run(port: UInt16(try options.int("port", 0)))

    case "profile-index":
        let config = try Config.load(path: try options.string("config"))
        let outcome = blockingAwait { () async -> Result<LogFollower.RoundReport, KeeperError> in
            do throws(KeeperError) {
                let session = try IndexerSession(config: config)
                let follower = session.follower(log: .discarding)
                try await follower.start()
                return .success(try await follower.round())
            } catch { return .failure(error) }
        }
        let report = try outcome.get()
        print("profile-index: head \(report.head), new events \(report.newEvents)")

    case "verify-core":
        let policy = try CoveragePolicy(currency: "USDT", poolDecimals: 6, coverageBps: 10_000, maxPayoutPerClaim: 1_000_000 * 1_000_000, coverADL: true, maxClaimAgeDays: 30)
        let scratch = options.values["scratch"] ?? NSTemporaryDirectory() + "lg-bench-verify-\(getpid())"
        defer { if options.values["scratch"] == nil { try? FileManager.default.removeItem(atPath: scratch) } }
        let okx = try options.string("okx"), scenarios = options.values["scenarios"] ?? "devnet/scenarios"
        let iterations = max(1, try options.int("iterations", 200))
        let outcome = blockingAwait { () async -> Result<VerifyCore.Result, Error> in
            do {
                let claims = try await VerifyCore.record(scenarios: scenarios, baseURL: okx, policy: policy, scratch: scratch)
                return .success(try await VerifyCore(claims: claims, policy: policy).run(iterations: iterations, scratch: scratch))
            } catch { return .failure(error) }
        }
        let result = try outcome.get()
        let perClaim = { (total: Double) in 1000 * total / Double(result.verifications) }
        print(String(format: "verify-core: %d claims × %d = %d verifications in %.3f s (cpu %.3f s): %.3f ms per claim, %.3f ms cpu per claim; "
                     + "seal alone %.3f ms, %.3f ms cpu per claim",
                     result.claims, iterations, result.verifications, result.seconds, result.cpuSeconds, perClaim(result.seconds),
                     perClaim(result.cpuSeconds), perClaim(result.sealSeconds), perClaim(result.sealCPUSeconds)))

    case "describe":
        var line = "contract \(corpus.contract.hex) chain_id \(corpus.chainID) head \(corpus.head) logs \(corpus.totalLogs)"
        if let log = options.values["through-log"] {
            guard let position = Int(log), (0..<corpus.totalLogs).contains(position) else { throw UsageError("--through-log needs a log position") }
            line += " through_block \(corpus.block(ofLog: position))"
        }
        print(line)

    case "render":
        let renderer = RPCRenderer(corpus: corpus)
        var out = ByteWriter(capacity: 1 << 24)
        var bytes = 0
        let started = clock.now
        for from in stride(from: UInt64(0), through: corpus.head, by: range) {
            let to = min(corpus.head, from + UInt64(range) - 1)
            out.removeAll()
            renderer.answer(batchBody(corpus: corpus, from: from, to: to), into: &out)
            bytes += out.count
        }
        let elapsed = seconds(clock.now - started)
        print(String(format: "render: %d logs, %.1f MB in %.3f s: %.0f logs/s, %.0f MB/s", corpus.totalLogs, Double(bytes) / 1e6, elapsed,
                     Double(corpus.totalLogs) / elapsed, Double(bytes) / 1e6 / elapsed))

    case "fetch":
        let url = try options.string("url")
        let http = HTTPClient(options: HTTPClient.Options(totalTimeoutMilliseconds: 120_000, maximumResponseBytes: 1 << 30))
        var bytes = 0
        let started = clock.now
        for from in stride(from: UInt64(0), through: corpus.head, by: range) {
            let to = min(corpus.head, from + UInt64(range) - 1)
            let response = try http.sendBlocking(HTTPRequest(method: .post, url: url, headers: [("Content-Type", "application/json")],
                                                             body: batchBody(corpus: corpus, from: from, to: to)))
            guard response.status == 200 else { throw UsageError("HTTP \(response.status) for \(from)…\(to)") }
            bytes += response.body.count
        }
        let elapsed = seconds(clock.now - started)
        print(String(format: "fetch: %d logs, %.1f MB in %.3f s: %.0f logs/s, %.0f MB/s", corpus.totalLogs, Double(bytes) / 1e6, elapsed,
                     Double(corpus.totalLogs) / elapsed, Double(bytes) / 1e6 / elapsed))

    case "ceiling":
        let events = options.flags.contains("events-only")
        let result = try Ceiling(corpus: corpus, range: range, withBookkeeping: !events).run(databasePath: try options.string("db"))
        guard result.rows == corpus.totalLogs else { throw UsageError("the ceiling inserted \(result.rows) rows of \(corpus.totalLogs)") }
        print(String(format: "ceiling%@: %d rows, %d claims in %.3f s (cpu %.3f s): %.0f logs/s, %.0f logs per cpu-s",
                     events ? " (events only)" : "", result.rows, result.claims, result.seconds, result.cpuSeconds,
                     Double(result.rows) / result.seconds, Double(result.rows) / result.cpuSeconds))

    case "check":
        let report = try IndexCheck(corpus: corpus, sample: try options.int("sample", 500)).run(databasePath: try options.string("db"))
        for mismatch in report.mismatches.prefix(10) { print("mismatch: \(mismatch)") }
        print("check: events \(report.rows)/\(corpus.totalLogs), claims \(report.claims)/\(report.expectedClaims), "
            + "sample \(report.compared - report.mismatches.count)/\(report.compared) equal: \(report.passed ? "ok" : "FAILED")")
        return report.passed ? 0 : 1

    default:
        throw UsageError("unknown command \(arguments[1])")
    }
    return 0
}

/// The batch the keeper's follower sends for one range: eth_getLogs and one eth_getBlockByNumber per block.
func batchBody(corpus: LogCorpus, from: UInt64, to: UInt64) -> [UInt8] {
    var text = #"[{"id":0,"jsonrpc":"2.0","method":"eth_getLogs","params":[{"address":"\#(corpus.contract.hex)","fromBlock":"0x\#(String(from, radix: 16))","toBlock":"0x\#(String(to, radix: 16))"}]}"#
    for number in from...to {
        text += #",{"id":\#(number + 1),"jsonrpc":"2.0","method":"eth_getBlockByNumber","params":["0x\#(String(number, radix: 16))",false]}"#
    }
    return Array((text + "]").utf8)
}

private final class AwaitBox<T>: @unchecked Sendable { var value: T? }

/// Runs `body` on the cooperative pool and blocks this thread until it returns.
func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = AwaitBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}

do {
    exit(try main())
} catch {
    FileHandle.standardError.write(Data("lg-bench: \(error)\n".utf8))
    exit(error is UsageError ? 64 : 70)
}
