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

@Suite struct PayoutPolicyOverLimitTests {
    let user = try! Address(hex: "0x00000000000000000000000000000000000000aa")
    let policy = PayoutPolicy(maxPayoutPerClaim: UInt256(5_000_000_000), dailyLimit: UInt256(2_000_000_000), minPoolReserve: .zero,
                              reviewAbove: UInt256(5_000_000_000), denylist: [], unit: PoolUnit(currency: "USDT", decimals: 6))

    func decide(_ amount: UInt64, used: UInt64 = 0, contract: UInt64? = nil) -> PayoutPolicy.Decision {
        policy.decide(.init(user: user, amount: UInt256(amount), usedToday: UInt256(used), poolBalance: UInt256(100_000_000_000),
                            approved: false, contractDailyLimit: contract.map { UInt256($0) }))
    }

    @Test func aClaimAboveTheKeepersDailyLimitIsOverTheLimitNotTomorrows() {
        #expect(decide(2_500_000_000) == .overLimit("over the daily limit 2000 USDT (policy.dailyLimit): 2500 USDT cannot be paid on any day until the limit is raised"))
        #expect(decide(2_500_000_000).state == .awaitingLimit)
        #expect(decide(2_000_000_000) == .pay)
        #expect(decide(1_500_000_000, used: 1_000_000_000).state == .awaitingLimit)
        if case .awaitLimit = decide(1_500_000_000, used: 1_000_000_000) {} else { Issue.record("a claim that fits a day waits for the next one") }
    }

    @Test func theContractsSmallerLimitCounts() {
        #expect(decide(1_500_000_000, contract: 1_000_000_000)
                == .overLimit("over the daily limit 1000 USDT (the contract's dailyPayoutLimit): 1500 USDT cannot be paid on any day until the limit is raised"))
        #expect(decide(1_000_000_000, contract: 1_000_000_000) == .pay)
        #expect(decide(1_500_000_000, contract: 3_000_000_000) == .pay)  // the keeper's own limit (2000) is the smaller
    }
}
