import Foundation
import OKX
import Verification
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
                  marginMode: order.tdMode, origin: origin, time: order.fillTime ?? order.cTime)
    }
}

extension PositionFacts {
    /// `type` 3 / 4 → liquidation, 5 → ADL, 1 / 2 → manual close. The direction is `direction`,
    /// else `posSide` (hedge mode).
    public init(okx record: OKXPositionHistory) {
        let close: Close = if record.type.isLiquidation { .liquidation }
            else if record.type == .adl { .adl }
            else if record.type.isManualClose { .manual }
            else { .other(record.type.rawValue) }
        self.init(posId: record.posId, instId: record.instId, marginMode: record.mgnMode,
                  direction: record.direction.isEmpty ? record.posSide : record.direction, close: close,
                  openedAt: record.cTime, closedAt: record.uTime, realizedPnl: record.realizedPnl)
    }
}

/// The `normalized` and `raw` parts of the seed-002 response built from OKX's answers.
enum OKXNormalized {
    /// seed 002 `normalized.order`: `side px sz state avgFillPx accFillSz fee ts`, plus what a
    /// reader needs to recognise the order (`ordId instId posSide mode lever category feeCcy pnl`).
    static func order(_ order: OKXOrder) -> JSON {
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
    static func positionDetails(_ record: OKXPositionHistory?, instrument: OKXInstrument?) -> [String: JSON] {
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
    static func raw<Item>(_ response: ExchangeResponse<Item>) -> JSON {
        guard case .object(var envelope) = response.raw else { return response.raw }
        envelope["fetchedAt"] = .string(VerificationResponse.timestamp(response.fetchedAt))
        envelope["requests"] = .array(response.pages.map { .string($0.requestPath) })
        if !response.isComplete { envelope["complete"] = .bool(false) }
        return .object(envelope)
    }

    /// Seed 002's order states: OKX `live` is `created`; the canceled kinds are `canceled`.
    static func state(_ state: OKXOrder.State) -> String {
        switch state {
        case .live: "created"
        case .mmpCanceled: "canceled"
        default: state.rawValue
        }
    }

    /// A decimal as plain text (`"53.575"`), null when OKX sent `""`.
    static func text(_ value: Decimal?) -> JSON {
        value.map { .string(NSDecimalNumber(decimal: $0).description(withLocale: Locale(identifier: "en_US_POSIX"))) } ?? .null
    }
}
