import Foundation

/// The verdict rules of DESIGN.md §7 and docs/EVIDENCE.md, over exchange-neutral facts. Only a
/// complete, consistent picture is decided; anything else is `undecided` with the reason, to be
/// checked again, never turned into a negative verdict.
public enum VerdictRules {
    /// What the facts allow.
    public enum Judgement: Sendable, Equatable {
        case decided(Decision)
        /// No verdict may be written yet: why.
        case undecided(String)
    }

    /// A verdict and the loss it covers.
    public struct Decision: Sendable, Equatable {
        public let verdict: Verdict
        /// The loss in the position's settlement currency (0 for none or a gain).
        public let loss: Decimal
        public let lossBasis: LossBasis
        /// The forced orders whose fills the loss counts, when `lossBasis` is `liquidationOrders`.
        public let forcedOrders: [String]

        public init(verdict: Verdict, loss: Decimal, lossBasis: LossBasis, forcedOrders: [String] = []) {
            self.verdict = verdict
            self.loss = loss
            self.lossBasis = lossBasis
            self.forcedOrders = forcedOrders
        }
    }

    /// Where a loss was read from.
    public enum LossBasis: String, Sendable, Equatable {
        /// The whole position's `realizedPnl`: every close was forced (or none was, for a manual close).
        case position
        /// The forced orders' fills and the position's liquidation penalty: the position was also closed by hand,
        /// and a manual close never adds to what is insured.
        case liquidationOrders = "liquidation-orders"
        /// No position: nothing was realised.
        case none
    }

    /// The position the order belongs to: same instrument, margin mode and direction, opened at or
    /// before the order's time and closed at or after it; the earliest-closed one if several.
    public static func position(of order: OrderFacts, in records: [PositionFacts]) -> PositionFacts? {
        records.filter { record in
            record.instId == order.instId && record.marginMode == order.marginMode && record.direction == order.positionDirection
                && record.openedAt <= order.time && order.time <= record.closedAt
        }.min { ($0.closedAt, $0.posId) < ($1.closedAt, $1.posId) }
    }

    /// Why no position can be matched yet, or nil when an unfilled order settles it (never filled: no position, nothing lost).
    public static func withoutPosition(order: OrderFacts, historyComplete: Bool) -> Judgement {
        if let filled = order.filledSize, filled == 0, !order.isForced {
            return .decided(Decision(verdict: Verdict(reason: .unknown, liquidatedAt: nil), loss: 0, lossBasis: .none))
        }
        if !historyComplete {
            return .undecided("positions-history was cut at its page limit before the order's position was found")
        }
        if order.isForced {
            return .undecided("the forced order's position is not in positions-history yet")
        }
        return .undecided("the order's position is not closed, or not yet visible in positions-history")
    }

    /// The forced orders that belong to `position`'s lifecycle.
    public static func forcedCloses(of position: PositionFacts, in forced: [ForcedCloseFacts]) -> [ForcedCloseFacts] {
        forced.filter { close in
            close.order.isForced && close.order.instId == position.instId && close.order.marginMode == position.marginMode
                && close.order.positionDirection == position.direction
                && position.openedAt <= close.order.time && close.order.time <= position.closedAt
        }
    }

    /// The judgement for `order` whose position is `position`, given every forced order read for
    /// its lifecycle (`forcedComplete` false when that read was cut short).
    public static func judge(order: OrderFacts, position: PositionFacts, forced all: [ForcedCloseFacts], forcedComplete: Bool) -> Judgement {
        if case .other(let type) = position.close {
            return .undecided("positions-history type \(type) of position \(position.lifecycle) is not a type OKX documents")
        }
        guard position.isFullyClosed else {
            return .undecided("position \(position.lifecycle) is not fully closed yet")
        }
        guard forcedComplete else {
            return .undecided("the forced orders of position \(position.lifecycle) could not be read whole")
        }
        let forced = forcedCloses(of: position, in: all)
        if order.isForced && !forced.contains(where: { $0.order.ordId == order.ordId }) {
            return .undecided("the claimed order is a forced order, but the order history does not list it for position \(position.lifecycle)")
        }
        guard !forced.isEmpty else {
            if position.close != .manual {
                return .undecided("positions-history says position \(position.lifecycle) was force-closed, but no liquidation or ADL order is listed")
            }
            return .decided(Decision(verdict: Verdict(reason: .manualClose, liquidatedAt: nil), loss: max(0, -position.realizedPnl), lossBasis: .position))
        }
        if let unread = forced.first(where: { $0.realized == nil }) {
            return .undecided("the fills of forced order \(unread.order.ordId) could not be read whole")
        }
        let reason: Verdict.Reason = forced.contains { $0.order.origin == .liquidation } ? .forcedLiquidation : .adl
        let liquidatedAt = forced.map(\.order.time).max()
        let forcedSize = forced.reduce(Decimal(0)) { $0 + $1.filledSize }
        let verdict = Verdict(reason: reason, liquidatedAt: liquidatedAt)
        if let closed = position.closedSize, forcedSize >= closed {
            return .decided(Decision(verdict: verdict, loss: max(0, -position.realizedPnl), lossBasis: .position,
                                     forcedOrders: forced.map(\.order.ordId).sorted()))
        }
        let realized = forced.reduce(Decimal(0)) { $0 + ($1.realized ?? 0) } + (position.liqPenalty ?? 0)
        return .decided(Decision(verdict: verdict, loss: max(0, -realized), lossBasis: .liquidationOrders,
                                 forcedOrders: forced.map(\.order.ordId).sorted()))
    }

    /// Whether the claim is older than the policy allows, measured from the liquidation (or,
    /// without one, the order) to `now`.
    public static func isTooOld(verdict: Verdict, order: OrderFacts, now: Int64, policy: CoveragePolicy) -> Bool {
        now - (verdict.liquidatedAt ?? order.time) > Int64(policy.maxClaimAgeDays) * 86_400_000
    }
}
