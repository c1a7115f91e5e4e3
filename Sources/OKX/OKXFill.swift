import Foundation
import Wire

/// One fill of `GET /api/v5/trade/fills` (3 days) or `/fills-history` (3 months).
/// Liquidation and ADL fills carry a negative `tradeId`; `subType` 100–107 are liquidation,
/// 125–128 ADL (shared/OKX.md).
public struct OKXFill: Sendable, Equatable {
    public let instType: String
    public let instId: String
    public let tradeId: String
    public let ordId: String
    /// The paging key.
    public let billId: String
    public let subType: Int?
    public let side: String
    public let posSide: String
    public let fillPx: Decimal
    public let fillSz: Decimal
    public let fillPnl: Decimal?
    public let fee: Decimal?
    public let feeCcy: String
    /// `T` taker, `M` maker.
    public let execType: String
    public let ts: Int64
    public let fillTime: Int64?

    /// Decodes one element of the answer's `data`.
    public init(json: JSON) throws(OKXDecodingError) {
        let f = try OKXFields(json, record: "fill")
        instType = try f.string("instType", required: false)
        instId = try f.identifier("instId")
        tradeId = try f.identifier("tradeId")
        ordId = try f.identifier("ordId")
        billId = try f.identifier("billId")
        let sub = try f.string("subType", required: false)
        guard sub.isEmpty || Int(sub) != nil else {
            throw OKXDecodingError(record: "fill", field: "subType", reason: "is not an integer: \"\(sub)\"")
        }
        subType = Int(sub)
        side = try f.string("side")
        posSide = try f.string("posSide", required: false)
        fillPx = try f.decimal("fillPx")
        fillSz = try f.decimal("fillSz")
        fillPnl = try f.optionalDecimal("fillPnl")
        fee = try f.optionalDecimal("fee")
        feeCcy = try f.string("feeCcy", required: false)
        execType = try f.string("execType", required: false)
        ts = try f.milliseconds("ts")
        fillTime = try f.optionalMilliseconds("fillTime")
    }

    /// A liquidation fill (full or partial): `subType` 100–107.
    public var isLiquidation: Bool { subType.map { (100...107).contains($0) } ?? false }
    /// An ADL fill: `subType` 125–128.
    public var isADL: Bool { subType.map { (125...128).contains($0) } ?? false }
    /// Forced by the exchange (liquidation or ADL), by sub-type or by the negative trade ID.
    public var isForced: Bool { isLiquidation || isADL || tradeId.hasPrefix("-") }
}
