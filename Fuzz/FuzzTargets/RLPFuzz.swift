import Ethereum

/// Strict RLP: whatever decodes re-encodes to exactly the input (only canonical encodings are
/// accepted), and so does a decoded transaction.
enum RLPFuzz {
    static func run(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        var decoded = false
        if let item = try? RLP.decode(input) {
            try require(RLP.encode(item) == input, "encode(decode(x)) != x for a canonical-only decoder")
            try require((try? RLP.decode(RLP.encode(item))) == item, "decode(encode(decode(x))) != decode(x)")
            visit(item)
            decoded = true
        }
        if let transaction = try? SignedTransaction(raw: input) {
            try require(transaction.rawBytes == input, "a decoded transaction does not re-encode to its bytes")
            decoded = true
        }
        return decoded
    }

    /// The typed accessors must throw, never trap, on any item.
    private static func visit(_ item: RLPItem) {
        _ = try? item.asUInt256()
        _ = try? item.asUInt64()
        _ = try? item.asAddress()
        if case .list(let items) = item {
            for child in items { visit(child) }
        }
    }
}
