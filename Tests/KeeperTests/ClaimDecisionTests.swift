import Foundation
import Testing
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement
@testable import Store

/// Issue 13's decisions that wait: the decision window of an undecided verification, an operator's
/// `claims retry`, and `keys add` resuming the claims that wait for a key.
@Suite struct ClaimDecisionTests {
    let user = "0x00000000000000000000000000000000000000bb"
    static let minute: Int64 = 60_000
    static let hour: Int64 = 3_600_000

    static var settings: ClaimPipeline.Settings {
        ClaimPipeline.Settings(chainID: 1337, contract: try! Address(hex: "0x0000000000000000000000000000000000000001"),
                               policy: PayoutPolicy(maxPayoutPerClaim: .zero, dailyLimit: .zero, minPoolReserve: .zero, reviewAbove: .zero, denylist: []))
    }

    @Test func theFirstRecheckIsWithinAMinuteThenTheWaitsDoubleUpToTheCap() {
        let s = Self.settings
        let start: Int64 = 1_000_000
        #expect(ClaimPipeline.undecidedStep(since: nil, now: start, settings: s) == .recheck(at: start + Self.minute, since: start))
        var now = start + Self.minute
        var waits = [Int64]()
        for _ in 0..<10 {
            guard case .recheck(let at, let since) = ClaimPipeline.undecidedStep(since: start, now: now, settings: s) else {
                Issue.record("held inside the window at \(now - start) ms")
                return
            }
            #expect(since == start, "the window counts from the first undecided answer")
            waits.append(at - now)
            now = at
        }
        #expect(Array(waits.prefix(6)) == [1, 2, 4, 8, 16, 32].map { $0 * Self.minute })
        #expect(waits.allSatisfy { $0 <= s.undecidedRecheckCapMilliseconds })
        #expect(waits.last == s.undecidedRecheckCapMilliseconds)
    }

    @Test func theWindowEndsInAHoldNeverInAVerdictAndNoRecheckOvershootsIt() {
        var s = Self.settings
        s.decisionWindowMilliseconds = 24 * Self.hour
        let start: Int64 = 5_000
        let end = start + 24 * Self.hour
        #expect(ClaimPipeline.undecidedStep(since: start, now: end - Self.minute, settings: s) == .recheck(at: end, since: start))
        #expect(ClaimPipeline.undecidedStep(since: start, now: end, settings: s) == .hold(since: start))
        #expect(ClaimPipeline.undecidedStep(since: start, now: end + 7 * Self.hour, settings: s) == .hold(since: start))
    }

