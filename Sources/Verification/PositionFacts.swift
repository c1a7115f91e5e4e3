import Foundation

/// What the verdict needs of the claimed order, independent of the exchange's record types.
public struct OrderFacts: Sendable, Equatable {
    /// How the order came about.
    public enum Origin: Sendable, Equatable {
        case trader
        case liquidation
        case adl
    }

    public let ordId: String
    public let instId: String
    /// `buy` or `sell`.
    public let side: String
    /// `long`, `short`, or `net` (one-way mode).
    public let posSide: String
    /// `isolated` or `cross`.
    public let marginMode: String
    public let origin: Origin
    /// When it filled (epoch ms), else when it was created.
    public let time: Int64

    public init(ordId: String, instId: String, side: String, posSide: String, marginMode: String, origin: Origin, time: Int64) {
        self.ordId = ordId
        self.instId = instId
        self.side = side
        self.posSide = posSide
        self.marginMode = marginMode
        self.origin = origin
        self.time = time
    }

    /// The direction of the position this order belongs to: its `posSide` in hedge mode; in
    /// one-way mode the side it opens (`buy` → long), or for a liquidation or ADL order the side it closes.
    public var positionDirection: String {
        if posSide == "long" || posSide == "short" { return posSide }
        let buys = side == "buy"
        return (origin == .trader ? buys : !buys) ? "long" : "short"
    }
}

/// What the verdict needs of one closed (or partly closed) position record.
public struct PositionFacts: Sendable, Equatable {
    /// The latest close type.
    public enum Close: Sendable, Equatable {
        case manual
        case liquidation
        case adl
        case other(String)
    }

    public let posId: String
    public let instId: String
    public let marginMode: String
    /// `long` or `short`.
    public let direction: String
    public let close: Close
    /// Opened (epoch ms).
    public let openedAt: Int64
    /// Last updated — closed — (epoch ms).
    public let closedAt: Int64
    /// Negative for a loss; fees, funding and the liquidation penalty included.
    public let realizedPnl: Decimal

    public init(posId: String, instId: String, marginMode: String, direction: String, close: Close,
                openedAt: Int64, closedAt: Int64, realizedPnl: Decimal) {
        self.posId = posId
        self.instId = instId
        self.marginMode = marginMode
        self.direction = direction
        self.close = close
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.realizedPnl = realizedPnl
    }
}

/// The verdict rules of DESIGN.md §7, over exchange-neutral facts.
public enum VerdictRules {
    /// The position the order belongs to: same instrument, margin mode and direction, opened at or
    /// before the order's time and closed at or after it; the earliest-closed one if several.
    public static func position(of order: OrderFacts, in records: [PositionFacts]) -> PositionFacts? {
        records.filter { record in
            record.instId == order.instId && record.marginMode == order.marginMode && record.direction == order.positionDirection
                && record.openedAt <= order.time && order.time <= record.closedAt
        }.min { ($0.closedAt, $0.posId) < ($1.closedAt, $1.posId) }
    }

    /// A liquidation or ADL order decides directly; otherwise the matched record's close type
    /// (liquidation → forced-liquidation, ADL → adl, manual → manual-close); no record → unknown.
    public static func verdict(order: OrderFacts, position: PositionFacts?) -> Verdict {
        switch order.origin {
        case .liquidation: return Verdict(reason: .forcedLiquidation, liquidatedAt: order.time)
        case .adl: return Verdict(reason: .adl, liquidatedAt: order.time)
        case .trader: break
        }
        guard let position else { return Verdict(reason: .unknown, liquidatedAt: nil) }
        switch position.close {
        case .liquidation: return Verdict(reason: .forcedLiquidation, liquidatedAt: position.closedAt)
        case .adl: return Verdict(reason: .adl, liquidatedAt: position.closedAt)
        case .manual: return Verdict(reason: .manualClose, liquidatedAt: nil)
        case .other: return Verdict(reason: .unknown, liquidatedAt: nil)
        }
    }

    /// Whether the claim is older than the policy allows, measured from the liquidation (or,
    /// without one, the order) to `now`.
    public static func isTooOld(verdict: Verdict, order: OrderFacts, now: Int64, policy: CoveragePolicy) -> Bool {
        now - (verdict.liquidatedAt ?? order.time) > Int64(policy.maxClaimAgeDays) * 86_400_000
    }
}
