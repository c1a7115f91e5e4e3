import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

/// What `lg-keeper run` sees of the node and the contract each round (issue 14): a hung node is
/// logged at once and alerted after `alerts.rpcDownAfterSeconds`; the owner's `paused()` shows in
/// `/readyz`, `status`, `lgk_contract_paused` and `contract_paused`, and payouts wait for it.
@Suite(.serialized) struct NodeHealthTests {
    static func alerts(_ database: Database, _ kind: AlertKind) throws -> [JSON] {
        try database.fetchAll("SELECT body FROM alerts WHERE kind = ?", [kind.rawValue]).map { try JSON(parsing: try $0.get("body", as: String.self)) }
    }

    static func occurrences(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test(.timeLimit(.minutes(3))) func aHungNodeIsLoggedAtOnceAndAlertedWithinTheConfiguredSeconds() async throws {
        let harness = try SettlementHarness(sections: ["alerts": ["rpcDownAfterSeconds": 4]])
        defer { harness.stop() }
        var section = try #require(harness.configDocument["chain"]?.objectValue)
        section["requestTimeoutMs"] = 1_000
        let path = try harness.writeConfig("hung.json", ["chain": .object(section)])
        let keeper = try KeeperBinary.start(["run", "--config", path], environment: harness.environment)
        let database = try harness.database()
        #expect(try await harness.waitUntil(seconds: 30) { keeper.stderr.contains("msg=\"keeper started\"") })
        try await Task.sleep(for: .seconds(1))

        harness.devnet.suspend()
        let hungAt = Date()
        // The first failed round says so: one request timeout (1 s), not the product of nested retries.
        // Timed by the line's own `ts`, not by when this busy test process noticed it.
        let logged = try await harness.waitUntil(seconds: 60) { keeper.stderr.contains("msg=\"node stopped answering\"") }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let line = keeper.stderr.split(separator: "\n").first { $0.contains("msg=\"node stopped answering\"") }
        let stamp = line?.firstMatch(of: /^ts=(\S+)\s/).map { String($0.1) }
        let loggedAfter = try #require(stamp.flatMap { formatter.date(from: $0) }, "ts of \(line ?? "-")").timeIntervalSince(hungAt)
        let alerted = try await harness.waitUntil(seconds: 60) { try Self.alerts(database, .rpcDown).count == 1 }
        // Timed by the keeper's own record (`raised_at`), likewise.
        let raisedAt = try database.fetchOne("SELECT raised_at FROM alerts WHERE kind = ?", [AlertKind.rpcDown.rawValue], as: String.self)
        let alertedAfter = try #require(raisedAt.flatMap { formatter.date(from: $0) }, "raised_at \(raisedAt ?? "-")").timeIntervalSince(hungAt)
        harness.devnet.resume()
        #expect(logged && loggedAfter < 4, "logged after \(loggedAfter) s: \(keeper.stderr.suffix(1_500))")
        #expect(alerted, "\(keeper.stderr.suffix(1_500))")
        // After 4 s of silence, within one more request timeout and a poll interval.
        #expect(alertedAfter >= 3 && alertedAfter < 4 + 1 + 2, "rpc_down after \(alertedAfter) s")
        let message = try Self.alerts(database, .rpcDown).first?["message"]?.stringValue ?? ""
        #expect(message.contains("no round has reached the node for") && message.contains("alerts.rpcDownAfterSeconds 4"), "\(message)")

        #expect(try await harness.waitUntil(seconds: 60) { keeper.stderr.contains("msg=\"node answering again\"") }, "\(keeper.stderr.suffix(1_500))")
        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "\(stopped.stderr.suffix(1_500))")
        // One line each way for the outage, not one per failed round; one alert.
        #expect(Self.occurrences("msg=\"node stopped answering\"", in: stopped.stderr) == 1, "\(stopped.stderr.suffix(2_000))")
        #expect(Self.occurrences("msg=\"node answering again\"", in: stopped.stderr) == 1)
        #expect(try Self.alerts(database, .rpcDown).count == 1)
    }

