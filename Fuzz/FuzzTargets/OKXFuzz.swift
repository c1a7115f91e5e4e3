import Foundation
import OKX
import Wire

/// OKX v5 answers: the envelope (`code`, `msg`, `data`) classified as the client classifies it,
/// and `data` decoded as each record type. Amounts that decode are finite, and exactly the amount written.
enum OKXFuzz {
    static func run(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        guard let json = try? JSON(parsing: input) else { return false }
        let okxCode: String? = switch json["code"] {
        case .string(let code)?: code
        case .number(let code)?: code
        default: nil
        }
        for status in [200, 429, 503] {
            _ = OKXError.answer(status: status, okxCode: okxCode, msg: json["msg"]?.stringValue ?? "",
                                endpoint: "/api/v5/trade/order", request: ["ordId": "1", "instId": "BTC-USDT-SWAP"])
        }
        let raw = RawExchangeResponse(endpoint: "/api/v5/trade/order", requestPath: "/api/v5/trade/order", status: 200,
                                      body: input, json: json, fetchedAt: Date(timeIntervalSince1970: 0),
                                      rttMs: 0, attempts: 1, waitedMs: 0)
        for order in (try? OKXClient.decode(raw, as: OKXOrder.init(json:))) ?? [] {
            try finite([order.px, order.sz, order.avgPx, order.accFillSz, order.lever, order.fee, order.pnl], "order")
        }
        for position in (try? OKXClient.decode(raw, as: OKXPositionHistory.init(json:))) ?? [] {
            try finite([position.lever, position.openAvgPx, position.closeAvgPx, position.openMaxPos, position.closeTotalPos,
                        position.realizedPnl, position.pnl, position.fee, position.fundingFee, position.liqPenalty,
                        position.triggerPx], "positions-history")
        }
        _ = try? OKXClient.decode(raw, as: OKXInstrument.init(json:))
        _ = try? OKXClient.decode(raw, as: OKXFill.init(json:))
        for item in json["data"]?.arrayValue ?? [] {
            for case .string(let text) in (item.objectValue ?? [:]).values {
                guard let value = OKXDecimal.parse(text) else { continue }
                try finite([value], "OKXDecimal.parse(\"\(text)\")")
                try require(OKXDecimal.numeral(text) == OKXDecimal.numeral(value.description), "OKXDecimal.parse(\"\(text)\") is \(value), not the amount written")
            }
        }
        return okxCode != nil
    }

    private static func finite(_ values: [Decimal?], _ what: String) throws(InvariantViolation) {
        for case let value? in values {
            try require(value.isFinite, "\(what): a decimal decoded to \(value)")
        }
    }
}
