import Foundation

/// The insurance terms a verification applies (the `pool` and `policy` sections of the keeper's
/// config). Chain amounts are pool units: integers, the pool asset's smallest unit (`poolDecimals`).
public struct CoveragePolicy: Sendable, Equatable {
    /// The currency the pool pays, uppercase as OKX writes it (`"USDT"`, `"ETH"`): a loss settled in
    /// another currency is not covered, because nothing is converted at a guessed price.
    public let currency: String
    /// Decimals of the pool's unit: an exchange amount `x` (settlement currency, e.g. USDT) is
    /// `x × 10^poolDecimals` pool units.
    public let poolDecimals: Int
    /// Share of the capped loss paid, in basis points (10000 = all of it).
    public let coverageBps: Int
    /// The most one claim may pay, in pool units.
    public let maxPayoutPerClaim: Decimal
    /// Whether auto-deleveraging counts as a covered liquidation.
    public let coverADL: Bool
    /// Claims whose liquidation is older than this many days are refused.
    public let maxClaimAgeDays: Int

    public init(currency: String, poolDecimals: Int, coverageBps: Int, maxPayoutPerClaim: Decimal, coverADL: Bool, maxClaimAgeDays: Int) throws(VerificationError) {
        guard (1...16).contains(currency.count), currency.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) }) else {
            throw VerificationError(.invalidClaim, "currency must be an uppercase code such as USDT, not \"\(currency.prefix(20))\"")
        }
        guard (0...30).contains(poolDecimals) else { throw VerificationError(.invalidClaim, "poolDecimals must be 0…30, not \(poolDecimals)") }
        guard (0...10_000).contains(coverageBps) else { throw VerificationError(.invalidClaim, "coverageBps must be 0…10000, not \(coverageBps)") }
        guard maxPayoutPerClaim >= 0, maxPayoutPerClaim == maxPayoutPerClaim.roundedDown(0) else {
            throw VerificationError(.invalidClaim, "maxPayoutPerClaim must be a whole number of pool units, not \(maxPayoutPerClaim)")
        }
        guard maxClaimAgeDays > 0 else { throw VerificationError(.invalidClaim, "maxClaimAgeDays must be positive, not \(maxClaimAgeDays)") }
        self.init(checked: currency, poolDecimals, coverageBps, maxPayoutPerClaim, coverADL, maxClaimAgeDays)
    }

    private init(checked currency: String, _ poolDecimals: Int, _ coverageBps: Int, _ maxPayoutPerClaim: Decimal, _ coverADL: Bool, _ maxClaimAgeDays: Int) {
        self.currency = currency
        self.poolDecimals = poolDecimals
        self.coverageBps = coverageBps
        self.maxPayoutPerClaim = maxPayoutPerClaim
        self.coverADL = coverADL
        self.maxClaimAgeDays = maxClaimAgeDays
    }

    /// Terms for trying things out: a USDT pool (6 decimals), full coverage, 1,000,000 USDT per
    /// claim, ADL covered, 30 days.
    public static let development = CoveragePolicy(checked: "USDT", 6, 10_000, Decimal(1_000_000_000_000), true, 30)
}

extension Decimal {
    /// Rounded toward zero (down, for the non-negative amounts used here) to `scale` fractional digits.
    func roundedDown(_ scale: Int) -> Decimal {
        var value = self, result = Decimal()
        NSDecimalRound(&result, &value, scale, .down)
        return result
    }

    /// Parses a plain decimal string (`"-325"`, `"53.575"`): digits, one optional point, an optional
    /// leading minus. Nil for anything else, including exponents and empty text.
    init?(exactText text: String) {
        let body = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard !body.isEmpty, parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        self = value
    }

    /// The plain decimal text of the value (`"584"`, `"53.575"`), never scientific notation.
    var plainText: String { NSDecimalNumber(decimal: self).description(withLocale: Locale(identifier: "en_US_POSIX")) }
}
