import Foundation
import Testing
@testable import Verification

/// `CoveragePolicy.currency`: the pool's currency travels with the terms, as an uppercase code.
@Suite struct CoveragePolicyTests {
    func policy(currency: String) throws(VerificationError) -> CoveragePolicy {
        try CoveragePolicy(currency: currency, poolDecimals: 18, coverageBps: 10_000, maxPayoutPerClaim: 1, coverADL: true, maxClaimAgeDays: 30)
    }

    @Test func theCurrencyIsKeptAsGiven() throws {
        #expect(try policy(currency: "ETH").currency == "ETH")
        #expect(CoveragePolicy.development.currency == "USDT" && CoveragePolicy.development.poolDecimals == 6)
    }

    @Test(arguments: ["usdt", "", "US DT", "USDT\n", String(repeating: "A", count: 17)])
    func anythingButAnUppercaseCodeIsRefused(currency: String) {
        #expect(throws: VerificationError.self) { try policy(currency: currency) }
    }
}
