import Foundation
import Testing
@testable import Indexer
@testable import Keeper

/// `/readyz`'s rules, one at a time: each failing condition alone makes the keeper not ready and says why.
struct ReadinessTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func healthy() -> KeeperHealth.Snapshot {
        var s = KeeperHealth.Snapshot(startedAt: now.addingTimeInterval(-600))
        s.lastRoundAt = now.addingTimeInterval(-1)
        s.head = 1_000
        s.indexed = 995
        s.contractPaused = false
        return s
    }

    static let writable = Readiness.DatabaseState(writeError: nil, paused: false)

    static func judge(_ health: KeeperHealth.Snapshot, _ database: Readiness.DatabaseState = writable) -> Readiness {
        Readiness(health: health, database: database, maxLag: 10, staleAfter: 10, now: now)
    }

    static func failing(_ readiness: Readiness) -> [String] { readiness.checks.filter { !$0.ok }.map(\.name) }

    @Test func aHealthyKeeperIsReady() {
        let readiness = Self.judge(Self.healthy())
        #expect(readiness.ready)
        #expect(readiness.checks.map(\.name) == ["database", "rpc", "lag", "paused", "contract", "reorg"])
        #expect(readiness.json["ready"]?.boolValue == true)
    }

    @Test func eachConditionAloneMakesItUnready() {
        var stale = Self.healthy()
        stale.lastRoundAt = Self.now.addingTimeInterval(-30)
        stale.lastError = "connection refused"
        #expect(Self.failing(Self.judge(stale)) == ["rpc"])
        #expect(Self.judge(stale).checks[1].detail.contains("connection refused"))

        var neverRan = Self.healthy()
        neverRan.lastRoundAt = nil
        #expect(Self.failing(Self.judge(neverRan)) == ["rpc"])

        var behind = Self.healthy()
        behind.indexed = 989
        #expect(Self.failing(Self.judge(behind)) == ["lag"])
        behind.indexed = 990
        #expect(Self.judge(behind).ready, "a lag of exactly maxLag is allowed")

        var halted = Self.healthy()
        halted.halted = true
        #expect(Self.failing(Self.judge(halted)) == ["reorg"])

        #expect(Self.failing(Self.judge(Self.healthy(), .init(writeError: nil, paused: true))) == ["paused"])

        var contractPaused = Self.healthy()
        contractPaused.contractPaused = true
        #expect(Self.failing(Self.judge(contractPaused)) == ["contract"])
        #expect(Self.judge(contractPaused).checks[4].detail.contains("paused by its owner"))
        contractPaused.contractPaused = nil
        #expect(Self.failing(Self.judge(contractPaused)) == ["contract"], "not read yet is not ready")
        #expect(Self.failing(Self.judge(Self.healthy(), .init(writeError: "database is locked", paused: nil))) == ["database", "paused"])
    }

    @Test func theBodySaysWhy() {
        var halted = Self.healthy()
        halted.halted = true
        let json = Self.judge(halted).json
        #expect(json["ready"]?.boolValue == false)
        #expect(json["checks"]?["reorg"]?["ok"]?.boolValue == false)
        #expect(json["checks"]?["reorg"]?["detail"]?.stringValue?.contains("lg-keeper status") == true)
        #expect(json["checks"]?["lag"]?["detail"]?.stringValue == "5 blocks behind the head (at most 10)")
    }

    @Test func failedRoundsAreCountedUntilOneSucceeds() {
        let health = KeeperHealth(startedAt: Self.now)
        #expect(health.roundFailed("timeout") == 1)
        #expect(health.roundFailed("timeout") == 2)
        health.roundSucceeded(.init(head: 10, confirmed: 10, indexedThrough: 10, newEvents: 0, reorgs: 0, recoveredLogs: 0, halted: false), at: Self.now)
        #expect(health.snapshot.failedRoundsInARow == 0 && health.snapshot.lastError == nil && health.snapshot.indexed == 10)
        #expect(health.roundFailed("timeout") == 1)
    }
}
