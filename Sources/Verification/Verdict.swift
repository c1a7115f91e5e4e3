/// Whether a claimed position was liquidated, and how (seed 002 `normalized.position.reason`).
public struct Verdict: Sendable, Equatable {
    public enum Reason: String, Sendable, Equatable {
        case forcedLiquidation = "forced-liquidation"
        case adl
        case manualClose = "manual-close"
        case unknown
    }

    public let liquidated: Bool
    public let reason: Reason
    /// Epoch milliseconds of the liquidation, when liquidated.
    public let liquidatedAt: Int64?

    public init(reason: Reason, liquidatedAt: Int64?) {
        self.reason = reason
        self.liquidated = reason == .forcedLiquidation || reason == .adl
        self.liquidatedAt = self.liquidated ? liquidatedAt : nil
    }
}
