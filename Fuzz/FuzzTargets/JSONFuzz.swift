import Wire

/// The JSON parser under the JSON-RPC and OKX clients. A parsed document serializes to compact
/// canonical JSON that parses back to the same value and serializes to the same bytes.
enum JSONFuzz {
    static func run(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        guard let value = try? JSON(parsing: input) else { return false }
        let canonical = value.serialized()
        let reparsed: JSON
        do {
            reparsed = try JSON(parsing: canonical)
        } catch {
            throw InvariantViolation("the serialization of a parsed document does not parse: \(error)")
        }
        try require(reparsed == value, "parse(serialize(parse(x))) != parse(x)")
        try require(reparsed.serialized() == canonical, "serialization is not a fixpoint")
        return true
    }
}
