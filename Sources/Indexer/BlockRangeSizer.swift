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
        if let suggestedTo, suggestedTo >= from, suggestedTo - from < current - 1 {  // no overflow whatever the node suggests
            current = suggestedTo - from + 1
        } else if let limit, limit > 0, limit < current {
            current = limit
        } else {
            current = max(1, current / 2)
        }
    }

    /// Reads a provider's range refusal (`RPCError.providerRefusal`, docs/PROVIDERS.md): nil when
    /// `error` is not one, otherwise the suggested end block and/or the stated block-range limit.
    static func rangeLimit(in error: RPCError) -> (suggestedTo: UInt64?, limit: UInt64?)? {
        guard case .rangeTooLarge(let suggestedTo, let limit)? = error.providerRefusal else { return nil }
        return (suggestedTo, limit)
    }
}
