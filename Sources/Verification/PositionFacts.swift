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
    /// The size filled; nil when the exchange did not say.
    public let filledSize: Decimal?

    public init(ordId: String, instId: String, side: String, posSide: String, marginMode: String, origin: Origin, time: Int64,
                filledSize: Decimal? = nil) {
        self.ordId = ordId
        self.instId = instId
        self.side = side
        self.posSide = posSide
        self.marginMode = marginMode
        self.origin = origin
        self.time = time
        self.filledSize = filledSize
    }

    /// The direction of the position this order belongs to: its `posSide` in hedge mode; in
    /// one-way mode the side it opens (`buy` → long), or for a liquidation or ADL order the side it closes.
    public var positionDirection: String {
        if posSide == "long" || posSide == "short" { return posSide }
        let buys = side == "buy"
        return (origin == .trader ? buys : !buys) ? "long" : "short"
    }

    /// Whether the order is forced by the exchange (liquidation or ADL).
    public var isForced: Bool { origin != .trader }
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
    /// The latest close left nothing open (OKX types 2, 3 and 6), or the size closed reached the largest size held.
    public let isFullyClosed: Bool
    /// Opened (epoch ms).
    public let openedAt: Int64
    /// Last updated — closed — (epoch ms).
    public let closedAt: Int64
    /// Negative for a loss; fees, funding and the liquidation penalty included.
    public let realizedPnl: Decimal
    /// The accumulated liquidation penalty: negative when set, nil when none.
    public let liqPenalty: Decimal?
    /// The size closed in total; nil when the exchange did not say.
    public let closedSize: Decimal?
    /// The currency the P&L is in (OKX `ccy`); empty when not given.
    public let currency: String

    public init(posId: String, instId: String, marginMode: String, direction: String, close: Close, isFullyClosed: Bool = true,
                openedAt: Int64, closedAt: Int64, realizedPnl: Decimal, liqPenalty: Decimal? = nil, closedSize: Decimal? = nil,
                currency: String = "") {
        self.posId = posId
        self.instId = instId
        self.marginMode = marginMode
        self.direction = direction
        self.close = close
        self.isFullyClosed = isFullyClosed
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.realizedPnl = realizedPnl
        self.liqPenalty = liqPenalty
        self.closedSize = closedSize
        self.currency = currency
    }

    /// The position's identity: OKX keeps a `posId` when a position is reopened within 30 days of
    /// its last full close, so one lifecycle is `posId` with its opening time (`posId@cTime`).
    public var lifecycle: String { "\(posId)@\(openedAt)" }
}

/// One forced order (liquidation or ADL) of a position, with what its fills realised.
public struct ForcedCloseFacts: Sendable, Equatable {
    public let order: OrderFacts
    /// Σ (fill P&L + fill fee) over the order's fills: negative for a loss. Nil when the fills could not be read whole.
    public let realized: Decimal?
    /// The size the fills add up to.
    public let filledSize: Decimal

    public init(order: OrderFacts, realized: Decimal?, filledSize: Decimal) {
        self.order = order
        self.realized = realized
        self.filledSize = filledSize
    }
}
