import Testing
@testable import Ethereum
@testable import Keeper
@testable import Settlement

@Suite struct PayoutPolicyTests {
    let denied = try! Address(hex: "0x00000000000000000000000000000000000000dd")
    let user = try! Address(hex: "0x00000000000000000000000000000000000000aa")
    var policy: PayoutPolicy {
        PayoutPolicy(maxPayoutPerClaim: 1_000, dailyLimit: 2_000, minPoolReserve: 100, reviewAbove: 500, denylist: [denied])
    }

    func decide(_ amount: UInt256, user: Address? = nil, used: UInt256 = 0, pool: UInt256 = 10_000, approved: Bool = false) -> PayoutPolicy.Decision {
        policy.decide(.init(user: user ?? self.user, amount: amount, usedToday: used, poolBalance: pool, approved: approved))
    }

    @Test func paysWithinEveryLimit() {
        #expect(decide(500) == .pay)
        #expect(decide(400, used: 1_600, pool: 500) == .pay)  // exactly at the day's limit and the reserve
    }

    @Test func refusesTheDenylistAndAmountsOverTheClaimCap() {
        #expect(decide(10, user: denied).state == .failed)
        #expect(decide(1_001, approved: true).state == .failed)
    }

    @Test func holdsAboveTheReviewThresholdUntilApproved() {
        #expect(decide(501).state == .heldReview)
        #expect(decide(501, approved: true) == .pay)
    }

    @Test func defersOverTheDailyLimitToTheNextDay() {
        #expect(decide(401, used: 1_600).state == .awaitingLimit)
        #expect(decide(1, used: 2_000).state == .awaitingLimit)
        #expect(decide(1, used: 5_000).state == .awaitingLimit)  // the contract counted more than we did
    }

    @Test func waitsForFundsThatKeepTheReserve() {
        #expect(decide(401, used: 0, pool: 500).state == .awaitingFunds)
        #expect(decide(1, pool: 50).state == .awaitingFunds)  // already below the reserve
    }
}
