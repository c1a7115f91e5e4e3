import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

/// Issue 7's reconciliation on a devnode: mismatches injected the ways they happen — the owner
/// acting as keeper, a database row altered, USDT reaching the pool without `depositToken`, the
/// keeper's key used elsewhere — are each found with their kind; alerts reach a webhook receiver
/// that checks every signature, also across a keeper restart while it is down; and a new mismatch
/// pauses payouts until `lg-keeper resume`.
@Suite(.serialized) struct ReconciliationTests {

    /// One `lg-keeper reconcile --json` pass after `index --once` caught the index up: its exit
    /// status and the mismatches it reported, as "kind subject".
    struct Pass: Equatable {
        let status: Int32
        let found: Set<String>
    }

    static func reconcile(_ harness: SettlementHarness) throws -> Pass {
        let index = try KeeperBinary.run(["index", "--once", "--config", harness.configPath], environment: harness.environment)
        guard index.status == 0 else { throw ScenarioError(description: "index --once exited \(index.status): \(index.stderr)") }
        let result = try KeeperBinary.run(["reconcile", "--json", "--config", harness.configPath], environment: harness.environment)
        let report: JSON
        do { report = try JSON(parsing: result.stdout) } catch {
            throw ScenarioError(description: "reconcile exited \(result.status) without JSON: \(result.stdout) \(result.stderr)")
        }
        let found = (report["mismatches"]?.arrayValue ?? []).map { "\($0["kind"]?.stringValue ?? "?") \($0["subject"]?.stringValue ?? "?")" }
        #expect(report["clean"]?.boolValue == found.isEmpty)
        return Pass(status: result.status, found: Set(found))
    }

    static func count(_ database: Database, _ sql: String) throws -> Int { try database.fetchOne(sql, as: Int.self) ?? 0 }

    static func subject(_ user: Address, _ s: OKXScenario) -> String { "\(user.description.lowercased())/\(s.ordId)" }

    /// devnet user 1 files a claim for 04-adl.json; the owner makes itself the contract's keeper,
    /// then verifies (and, with `pay`, pays) that claim itself. Returns the claim's subject.
    static func ownerSettlesAForeignClaim(_ harness: SettlementHarness, pay: Bool) async throws -> String {
        let s = try SettlementHarness.scenario("04-adl.json")
        try harness.requestClaim(user: 1, scenario: s)
        let owner = harness.devnet.deployment.owner, user = try harness.userAddress(1), orderID = try UInt256(decimal: s.ordId)
        try await harness.callContract("setKeeper", [.address(try Address(hex: owner.address))], as: owner.privateKey)
        try await harness.callContract("verifyPayout", [.address(user), .uint(orderID), .uint(try harness.units(1)), .bool(true),
                                                        .bytes32(try Hash(hex: String(repeating: "11", count: 32)))], as: owner.privateKey)
        if pay { try await harness.callContract("executePayout", [.address(user), .uint(orderID)], as: owner.privateKey) }
        return subject(user, s)
    }

    static func passes(_ database: Database) throws -> Int {
        // Before the keeper's first start has migrated the database there is no audit log, and no pass.
        guard try count(database, "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log'") == 1 else { return 0 }
        return try count(database, "SELECT count(*) FROM audit_log WHERE kind = 'reconcile.run'")
    }

    /// Waits until `passes` more reconciliation passes than `after` have finished.
    static func waitForPasses(_ harness: SettlementHarness, _ passes: Int, after: Int) async throws -> Bool {
        let database = try harness.database()
        return try await harness.waitUntil(seconds: 30) { try Self.passes(database) >= after + passes }
    }

