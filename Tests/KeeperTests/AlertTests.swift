import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
import Wire
@testable import Keeper
@testable import Settlement
@testable import Store

@Suite(.serialized) struct AlertTests {
    let secret = "whsec-\(UUID().uuidString)"
    let receiver: ServerProcess
    let fixture: ClaimFixture

    init() throws {
        let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-webhook-\(UUID().uuidString)")
        try Data(secret.utf8).write(to: secretFile)
        receiver = try ServerProcess(script: "webhook_receiver.py", arguments: ["--port", "0", "--secret-file", secretFile.path])
        fixture = try ClaimFixture()
    }

    func received() async throws -> [JSON] {
        let response = try await HTTPClient().send(HTTPRequest(method: .get, url: receiver.baseURL + "/received"))
        return try JSON(parsing: response.body).arrayValue ?? []
    }

    func dispatcher(_ database: Database) -> AlertDispatcher {
        let dispatcher = AlertDispatcher(webhookURL: receiver.baseURL + "/hook", secret: Array(secret.utf8), database: database)
        dispatcher.backoffBaseMilliseconds = 0
        return dispatcher
    }

    @Test func everyAlertArrivesSignedAndIsAudited() async throws {
        try fixture.database.transaction { db in
            try AlertOutbox.raise(db, .poolShortfall, "the pool cannot pay 5 ETH", detail: ["short": "5"])
            try AlertOutbox.raise(db, .deepReorg, "reorg of depth 15")
        }
        #expect(try await dispatcher(fixture.database).deliver() == 2)
        let alerts = try await received()
        #expect(alerts.count == 2)
        #expect(alerts.allSatisfy { $0["verified"] == .bool(true) })
        #expect(alerts.map { $0["body"]?["kind"]?.stringValue } == ["pool_shortfall", "deep_reorg"])
        #expect(try AlertOutbox.pending(fixture.database) == 0)
        #expect(try AuditLog.verify(fixture.database).rows == 2)
    }

    @Test func aWrongSecretIsRefusedByTheReceiverAndRetried() async throws {
        try fixture.database.transaction { db in try AlertOutbox.raise(db, .rpcDown, "no node answers") }
        let wrong = AlertDispatcher(webhookURL: receiver.baseURL + "/hook", secret: Array("not-the-secret".utf8), database: fixture.database)
        #expect(try await wrong.deliver() == 0)
        #expect(try await received().first?["verified"] == .bool(false))
        #expect(try AlertOutbox.pending(fixture.database) == 1)
    }

    /// The receiver is down for the first deliveries, and the keeper "restarts" (a new dispatcher
    /// on a reopened database): the alert survives in the outbox and arrives exactly once.
    @Test func survivesADownReceiverAndARestart() async throws {
        _ = try await HTTPClient().send(HTTPRequest(method: .post, url: receiver.baseURL + "/down/2"))
        try fixture.database.transaction { db in
            try AlertOutbox.raise(db, .feeCapReached, "fee cap 200 gwei reached", dedupeKey: "fee-cap")
            try AlertOutbox.raise(db, .feeCapReached, "fee cap 200 gwei reached again", dedupeKey: "fee-cap")  // suppressed
        }
        #expect(try await dispatcher(fixture.database).deliver() == 0)
        let reopened = try Database(path: fixture.database.path)
        #expect(try await dispatcher(reopened).deliver() == 0)
        #expect(try await dispatcher(reopened).deliver() == 1)
        #expect(try await dispatcher(reopened).deliver() == 0)
        let alerts = try await received()
        #expect(alerts.count == 1)
        #expect(alerts.first?["body"]?["message"]?.stringValue == "fee cap 200 gwei reached")
        #expect(try reopened.fetchOne("SELECT attempts FROM alerts", as: Int.self) == 3)
    }

    /// A receiver that takes the connection and never answers: the attempt ends at its timeout, and
    /// the alerts behind it wait for the next pass instead of each waiting out the same timeout.
    @Test func anAttemptToAReceiverThatNeverAnswersEndsAtItsTimeout() async throws {
        let listener = try SilentListener()
        defer { listener.stop() }
        try fixture.database.transaction { db in
            for index in 0..<3 { try AlertOutbox.raise(db, .rpcDown, "no node answers \(index)") }
        }
        let lines = LogLines()
        let dispatcher = AlertDispatcher(webhookURL: "http://127.0.0.1:\(listener.port)/hook", secret: Array(secret.utf8), database: fixture.database,
                                         http: AlertDispatcher.client(timeoutMilliseconds: 500), log: lines.logger)
        let started = ContinuousClock.now
        #expect(try await dispatcher.deliver() == 0)
        let elapsed = ContinuousClock.now - started
        // Cut, not waited out: without the timeout the attempt would never end (the listener never answers).
        // The upper bound only tells the two apart; a starved 2-core machine stretches 500 ms by seconds.
        #expect(elapsed >= .milliseconds(450) && elapsed < .seconds(30), "one attempt, cut at 500 ms: \(elapsed)")
        #expect(listener.connections == 1)
        let attempts = try fixture.database.fetchAll("SELECT attempts FROM alerts ORDER BY id").map { try $0.get("attempts", as: Int.self) }
        #expect(attempts == [1, 0, 0])
        #expect(lines.all.count == 1 && lines.contains("msg=\"alert delivery failed\"") && lines.contains("kind=rpc_down attempt=1"), "\(lines.all)")
    }

    /// Beside the loop: an alert raised while the delivery runs is logged as raised once its
    /// transaction committed, then as delivered.
    @Test func raisedAndDeliveredAlertsAreLogged() async throws {
        try fixture.database.transaction { db in try AlertOutbox.raise(db, .deepReorg, "raised before the start") }
        _ = try await HTTPClient().send(HTTPRequest(method: .post, url: receiver.baseURL + "/down/1"))
        let lines = LogLines()
        var delivery = AlertDelivery(databasePath: fixture.database.path,
                                     webhook: .init(url: receiver.baseURL + "/hook", secret: Array(secret.utf8), timeoutMilliseconds: 30_000),
                                     metrics: nil, log: lines.logger)
        delivery.interval = .milliseconds(20)
        let stop = KeeperService.StopSignal()
        let running = Task { [delivery] in await delivery.run(until: stop) }
        defer { stop.request() }
        #expect(try await Self.eventually { lines.contains("msg=\"alert pending\" alert=1 kind=deep_reorg") })
        try fixture.database.transaction { db in try AlertOutbox.raise(db, .poolShortfall, "the pool\ncannot pay") }
        #expect(try await Self.eventually { lines.contains(#"msg="alert raised" alert=2 kind=pool_shortfall message="the pool\ncannot pay""#) })
        #expect(try await Self.eventually { lines.contains("msg=\"alert delivered\" alert=2 kind=pool_shortfall attempt=1") })
        #expect(lines.contains("msg=\"alert delivery failed\" alert=1 kind=deep_reorg attempt=1"), "the receiver was down once")
        #expect(try await Self.eventually { lines.contains("msg=\"alert delivered\" alert=1 kind=deep_reorg attempt=2") })
        stop.request()
        await running.value
        #expect(try AlertOutbox.pending(fixture.database) == 0)
    }

    static func eventually(seconds: Double = 30, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try condition()
    }
}