    @Test(.timeLimit(.minutes(4))) func aPausedContractHoldsPayoutsUntilItIsUnpaused() async throws {
        let harness = try SettlementHarness()
        defer { harness.stop() }
        let s = try SettlementHarness.scenario("01-full-liquidation-long.json")
        try harness.addKey(user: 0, scenario: s)
        try await harness.ownerTransaction("pause")
        try harness.requestClaim(user: 0, scenario: s)
        let keeper = try harness.startKeeper()
        let base = try await OperationsEndpointTests.listeningAddress(keeper)
        let database = try harness.database()
        let http = HTTPClient()

        // Verified on-chain (the pause does not stop verifyPayout), then it waits, attempts untouched.
        #expect(try await harness.waitForClaims(seconds: 90) { $0.first?.state == .verified }, "\(keeper.stderr.suffix(1_500))")
        #expect(try await harness.waitUntil(seconds: 60) { keeper.stderr.contains("msg=\"payout waits: the contract is paused by its owner\"") })
        try await Task.sleep(for: .seconds(2))
        let waiting = try #require(try harness.claim(user: 0, s))
        #expect(waiting.state == .verified && waiting.attempts == 0, "\(waiting.state.rawValue) attempts \(waiting.attempts) \(waiting.reason ?? "")")
        #expect(!(try await harness.onChainClaim(user: 0, s)).claimed)
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE action = 'execute'", as: Int.self) == 0, "no executePayout sent")

        #expect(try Self.alerts(database, .contractPaused).count == 1)
        #expect(try Self.alerts(database, .contractPaused).first?["message"]?.stringValue?.contains("paused by its owner") == true)
        #expect(keeper.stderr.contains("msg=\"contract paused by its owner: payouts wait until it is unpaused\""))
        let readyz = try await http.send(HTTPRequest(method: .get, url: "\(base)/readyz"))
        let readiness = try JSON(parsing: readyz.body)
        #expect(readyz.status == 503, "\(readiness.serializedString)")
        #expect(readiness["checks"]?["contract"]?["ok"]?.boolValue == false)
        #expect(readiness["checks"]?["contract"]?["detail"]?.stringValue?.contains("paused by its owner") == true, "\(readiness.serializedString)")
        #expect(readiness["checks"]?["paused"]?["ok"]?.boolValue == true, "the keeper's own switch is another thing")
        let metrics = String(decoding: try await http.send(HTTPRequest(method: .get, url: "\(base)/metrics")).body, as: UTF8.self)
        #expect(metrics.contains("\nlgk_contract_paused 1\n"), "\(metrics.prefix(500))")
        let status = try KeeperBinary.run(["status", "--config", harness.configPath], environment: harness.environment)
        #expect(status.stdout.contains("contract paused YES — by its owner"), "\(status.stdout) \(status.stderr)")
        let statusJSON = try JSON(parsing: Array(try KeeperBinary.run(["status", "--json", "--config", harness.configPath], environment: harness.environment).stdout.utf8))
        #expect(statusJSON["contractPaused"]?.boolValue == true)

        // Unpaused: the claim is paid, once, and everything says so.
        try await harness.ownerTransaction("unpause")
        #expect(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .paid }, "\(keeper.stderr.suffix(1_500))")
        #expect(try await harness.onChainClaim(user: 0, s).claimed)
        #expect(try await harness.waitUntil(seconds: 60) { keeper.stderr.contains("msg=\"contract unpaused: payouts resume\"") })
        let after = String(decoding: try await http.send(HTTPRequest(method: .get, url: "\(base)/metrics")).body, as: UTF8.self)
        #expect(after.contains("\nlgk_contract_paused 0\n"))
        let ready = try await http.send(HTTPRequest(method: .get, url: "\(base)/readyz"))
        #expect(try JSON(parsing: ready.body)["checks"]?["contract"]?["ok"]?.boolValue == true)
        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "\(stopped.stderr.suffix(1_500))")
        #expect(Self.occurrences("msg=\"payout waits: the contract is paused by its owner\"", in: stopped.stderr) == 1, "one line, not one per look")
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE action = 'execute'", as: Int.self) == 1)
        // The signer's start-up floor counts StartupCheck.gasPerTransaction per transaction: no less than either takes.
        let gasLimits = try database.fetchAll("SELECT gas_limit FROM txs").map { try $0.get(0, as: Int.self) }
        #expect(gasLimits.count == 2 && gasLimits.allSatisfy { $0 <= Int(StartupCheck.gasPerTransaction) }, "\(gasLimits)")
    }
}
