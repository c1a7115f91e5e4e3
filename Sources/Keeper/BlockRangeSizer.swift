import Ethereum

/// The width of the next `eth_getLogs` range: starts at the configured maximum, takes a
/// provider's suggested range when it refuses one ("too many results … try [a, b]"), halves when
/// it gives no suggestion, and doubles back after consecutive successes.
struct BlockRangeSizer: Sendable {
    let maximum: UInt64
    private(set) var current: UInt64
    private var successes = 0
    /// Successes in a row before the width doubles.
    static let growAfter = 2

    init(maximum: Int) {
        self.maximum = UInt64(max(1, maximum))
        current = self.maximum
    }

    mutating func succeeded() {
        successes += 1
        guard successes >= Self.growAfter, current < maximum else { return }
        current = min(maximum, current * 2)
        successes = 0
    }

    /// Narrows after a refused range starting at `from`, to the suggested end when it is usable.
    mutating func refused(from: UInt64, suggestedTo: UInt64?, limit: UInt64?) {
        successes = 0
        if let suggestedTo, suggestedTo >= from, suggestedTo - from + 1 < current {
            current = suggestedTo - from + 1
        } else if let limit, limit > 0, limit < current {
            current = limit
        } else {
            current = max(1, current / 2)
        }
    }

    /// Reads a provider's refusal: nil when `error` is not a range/result-size limit, otherwise the
    /// suggested end block (Infura/Alchemy "[0x…, 0x…]") and/or a stated block-range limit.
    static func rangeLimit(in error: RPCError) -> (suggestedTo: UInt64?, limit: UInt64?)? {
        guard case .rpc(let code, let message, _) = error else { return nil }
        let text = message.lowercased()
        let markers = ["more than", "too many", "range too large", "range is too large", "limited to", "block range",
                       "response size", "exceed", "query timeout", "max range"]
        guard code == -32005 || markers.contains(where: text.contains) else { return nil }
        var suggestedTo: UInt64? = nil
        if let open = text.lastIndex(of: "["), let close = text[open...].firstIndex(of: "]") {
            let parts = text[text.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters() }
            if parts.count == 2 { suggestedTo = Self.number(parts[1]) }
        }
        var limit: UInt64? = nil
        if let range = text.range(of: "limited to ") ?? text.range(of: "up to a ") ?? text.range(of: "maximum of ") {
            var rest = text[range.upperBound...]
            if rest.hasPrefix("a ") { rest = rest.dropFirst(2) }
            let written = rest.prefix { $0.isNumber || $0 == "," || $0 == "_" }
            limit = UInt64(written.filter(\.isNumber))
            if let value = limit, rest.dropFirst(written.count).hasPrefix("k") { limit = value * 1_000 }
        }
        return (suggestedTo, limit)
    }

    private static func number(_ text: Substring) -> UInt64? {
        text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    }
}

private extension Substring {
    func trimmingCharacters() -> Substring {
        drop { $0 == " " }.reversed().drop { $0 == " " }.reversed().reduce(into: Substring()) { $0.append($1) }
    }
}