    // Six `lg-keeper reconcile` runs after a settlement: ~110 s alone, 280 s once on a loaded 2-core machine;
    // the limit guards against a hang, not for speed (BENCHMARKS.md holds speed).
    @Test(.timeLimit(.minutes(6))) func injectedMismatchesAreEachFoundWithTheirKind() async throws {
        let harness = try SettlementHarness()
        defer { harness.stop() }
        let settled = try SettlementHarness.scenario("01-full-liquidation-long.json")
        try harness.addKey(user: 0, scenario: settled)
        try harness.requestClaim(user: 0, scenario: settled)
        let keeper = try harness.startKeeper()
        defer { _ = keeper.terminate() }
        let paid = try await harness.waitForClaims(seconds: 60) { $0.first?.state == .paid }
        let stopped = keeper.terminate()
        try #require(paid, "the claim was not paid: \(stopped.stderr.suffix(2_000))")
        #expect(stopped.status == 0)

        let keeperPasses = try Self.passes(try harness.database())
        var expected = Set<String>()
        #expect(try Self.reconcile(harness) == Pass(status: 0, found: expected))

        // (a) Another signer: the owner verifies and pays a claim the keeper never decided. The
        // contract's paid total now exceeds the keeper's as well.
        let foreign = try await Self.ownerSettlesAForeignClaim(harness, pay: true)
        let day = try await harness.reader.chainDay()
        expected.formUnion(["foreign_verification \(foreign)", "foreign_payout \(foreign)", "paid_today day \(day)"])
        #expect(try Self.reconcile(harness) == Pass(status: 1, found: expected))

        // (b) A row altered in the database: the paid claim's amount.
        let ours = Self.subject(try harness.userAddress(0), settled)
        let altered = try harness.database().execute("UPDATE claims SET amount = '1' WHERE user = ? AND order_id = ?",
                                                     [try harness.userAddress(0).description.lowercased(), settled.ordId])
        #expect(altered == 1)
        expected.insert("claim_state \(ours)")
        #expect(try Self.reconcile(harness) == Pass(status: 1, found: expected))

        // (c) A deposit the keeper did not see: USDT reaches the pool by a plain transfer, with no FundsDeposited.
        try await harness.depositWithoutEvent(try harness.units(1), as: harness.devnet.deployment.users[2].privateKey)
        expected.insert("pool_balance pool")
        #expect(try Self.reconcile(harness) == Pass(status: 1, found: expected))

        // (d) The keeper's key used by someone else.
        let keeperAccount = harness.devnet.deployment.keeper
        try await harness.transact(as: keeperAccount.privateKey, to: try Address(hex: harness.devnet.deployment.owner.address), value: UInt256(1))
        expected.insert("nonce \(try Address(hex: keeperAccount.address).checksummed)")
        #expect(try Self.reconcile(harness) == Pass(status: 1, found: expected))

        // Each mismatch is audited once, when first found, though later passes found it again.
        let database = try harness.database()
        let audited = try database.fetchAll("SELECT json_extract(detail, '$.kind') AS kind, subject FROM audit_log WHERE kind = 'reconcile.mismatch'")
            .map { "\(try $0.get("kind", as: String.self)) \(try $0.get("subject", as: String.self))" }
        #expect(audited.sorted() == expected.sorted())
        #expect(try Self.passes(database) == keeperPasses + 5)
        let audit = try KeeperBinary.run(["audit", "verify", "--config", harness.configPath], environment: harness.environment)
        #expect(audit.status == 0, "\(audit.stdout) \(audit.stderr)")
    }

