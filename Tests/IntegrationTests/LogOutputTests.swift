import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

/// Issue 16's logs through `lg-keeper run`: every line is one event with an RFC 3339 timestamp and a
/// level, as JSON or as logfmt; a trader's instId holding a newline and an ANSI escape never reaches the
/// log raw; `--log-level` filters; and a webhook that swallows connections never holds up a round.
@Suite(.serialized) struct LogOutputTests {
    /// What a trader may name as the instrument of a claim (the contract takes up to 64 bytes).
    static let hostileInstID = "BTC-USDT\n\u{1B}[31mlevel=error msg=\"key exported\"\u{1B}[0m"
    static func isTimestamp(_ text: String?) -> Bool {
        guard let text, let regex = try? Regex(#"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#) else { return false }
        return text.wholeMatch(of: regex) != nil
    }

    @Test func aBadLogFlagOrConfigValueIsOneClearLine() throws {
        let format = try KeeperBinary.run(["run", "--log-format", "xml"])
        #expect(format.status == 64, "\(format.stderr)")
        // The one line saying what to fix, then the command's usage.
        #expect(format.stderr.hasPrefix("lg-keeper: --log-format must be logfmt or json, not 'xml'\nusage: lg-keeper run "), "\(format.stderr)")
        let level = try KeeperBinary.run(["index", "--log-level", "loud\u{1B}[2J"])
        #expect(level.status == 64 && level.stderr.hasPrefix("lg-keeper: --log-level must be debug, info, warn or error, not 'loud?[2J'\n"), "\(level.stderr)")
        #expect(level.stderr.contains("--log-level must be debug, info, warn or error") && !level.stderr.contains("\u{1B}"), "\(level.stderr)")
    }

    @Test(.timeLimit(.minutes(6))) func linesParseEscapeWhatTradersWriteAndAHungWebhookHoldsNoRound() async throws {
        let listener = try SilentListener()
        defer { listener.stop() }
        // A signer "poorer" than 1,000,000 ETH: signer_balance_low is raised in the first round, and its
        // delivery goes to a receiver that never answers, for a minute per attempt.
        let harness = try SettlementHarness(sections: ["alerts": ["webhookURL": .string("http://127.0.0.1:\(listener.port)/hook"), "secretEnv": "LGK_ALERT_SECRET",
                                                                  "minSignerBalance": "1000000", "timeoutMs": 60_000]],
                                            environment: ["LGK_ALERT_SECRET": "whsec-logs"])
        defer { harness.stop() }

        let badConfig = try harness.writeConfig("bad-log.json", ["log": ["format": "xml"]])
        let refused = try KeeperBinary.run(["run", "--config", badConfig], environment: harness.environment)
        #expect(refused.status == 78 && refused.stderr.contains("log.format must be \"logfmt\" or \"json\", not \"xml\""), "\(refused.stderr)")

        // 1. JSON. The delivery hangs; meanwhile a claim is filed and moved by a round.
        let keeper = try harness.startKeeper(["--log-format", "json"])
        let raised = try await harness.waitUntil(seconds: 60) { keeper.stderr.contains(#""msg":"alert raised""#) && listener.connections == 1 }
        #expect(raised, "\(keeper.stderr.suffix(3_000))")
        try requestClaim(harness, user: 3, order: 990_001)
        let moved = try await harness.waitForClaims(seconds: 30) { claims in claims.contains { $0.orderID == UInt256(990_001) && $0.state != .requested } }
        #expect(moved, "a round moved the claim while the alert's delivery hung: \(keeper.stderr.suffix(3_000))")
        #expect(listener.connections == 1 && !keeper.stderr.contains("alert delivery failed"), "the delivery was still hanging")
        let json = keeper.terminate()
        #expect(json.status == 0, "\(json.stderr.suffix(2_000))")
        var objects = [[String: Any]]()
        for line in json.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            #expect(Self.isTimestamp(object["ts"] as? String) && ["debug", "info", "warn", "error"].contains(object["level"] as? String ?? ""),
                    "\(line)")
            #expect(line.hasPrefix(#"{"ts":""#) && line.contains(#"","level":""#))
            objects.append(object)
        }
        #expect(json.stderr.hasSuffix("\n") && !json.stderr.contains("\u{1B}"))
        #expect(objects.contains { $0["msg"] as? String == "claim moved" && $0["inst_id"] as? String == Self.hostileInstID }, "the instId is logged, escaped")
        #expect(objects.filter { $0["msg"] as? String == "http listening" }.count == 1)
        #expect(!objects.contains { $0["msg"] as? String == "http request" }, "no access lines at info")

        // 2. Flags over the configuration: log.format json and log.level debug, overridden to logfmt and warn.
        let quiet = try harness.writeConfig("quiet.json", ["log": ["format": "json", "level": "debug"]])
        let warned = try KeeperBinary.start(["run", "--config", quiet, "--log-format", "logfmt", "--log-level", "warn"], environment: harness.environment)
        #expect(try await harness.waitUntil(seconds: 60) { warned.stderr.contains(#"msg="alert pending""#) }, "\(warned.stderr.suffix(2_000))")
        try await Task.sleep(for: .seconds(2))
        let warnOnly = warned.terminate()
        let warnLines = try logfmtLines(warnOnly.stderr)
        #expect(!warnLines.isEmpty && warnLines.allSatisfy { ["warn", "error"].contains($0[1].1) }, "\(warnOnly.stderr.suffix(2_000))")

        // 3. logfmt at info (the defaults): a second hostile claim.
        let plain = try harness.startKeeper()
        #expect(try await harness.waitUntil(seconds: 60) { plain.stderr.contains(#"msg="keeper started""#) }, "\(plain.stderr.suffix(2_000))")
        try requestClaim(harness, user: 4, order: 990_002)
        let movedAgain = try await harness.waitForClaims(seconds: 30) { claims in claims.contains { $0.orderID == UInt256(990_002) && $0.state != .requested } }
        #expect(movedAgain)
        let logfmt = plain.terminate()
        let lines = try logfmtLines(logfmt.stderr)
        #expect(lines.contains { $0[2].1 == "claim moved" && $0.contains { $0.0 == "inst_id" && $0.1 == Self.hostileInstID } }, "\(logfmt.stderr.suffix(2_000))")
        #expect(lines.contains { $0[1].1 == "info" } && !logfmt.stderr.contains("\u{1B}"))
        #expect(lines.filter { $0[2].1 == "http listening" }.count == 1)
    }

    /// `index --once` over the log-replay server: its catch-up says where it starts and how it ended,
    /// as JSON lines (the progress in between comes at most every 10 s: LogFollowerTests).
    @Test func indexOnceLogsItsCatchUpAsJSON() throws {
        let fixture = try ProviderModeIndexTests.Fixture()
        defer { fixture.stop() }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-index-logs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let config = work.appendingPathComponent("keeper.json").path
        try """
            {"chain": {"rpcUrls": ["\(fixture.server.baseURL)"], "chainId": \(fixture.chainID), "contract": "\(fixture.contract)",
                       "startBlock": 0, "confirmations": 0, "maxBlockRange": 50},
             "store": {"path": "\(work.appendingPathComponent("keeper.sqlite").path)"}}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run(KeeperBinary.path, ["index", "--once", "--config", config, "--log-format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try result.stderr.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            #expect(Self.isTimestamp(object["ts"] as? String) && object["level"] as? String == "info", "\(line)")
            return object
        }
        let start = try #require(objects.first { $0["msg"] as? String == "catching up" }, "\(result.stderr)")
        let end = try #require(objects.last, "\(result.stderr)")
        #expect(end["msg"] as? String == "caught up" && end["logs"] as? Int == ProviderModeIndexTests.logs, "\(result.stderr)")
        #expect((start["blocks"] as? Int ?? 0) > 50 && start["blocks"] as? Int == end["blocks"] as? Int)
    }

    /// Every line of `stderr` as logfmt pairs, `ts` (RFC 3339) then `level` then `msg` first.
    func logfmtLines(_ stderr: String) throws -> [[(String, String)]] {
        #expect(stderr.isEmpty || stderr.hasSuffix("\n"))
        return try stderr.split(separator: "\n").map { line in
            let pairs = try #require(parseLogfmt(String(line)), "not logfmt: \(line)")
            #expect(pairs.count >= 3 && pairs[0].0 == "ts" && pairs[1].0 == "level" && pairs[2].0 == "msg", "\(line)")
            #expect(Self.isTimestamp(pairs.first?.1), "\(line)")
            return pairs
        }
    }

    func requestClaim(_ harness: SettlementHarness, user: Int, order: Int) throws {
        _ = try ReferencePython.runDevnetScript("request_claim.py", ["--deployment", harness.devnet.deploymentFile, "--user", String(user),
                                                                     "--order-id", String(order), "--inst-id", Self.hostileInstID,
                                                                     "--principal", "1000000", "--leverage", "10"])
    }
}