    @Test func retryTakesAFailedClaimBackToRequestedClearedAndAudited() throws {
        let fixture = try ClaimFixture()
        let claim = try fixture.insertClaim(user: user, orderID: 1)
        try fixture.ledger.transition(claim, to: .verifying, .init(attempts: 12, undecidedSince: .some(42)))
        let verifying = try fixture.ledger.claim(id: claim.id)!
        let address = try Address(hex: user)
        #expect { try fixture.ledger.retry(user: address, orderID: 1, by: "carol") } throws: { error in
            (error as? KeeperError)?.message.contains("only a failed claim") == true
        }
        try fixture.ledger.transition(verifying, to: .failed, .init(reason: .some("gave up after 12 transient failures")))
        let retried = try fixture.ledger.retry(user: address, orderID: 1, by: "carol")
        #expect(retried.state == .requested)
        #expect(retried.attempts == 0 && retried.nextAttemptAt == 0 && retried.undecidedSince == nil)
        #expect(retried.reason == "retried by operator carol (was: gave up after 12 transient failures)")
        let last = try fixture.database.fetchOne("SELECT detail FROM audit_log ORDER BY id DESC LIMIT 1", as: String.self)!
        let detail = try JSON(parsing: last)
        #expect(detail["from"]?.stringValue == "failed" && detail["to"]?.stringValue == "requested")
        #expect(detail["why"]?.stringValue == "operator retry by carol")
        #expect(try fixture.ledger.actionable(now: 0).map(\.id) == [claim.id], "the next pass takes it")
        #expect(try AuditLog.verify(fixture.database).broken == nil)
    }

    @Test func retryTakesAClaimHeldWithoutAVerdictButNotOneHeldWithAVerdict() throws {
        let fixture = try ClaimFixture()
        let address = try Address(hex: user)
        let undecided = try fixture.insertClaim(user: user, orderID: 2)
        try fixture.ledger.transition(undecided, to: .verifying)
        try fixture.ledger.transition(try fixture.ledger.claim(id: undecided.id)!, to: .heldReview,
                                      .init(reason: .some("undecided for 24 h: position not closed"), undecidedSince: .some(1)))
        #expect(try fixture.ledger.retry(user: address, orderID: 2, by: "dan").state == .requested)

        let withVerdict = try fixture.insertClaim(user: user, orderID: 3, block: 11)
        try fixture.ledger.transition(withVerdict, to: .verifying)
        try fixture.ledger.transition(try fixture.ledger.claim(id: withVerdict.id)!, to: .heldReview,
                                      .init(amount: UInt256(9), liquidated: true, evidenceID: "ev", evidenceRoot: try Hash(hex: "0x" + String(repeating: "33", count: 32))))
        #expect { try fixture.ledger.retry(user: address, orderID: 3, by: "dan") } throws: { error in
            (error as? KeeperError)?.message.contains("claims approve") == true
        }
        #expect(try fixture.ledger.claim(id: withVerdict.id)!.state == .heldReview)
    }

    @Test func aKeyAddedResumesThatWalletsClaimsWaitingForAKeyOnly() throws {
        let fixture = try ClaimFixture()
        let other = "0x00000000000000000000000000000000000000cc"
        var waiting = [Claim]()
        for (wallet, order) in [(user, 1), (user, 2), (other, 3)] {
            let claim = try fixture.insertClaim(user: wallet, orderID: order, block: 10 + order)
            try fixture.ledger.transition(claim, to: .needsKey, .init(reason: .some("key refused"), nextAttemptAt: 9_000_000))
            waiting.append(try fixture.ledger.claim(id: claim.id)!)
        }
        // A claim of the same wallet in another state keeps its schedule.
        let verifying = try fixture.insertClaim(user: user, orderID: 4, block: 20)
        try fixture.ledger.transition(verifying, to: .verifying, .init(nextAttemptAt: 9_000_000))

        let resumed = try fixture.database.transaction { db in try ClaimLedger.resumeNeedingKey(wallet: user.uppercased().replacingOccurrences(of: "0X", with: "0x"), in: db) }
        #expect(resumed == 2)
        #expect(try fixture.ledger.actionable(now: 1).map(\.orderID) == [UInt256(1), UInt256(2)])
        #expect(try fixture.ledger.claim(id: waiting[2].id)!.nextAttemptAt == 9_000_000)
        #expect(try fixture.ledger.claim(id: verifying.id)!.nextAttemptAt == 9_000_000)
        let audit = try fixture.database.fetchOne("SELECT subject, detail FROM audit_log WHERE kind = 'claims.key_added'")!
        #expect(try audit.get("subject", as: String.self) == user)
        #expect(try JSON(parsing: try audit.get("detail", as: String.self))["resumed"]?.intValue == 2)
    }

    @Test func theDecisionWindowIsConfiguredInWholeHoursAndDefaultsToADay() throws {
        #expect(try Config.parse(ConfigTests.minimal()).policy.decisionWindowHours == 24)
        #expect(try Config.parse(ConfigTests.minimal(root: #", "policy": {"decisionWindowHours": 6}"#)).policy.decisionWindowHours == 6)
        #expect(ConfigTests.error(ConfigTests.minimal(root: #", "policy": {"decisionWindowHours": 0}"#))?.message
                == "policy.decisionWindowHours must be between 1 and 720, not 0")
        #expect(try Config.load(path: ConfigTests.examplePath).policy.decisionWindowHours == 24)
    }

    @Test func anAdoptedVerdictFindsItsPositionIdentityInTheEvidence() {
        // As VerificationResponse writes it: the lifecycle beside the posId.
        let lifecycle: JSON = ["normalized": ["position": ["posId": "307173036051017730", "lifecycle": "307173036051017730@1730000000000"]]]
        #expect(ClaimPipeline.positionIdentity(in: lifecycle) == "307173036051017730@1730000000000")
        // A bundle from before lifecycles names the posId only.
        let older: JSON = ["normalized": ["position": ["posId": "7"]]]
        #expect(ClaimPipeline.positionIdentity(in: older) == "7")
        #expect(ClaimPipeline.positionIdentity(in: ["normalized": ["order": [:]]]) == nil)
    }
}
