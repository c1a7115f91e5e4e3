import Foundation
import OKX
import Wire

/// OKX's records as the exchange-neutral facts the verdict rules read (DESIGN.md §7, shared/OKX.md).
extension OrderFacts {
    /// `category` `full_liquidation` / `partial_liquidation` → liquidation, `adl` → ADL, anything
    /// else → placed by the trader. The order's time is its last fill, else its creation.
    public init(okx order: OKXOrder) {
        let origin: Origin = if order.category.isLiquidation { .liquidation }
            else if order.category == .adl { .adl }
            else { .trader }
        self.init(ordId: order.ordId, instId: order.instId, side: order.side, posSide: order.posSide,
                  marginMode: order.tdMode, origin: origin, time: order.fillTime ?? order.cTime, filledSize: order.accFillSz)
    }
}

extension PositionFacts {
    /// OKX's `type` [account-get-positions-history]: 1 partial close, 2 full close, 3 liquidation,
    /// 4 partial liquidation, 5 ADL (position not fully closed), 6 ADL (position fully closed);
    /// https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-positions-history
    /// Types 2, 3 and 6 leave nothing open; after 1, 4 or 5 the position is closed only when the size
    /// closed reached the largest size held. The direction is `direction`, else `posSide` (hedge mode).
    public init(okx record: OKXPositionHistory) {
        let type = record.type.rawValue
        let close: Close = switch type {
            case "3", "4": .liquidation
            case "5", "6": .adl
            case "1", "2": .manual
            default: .other(type)
        }
        let closedWhole = if let closed = record.closeTotalPos, let held = record.openMaxPos { closed >= held && closed > 0 } else { false }
        self.init(posId: record.posId, instId: record.instId, marginMode: record.mgnMode,
                  direction: record.direction.isEmpty ? record.posSide : record.direction, close: close,
                  isFullyClosed: ["2", "3", "6"].contains(type) || closedWhole,
                  openedAt: record.cTime, closedAt: record.uTime, realizedPnl: record.realizedPnl,
                  liqPenalty: record.liqPenalty, closedSize: record.closeTotalPos, currency: record.ccy)
    }
}

extension ForcedCloseFacts {
    /// A forced order with its fills: what they realised is Σ (`fillPnl` + `fee`), OKX's fee being
    /// negative when charged; nil when the fills were cut short or do not add up to the order's filled size.
    public init(okx order: OKXOrder, fills: [OKXFill], complete: Bool) {
        let mine = fills.filter { $0.ordId == order.ordId }
        let size = mine.reduce(Decimal(0)) { $0 + $1.fillSz }
        let whole = complete && !mine.isEmpty && (order.accFillSz.map { $0 == size } ?? true)
        let realized = mine.reduce(Decimal(0)) { $0 + ($1.fillPnl ?? 0) + ($1.fee ?? 0) }
        self.init(order: OrderFacts(okx: order), realized: whole ? realized : nil, filledSize: order.accFillSz ?? size)
    }
}

/// The `normalized` and `raw` parts of the seed-002 response built from OKX's answers.
public enum OKXNormalized {
    /// seed 002 `normalized.order`: `side px sz state avgFillPx accFillSz fee ts`, plus what a
    /// reader needs to recognise the order (`ordId instId posSide mode lever category feeCcy pnl`).
    public static func order(_ order: OKXOrder) -> JSON {
        [
            "ordId": .string(order.ordId), "instId": .string(order.instId), "side": .string(order.side),
            "posSide": .string(order.posSide), "mode": .string(order.tdMode), "px": text(order.px), "sz": text(order.sz),
            "state": .string(state(order.state)), "avgFillPx": text(order.avgPx), "accFillSz": text(order.accFillSz),
            "fee": text(order.fee), "feeCcy": .string(order.feeCcy), "pnl": text(order.pnl), "lever": text(order.lever),
            "category": .string(order.category.rawValue),
            "ts": .string(VerificationResponse.timestamp(milliseconds: order.fillTime ?? order.cTime)),
        ]
    }

    /// Exchange-specific members of `normalized.position` beside the verdict: the seed's `lever`
    /// and `liqPx` (OKX's `triggerPx`), and the record's prices, penalty and currency.
    public static func positionDetails(_ record: OKXPositionHistory?, instrument: OKXInstrument?) -> [String: JSON] {
        var details: [String: JSON] = ["settleCcy": instrument.map { .string($0.settleCcy) } ?? .null]
        guard let record else { return details }
        details["lever"] = text(record.lever)
        details["liqPx"] = text(record.triggerPx)
        details["openAvgPx"] = text(record.openAvgPx)
        details["closeAvgPx"] = text(record.closeAvgPx)
        details["liqPenalty"] = text(record.liqPenalty)
        details["closeType"] = .string(record.type.rawValue)
        details["ccy"] = .string(record.ccy)
        return details
    }

    /// One endpoint's answer for `raw`: OKX's envelope as received (for a paged read, every page's
    /// records in order), with when it was fetched and the request paths (which hold no credentials).
    public static func raw<Item>(_ response: ExchangeResponse<Item>) -> JSON {
        guard case .object(var envelope) = response.raw else { return response.raw }
        envelope["fetchedAt"] = .string(VerificationResponse.timestamp(response.fetchedAt))
        envelope["requests"] = .array(response.pages.map { .string($0.requestPath) })
        if !response.isComplete { envelope["complete"] = .bool(false) }
        return .object(envelope)
    }

    /// Seed 002's order states: OKX `live` is `created`; the canceled kinds are `canceled`.
    public static func state(_ state: OKXOrder.State) -> String {
        switch state {
        case .live: "created"
        case .mmpCanceled: "canceled"
        default: state.rawValue
        }
    }

    /// A decimal as plain text (`"53.575"`), null when OKX sent `""`.
    public static func text(_ value: Decimal?) -> JSON {
        value.map { .string(NSDecimalNumber(decimal: $0).description(withLocale: Locale(identifier: "en_US_POSIX"))) } ?? .null
    }
}