    @Test(.timeLimit(.minutes(3))) func alertsAreSignedAndOneRaisedWhileTheReceiverIsDownIsDeliveredOnceAfterARestart() async throws {
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-webhook-\(UUID().uuidString).secret").path
        _ = FileManager.default.createFile(atPath: secretFile, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
        defer { try? FileManager.default.removeItem(atPath: secretFile) }  // scratch file: a leftover harms nothing
        let receiver = try WebhookReceiver(secretFile: secretFile)
        defer { receiver.server.stop() }
        let harness = try SettlementHarness(sections: ["alerts": ["webhookURL": .string(receiver.hookURL), "secretEnv": "LGK_ALERT_SECRET"]],
                                            environment: ["LGK_ALERT_SECRET": secret])
        defer { harness.stop() }
        let database = try harness.database()

        var keeper = try harness.startKeeper()
        defer { _ = keeper.terminate() }
        try #require(try await Self.waitForPasses(harness, 1, after: 0), "the keeper never reconciled")
        try await harness.depositWithoutEvent(try harness.units(1), as: harness.devnet.deployment.users[2].privateKey)
        let first = try await harness.waitUntil(seconds: 30) { try await receiver.received().count >= 1 }
        try #require(first, "no alert reached the receiver")

        // The receiver goes down; a new mismatch is raised and its delivery fails.
        try await receiver.down(1_000)
        let foreign = try await Self.ownerSettlesAForeignClaim(harness, pay: false)
        let undelivered = "SELECT count(*) FROM alerts WHERE delivered_at IS NULL AND attempts >= 1 AND json_extract(body, '$.detail.kind') = 'foreign_verification'"
        let failed = try await harness.waitUntil(seconds: 30) { try Self.count(database, undelivered) == 1 }
        let firstRun = keeper.terminate()
        try #require(failed, "the second alert was not attempted: \(firstRun.stderr.suffix(2_000))")
        #expect(firstRun.status == 0)

        // The keeper restarts, the receiver comes back: the stored alert is delivered. The owner hands
        // the keeper role back first: `run` refuses a signer that is not the contract's keeper().
        try await receiver.down(0)
        let owner = harness.devnet.deployment.owner
        try await harness.callContract("setKeeper", [.address(try Address(hex: harness.devnet.deployment.keeper.address))], as: owner.privateKey)
        keeper = try harness.startKeeper()
        let delivered = try await harness.waitUntil(seconds: 30) { try await receiver.received().count >= 2 }
        let passes = try Self.passes(database)
        // Later passes find both mismatches again, and raise nothing new.
        let ranOn = try await Self.waitForPasses(harness, 3, after: passes)
        let secondRun = keeper.terminate()
        #expect(delivered && ranOn, "\(secondRun.stderr.suffix(2_000))")
        #expect(secondRun.status == 0)

        let received = try await receiver.received()
        #expect(received.allSatisfy { $0["verified"]?.boolValue == true }, "\(received)")
        #expect(received.map { $0["body"]?["kind"]?.stringValue } == ["reconciliation_mismatch", "reconciliation_mismatch"])
        #expect(received.map { $0["body"]?["detail"]?["kind"]?.stringValue } == ["pool_balance", "foreign_verification"])
        #expect(received.last?["body"]?["detail"]?["subject"]?.stringValue == foreign)
        // One outbox row for it, attempted before the restart and delivered after it.
        #expect(try Self.count(database, "SELECT count(*) FROM alerts WHERE json_extract(body, '$.detail.kind') = 'foreign_verification' AND delivered_at IS NOT NULL AND attempts >= 2") == 1)
        #expect(try Self.count(database, "SELECT count(*) FROM alerts") == 2)
    }

    @Test(.timeLimit(.minutes(3))) func aNewMismatchStopsPayoutsUntilResume() async throws {
        let harness = try SettlementHarness()  // reconciles every second, pauseOnMismatch on
        defer { harness.stop() }
        let database = try harness.database()
        let s = try SettlementHarness.scenario("01-full-liquidation-long.json")
        try harness.addKey(user: 0, scenario: s)

        let keeper = try harness.startKeeper()
        defer { _ = keeper.terminate() }
        try #require(try await Self.waitForPasses(harness, 1, after: 0), "the keeper never reconciled")
        #expect(try KeeperControl.state(database).paused == false)
        try await harness.depositWithoutEvent(try harness.units(1), as: harness.devnet.deployment.users[2].privateKey)
        try #require(try await harness.waitUntil(seconds: 30) { try KeeperControl.state(database).paused }, "the mismatch did not pause the keeper")

        // A liquidated claim is verified, but while paused no executePayout is sent.
        try harness.requestClaim(user: 0, scenario: s)
        try #require(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .verified }, "the claim was not verified")
        let passes = try Self.passes(database)
        try #require(try await Self.waitForPasses(harness, 3, after: passes))
        let user = try harness.userAddress(0), orderID = try UInt256(decimal: s.ordId)
        #expect(try ClaimLedger(database: database).claim(user: user, orderID: orderID)?.state == .verified)
        #expect(try Self.count(database, "SELECT count(*) FROM txs WHERE action = 'execute'") == 0)
        #expect(try await harness.reader.claim(user: user, orderID: orderID).claimed == false)

        let resumed = try KeeperBinary.run(["resume", "--by", "test", "--config", harness.configPath], environment: harness.environment)
        #expect(resumed.status == 0 && resumed.stdout.contains("resumed by test"), "\(resumed.stdout) \(resumed.stderr)")
        // The pool mismatch is still there, but it is not new: the keeper stays resumed and pays.
        try #require(try await harness.waitForClaims(seconds: 30) { $0.first?.state == .paid }, "the claim was not paid after resume")
        let onChain = try await harness.reader.claim(user: user, orderID: orderID), expected = try harness.expectedAmount(s)
        #expect(onChain.claimed && onChain.amount == expected)
        #expect(try KeeperControl.state(database).paused == false)
        #expect(try Self.count(database, "SELECT count(*) FROM open_mismatches WHERE key = 'pool_balance:pool'") == 1)
    }
}

/// devnet/webhook_receiver.py: records every alert POSTed to /hook with whether its signature held.
struct WebhookReceiver {
    let server: ServerProcess
    var hookURL: String { server.baseURL + "/hook" }
    private let http = HTTPClient()

    init(secretFile: String) throws {
        server = try ServerProcess(script: "webhook_receiver.py", arguments: ["--port", "0", "--secret-file", secretFile])
    }

    /// `{"verified": Bool, "body": alert}` for each delivery the receiver accepted, in arrival order.
    func received() async throws -> [JSON] {
        let response = try await http.send(HTTPRequest(method: .get, url: server.baseURL + "/received"))
        return try JSON(parsing: response.body).arrayValue ?? []
    }

    /// The next `deliveries` deliveries are answered 503; 0 brings the receiver back.
    func down(_ deliveries: Int) async throws {
        let response = try await http.send(HTTPRequest(method: .post, url: server.baseURL + "/down/\(deliveries)"))
        guard response.status == 200 else { throw ScenarioError(description: "webhook_receiver /down answered \(response.status)") }
    }
}
