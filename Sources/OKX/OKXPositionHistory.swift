import Foundation
import Wire

/// One record of `GET /api/v5/account/positions-history`: a closed or partly closed position
/// (shared/OKX.md). `realizedPnl = pnl + fee + fundingFee + liqPenalty + settledPnl`; a loss is
/// negative. Property names are OKX's; `nil` where OKX sends `""`.
public struct OKXPositionHistory: Sendable, Equatable {
    public let instId: String
    /// `cross` or `isolated`.
    public let mgnMode: String
    /// The latest close type.
    public let type: CloseType
    public let posId: String
    /// `long`, `short`, or `net` in one-way mode (then see `direction`).
    public let posSide: String
    /// `long` or `short`.
    public let direction: String
    public let lever: Decimal?
    public let openAvgPx: Decimal?
    public let closeAvgPx: Decimal?
    public let openMaxPos: Decimal?
    public let closeTotalPos: Decimal?
    public let realizedPnl: Decimal
    public let pnl: Decimal?
    public let fee: Decimal?
    public let fundingFee: Decimal?
    /// Negative when set.
    public let liqPenalty: Decimal?
    /// Set for types 3–5 (the documentation is silent on 6).
    public let triggerPx: Decimal?
    /// When the position was opened.
    public let cTime: Int64
    /// When it was last updated (closed): the paging key.
    public let uTime: Int64
    /// Settlement currency of the P&L.
    public let ccy: String

    /// Decodes one element of the answer's `data`.
    public init(json: JSON) throws(OKXDecodingError) {
        let f = try OKXFields(json, record: "positions-history")
        instId = try f.identifier("instId")
        mgnMode = try f.string("mgnMode")
        type = CloseType(rawValue: try f.identifier("type"))
        posId = try f.identifier("posId")
        posSide = try f.string("posSide", required: false)
        direction = try f.string("direction", required: false)
        lever = try f.optionalDecimal("lever")
        openAvgPx = try f.optionalDecimal("openAvgPx")
        closeAvgPx = try f.optionalDecimal("closeAvgPx")
        openMaxPos = try f.optionalDecimal("openMaxPos")
        closeTotalPos = try f.optionalDecimal("closeTotalPos")
        realizedPnl = try f.decimal("realizedPnl")
        pnl = try f.optionalDecimal("pnl")
        fee = try f.optionalDecimal("fee")
        fundingFee = try f.optionalDecimal("fundingFee")
        liqPenalty = try f.optionalDecimal("liqPenalty")
        triggerPx = try f.optionalDecimal("triggerPx")
        cTime = try f.milliseconds("cTime")
        uTime = try f.milliseconds("uTime")
        ccy = try f.string("ccy", required: false)
    }

    /// `type`, the latest close type when there were several: 1 partial close, 2 full close,
    /// 3 liquidation, 4 partial liquidation, 5 ADL (position not fully closed), 6 ADL (position
    /// fully closed) — https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-positions-history:
    /// "`5`：ADL - position not fully closed; `6`：ADL - position fully closed".
    public struct CloseType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let partialClose = CloseType(rawValue: "1")
        public static let fullClose = CloseType(rawValue: "2")
        public static let liquidation = CloseType(rawValue: "3")
        public static let partialLiquidation = CloseType(rawValue: "4")
        /// ADL, the position not fully closed.
        public static let adl = CloseType(rawValue: "5")
        /// ADL, the position fully closed.
        public static let adlFullyClosed = CloseType(rawValue: "6")

        /// Types 3 and 4.
        public var isLiquidation: Bool { self == .liquidation || self == .partialLiquidation }
        /// Types 5 and 6: auto-deleveraged.
        public var isADL: Bool { self == .adl || self == .adlFullyClosed }
        /// The types OKX documents (1–6); any other is new and must not be guessed at.
        public var isDocumented: Bool { ["1", "2", "3", "4", "5", "6"].contains(rawValue) }
        /// Types 1 and 2: closed by the trader.
        public var isManualClose: Bool { self == .partialClose || self == .fullClose }
    }
}
