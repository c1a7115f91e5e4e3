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
                try require(exact(text) == exact(value.description), "OKXDecimal.parse(\"\(text)\") is \(value), not the amount written")
            }
        }
        return okxCode != nil
    }

    /// A decimal numeral's value as sign, significant digits and power of ten: "-012.50e1" and
    /// "-125" both give "-125e0". Nil for what is not a numeral.
    static func exact(_ text: String) -> String? {
        var text = Substring(text)
        let negative = text.first == "-"
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let value = Int(text[text.index(after: e)...]) else { return nil }
            exponent = value
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        var digits = Substring(parts.joined())
        if parts.count == 2 { exponent -= parts[1].count }
        digits = digits.drop { $0 == "0" }
        guard !digits.isEmpty else { return "0e0" }
        while digits.last == "0" { digits = digits.dropLast(); exponent += 1 }
        return (negative ? "-" : "") + digits + "e\(exponent)"
    }

    private static func finite(_ values: [Decimal?], _ what: String) throws(InvariantViolation) {
        for case let value? in values {
            try require(value.isFinite, "\(what): a decimal decoded to \(value)")
        }
    }
}
