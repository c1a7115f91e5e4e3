import Testing
@testable import Indexer
@testable import Keeper
@testable import Settlement

/// A claim pass is bounded in time, so that a backlog of slow OKX verifications cannot keep the
/// keeper from following the chain: the chaos run found a pass of 40 claims during OKX bursts
/// taking over a minute, during which a deep reorg went unseen and claims kept being signed.
@Suite struct ClaimPipelinePassTests {
    final class ManualClock: @unchecked Sendable {
        var now: Int64 = 0
    }

    @Test func aPassStartsNoClaimOnceItsBudgetIsUsedAndDefersTheRest() async throws {
        let clock = ManualClock()
        var stepped: [Int] = []
        let report = try await ClaimPipeline.pass(over: Array(1...10), budgetMilliseconds: 2_500, clock: { clock.now }) {
            (item: Int) async throws(KeeperError) -> Bool in
            stepped.append(item)
            clock.now += 1_000
            return item % 2 == 0
        }
        #expect(stepped == [1, 2, 3])
        #expect(report == ClaimPipeline.PassReport(examined: 3, transitions: 1, deferred: 7))
    }

    @Test func aPassAlwaysTakesOneStepAndNeverDefersWithinItsBudget() async throws {
        let clock = ManualClock()
        var stepped: [Int] = []
        let starved = try await ClaimPipeline.pass(over: [1, 2], budgetMilliseconds: 0, clock: { clock.now }) {
            (item: Int) async throws(KeeperError) -> Bool in
            stepped.append(item)
            return true
        }
        #expect(stepped == [1])
        #expect(starved == ClaimPipeline.PassReport(examined: 1, transitions: 1, deferred: 1))
        let quick = try await ClaimPipeline.pass(over: [3, 4, 5], budgetMilliseconds: 5_000, clock: { clock.now }) {
            (item: Int) async throws(KeeperError) -> Bool in
            clock.now += 10
            return false
        }
        #expect(quick == ClaimPipeline.PassReport(examined: 3, transitions: 0, deferred: 0))
    }
}
