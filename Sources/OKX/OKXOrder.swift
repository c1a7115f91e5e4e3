import Foundation
import Wire

/// One order as `GET /api/v5/trade/order` answers it (the fields the verifier uses; shared/OKX.md).
/// Property names are OKX's, so that each maps to its documentation. Money is `Decimal` parsed
/// from OKX's strings, times epoch milliseconds; `nil` where OKX sends `""`.
public struct OKXOrder: Sendable, Equatable {
    public let ordId: String
    public let instId: String
    /// `buy` or `sell`.
    public let side: String
    /// `long`, `short`, or `net` in one-way mode.
    public let posSide: String
    /// `isolated`, `cross` or `cash`.
    public let tdMode: String
    /// Limit price; nil for market orders.
    public let px: Decimal?
    /// Size in contracts (for swaps).
    public let sz: Decimal
    /// Average fill price; nil before any fill.
    public let avgPx: Decimal?
    public let accFillSz: Decimal?
    /// Time of the latest fill.
    public let fillTime: Int64?
    public let state: State
    public let lever: Decimal?
    /// Fees are negative, rebates positive.
    public let fee: Decimal?
    public let feeCcy: String
    /// Realized profit and loss of a closing order.
    public let pnl: Decimal?
    public let category: Category
    public let cTime: Int64
    public let uTime: Int64

    /// Decodes one element of the answer's `data`.
    public init(json: JSON) throws(OKXDecodingError) {
        let f = try OKXFields(json, record: "order")
        ordId = try f.identifier("ordId")
        instId = try f.identifier("instId")
        side = try f.string("side")
        posSide = try f.string("posSide", required: false)
        tdMode = try f.string("tdMode", required: false)
        px = try f.optionalDecimal("px")
        sz = try f.decimal("sz")
        avgPx = try f.optionalDecimal("avgPx")
        accFillSz = try f.optionalDecimal("accFillSz")
        fillTime = try f.optionalMilliseconds("fillTime")
        state = State(rawValue: try f.identifier("state"))
        lever = try f.optionalDecimal("lever")
        fee = try f.optionalDecimal("fee")
        feeCcy = try f.string("feeCcy", required: false)
        pnl = try f.optionalDecimal("pnl")
        category = Category(rawValue: try f.string("category", required: false))
        cTime = try f.milliseconds("cTime")
        uTime = try f.milliseconds("uTime")
    }

    /// `state`: open values stay representable, so a new OKX state does not fail decoding.
    public struct State: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let canceled = State(rawValue: "canceled")
        public static let live = State(rawValue: "live")
        public static let partiallyFilled = State(rawValue: "partially_filled")
        public static let filled = State(rawValue: "filled")
        public static let mmpCanceled = State(rawValue: "mmp_canceled")
    }

    /// `category`: how the order came about; liquidation and ADL orders decide a verdict directly.
    public struct Category: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let normal = Category(rawValue: "normal")
        public static let twap = Category(rawValue: "twap")
        public static let adl = Category(rawValue: "adl")
        public static let fullLiquidation = Category(rawValue: "full_liquidation")
        public static let partialLiquidation = Category(rawValue: "partial_liquidation")
        public static let delivery = Category(rawValue: "delivery")
        public static let ddh = Category(rawValue: "ddh")
        public static let autoConversion = Category(rawValue: "auto_conversion")

        /// A full or partial liquidation.
        public var isLiquidation: Bool { self == .fullLiquidation || self == .partialLiquidation }
    }
}
