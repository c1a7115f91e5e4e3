import Testing
@testable import Ethereum
import Indexer
@testable import Keeper
@testable import Settlement

/// The fee rules of DESIGN.md §6: market fees capped; bumps of at least 12.5 % on both fields, never
/// below the market, never above the cap, and none while the transaction already pays the market.
@Suite struct FeeBumpTests {
    func g(_ n: UInt64) -> UInt256 { UInt256(n) &* UInt256(1_000_000_000) }

    @Test func marketIsTwiceTheBaseFeePlusTipCappedAtTheCap() {
        let quote = FeeQuote.market(nextBaseFee: g(10), tip: g(2), cap: g(100))
        #expect(quote.maxFeePerGas == g(22) && quote.maxPriorityFeePerGas == g(2) && !quote.capped)
        let capped = FeeQuote.market(nextBaseFee: g(10), tip: g(2), cap: g(15))
        #expect(capped.maxFeePerGas == g(15) && capped.capped)
        let tiny = FeeQuote.market(nextBaseFee: g(10), tip: g(2), cap: g(1))
        #expect(tiny.maxPriorityFeePerGas == g(1), "the tip never exceeds the fee cap")
    }

    @Test func aStuckTransactionIsBumpedByAtLeastTwelveAndAHalfPercentOnBothFields() {
        let market = FeeQuote(maxFeePerGas: g(21), maxPriorityFeePerGas: g(1), nextBaseFee: g(10))
        // Below the market: the bump goes to the market, which is more than +12.5 %.
        #expect(FeeBump.decide(maxFee: g(5), tip: UInt256(1), market: market, percent: 15, cap: g(100))
                == .bump(maxFeePerGas: g(21), maxPriorityFeePerGas: g(1)))
        // Just below the market: the fee cap goes to the market, the tip +15 % above the market's.
        #expect(FeeBump.decide(maxFee: g(10), tip: g(1), market: market, percent: 15, cap: g(100))
                == .bump(maxFeePerGas: g(21), maxPriorityFeePerGas: UInt256(1_150_000_000)))
    }

    /// A hostile gas estimate is refused with a typed error, never a trap or a wrapped-around limit.
    @Test func aHostileGasEstimateIsRefusedNotTrapped() throws {
        #expect(try TxManager.withMargin(100_000, percent: 20) == 120_000)
        for estimate in [UInt64.max, UInt64.max / 19, UInt64(Int64.max), UInt64(Int64.max) / 100 * 99] {
            #expect { try TxManager.withMargin(estimate, percent: 20) } throws: { error in
                (error as? KeeperError)?.code == .unavailable && "\(error)".contains("gas estimate \(estimate)")
            }
        }
    }

    /// Fees from a node at the top of UInt256 saturate; they never wrap to a small fee or trap.
    @Test func feesAtTheTopOfTheRangeSaturate() {
        let quote = FeeQuote.market(nextBaseFee: .max, tip: .max, cap: g(100))
        #expect(quote.maxFeePerGas == g(100) && quote.capped)
        #expect(FeeBump.raised(.max, perMille: 125) == .max)
        #expect(FeeBump.decide(maxFee: .max, tip: .max, market: FeeQuote(maxFeePerGas: .max, maxPriorityFeePerGas: .max, nextBaseFee: .max),
                               percent: 15, cap: .max) == .aboveMarket)
    }

    @Test func aPercentBelowTwelveAndAHalfIsRaisedToIt() {
        let market = FeeQuote(maxFeePerGas: g(1), maxPriorityFeePerGas: UInt256(1), nextBaseFee: g(100))
        #expect(FeeBump.decide(maxFee: g(80), tip: g(8), market: market, percent: 5, cap: g(1_000))
                == .bump(maxFeePerGas: g(90), maxPriorityFeePerGas: g(9)))
        #expect(FeeBump.raised(UInt256(7), perMille: 125) == UInt256(8), "rounded up")
        #expect(FeeBump.raised(.zero, perMille: 125) == .one, "always strictly more")
    }

    @Test func noBumpWhileAlreadyPayingTheMarket() {
        let market = FeeQuote(maxFeePerGas: g(21), maxPriorityFeePerGas: g(1), nextBaseFee: g(10))
        #expect(FeeBump.decide(maxFee: g(11), tip: g(1), market: market, percent: 15, cap: g(100)) == .aboveMarket)
        #expect(FeeBump.decide(maxFee: g(50), tip: g(3), market: market, percent: 15, cap: g(100)) == .aboveMarket)
    }

    @Test func theCapStopsBumping() {
        let market = FeeQuote(maxFeePerGas: g(210), maxPriorityFeePerGas: g(10), nextBaseFee: g(100))
        // A bump that reaches the cap is clamped to it, when +12.5 % still fits.
        #expect(FeeBump.decide(maxFee: g(40), tip: g(2), market: market, percent: 15, cap: g(50))
                == .bump(maxFeePerGas: g(50), maxPriorityFeePerGas: g(10)))
        // +12.5 % would exceed the cap: no bump.
        #expect(FeeBump.decide(maxFee: g(50), tip: g(2), market: market, percent: 15, cap: g(50)) == .capReached)
        #expect(FeeBump.decide(maxFee: g(45), tip: g(45), market: market, percent: 15, cap: g(50)) == .capReached,
                "a tip that cannot rise 12.5 % under the cap cannot be bumped")
    }
}
