import Foundation
import Wire

/// One instrument of `GET /api/v5/public/instruments`: what one contract is worth.
public struct OKXInstrument: Sendable, Equatable {
    /// `SWAP`, `FUTURES`, `OPTION`, `MARGIN` or `SPOT`.
    public let instType: String
    public let instId: String
    /// Contract value, in `ctValCcy` (nil for spot).
    public let ctVal: Decimal?
    /// Contract multiplier.
    public let ctMult: Decimal?
    public let ctValCcy: String
    /// The currency P&L and margin settle in (USDT for linear swaps).
    public let settleCcy: String
    /// `linear` or `inverse`.
    public let ctType: String
    /// `live`, `suspend`, `preopen`, …
    public let state: String

    /// Decodes one element of the answer's `data`.
    public init(json: JSON) throws(OKXDecodingError) {
        let f = try OKXFields(json, record: "instrument")
        instType = try f.identifier("instType")
        instId = try f.identifier("instId")
        ctVal = try f.optionalDecimal("ctVal")
        ctMult = try f.optionalDecimal("ctMult")
        ctValCcy = try f.string("ctValCcy", required: false)
        settleCcy = try f.string("settleCcy", required: false)
        ctType = try f.string("ctType", required: false)
        state = try f.string("state", required: false)
    }

    /// The instrument family of a derivative's ID, its first two parts: `BTC-USD-250328-60000-C` →
    /// `BTC-USD`, `BTC-USD_UM-SWAP` → `BTC-USD_UM`; nil for a pair.
    public static func family(of instId: String) -> String? {
        let parts = instId.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        return String(parts[0]) + "-" + String(parts[1])
    }

    /// The instrument type OKX expects for an instrument ID: `BTC-USDT-SWAP` → `SWAP`,
    /// `BTC-USD-250328` → `FUTURES`, `BTC-USD-250328-60000-C` → `OPTION`, `BTC-USDT` → `SPOT`.
    public static func type(of instId: String) -> String {
        let parts = instId.split(separator: "-", omittingEmptySubsequences: false)
        if parts.last == "SWAP" { return "SWAP" }
        if parts.count == 3, parts[2].allSatisfy(\.isNumber) { return "FUTURES" }
        if parts.count == 5 { return "OPTION" }
        return "SPOT"
    }
}
