import Foundation
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
}
