import Crypto
import Wire

/// Ethereum JSON-RPC wire encodings (execution-apis): quantities are `0x`-hex without leading
/// zeros, data is `0x`-hex with an even number of digits.
enum WireFormat {
    static func quantity(_ value: UInt64) -> JSON { .string("0x" + String(value, radix: 16)) }
    static func quantity(_ value: UInt256) -> JSON { .string(value.hexString) }
    static func data(_ bytes: [UInt8]) -> JSON { .string(Hex.encode(bytes, prefix: true)) }

    /// The largest block number, gas amount, nonce or count taken from a node: SQLite's integer range.
    /// A node answering more is wrong or hostile; refusing it here means no sum of a node's value and
    /// a configured one (`head + confirmations`, `estimate × margin`) can wrap or trap.
    static let maxQuantity = UInt64(Int64.max)

    static func uint64(_ json: JSON?, _ field: String) throws(RPCError) -> UInt64 {
        guard let text = json?.stringValue, text.hasPrefix("0x"), text.count > 2, text.count <= 18,
              let value = UInt64(text.dropFirst(2), radix: 16) else {
            throw .malformed("\(field) is not a hex quantity: \(json.map { $0.serializedString } ?? "missing")")
        }
        guard value <= maxQuantity else { throw .malformed("\(field) is \(text), above 2^63 − 1: no chain has such a value") }
        return value
    }

    static func uint256(_ json: JSON?, _ field: String) throws(RPCError) -> UInt256 {
        guard let text = json?.stringValue, text.hasPrefix("0x"), text.count > 2,
              let value = try? UInt256(hex: text) else {
            throw .malformed("\(field) is not a hex quantity: \(json.map { $0.serializedString } ?? "missing")")
        }
        return value
    }

    static func bytes(_ json: JSON?, _ field: String) throws(RPCError) -> [UInt8] {
        guard let text = json?.stringValue, text.hasPrefix("0x"), let bytes = Hex.decode(text) else {
            throw .malformed("\(field) is not hex data")
        }
        return bytes
    }

    static func hash(_ json: JSON?, _ field: String) throws(RPCError) -> Hash {
        guard let text = json?.stringValue, let hash = try? Hash(hex: text) else { throw .malformed("\(field) is not a 32-byte hash") }
        return hash
    }

    static func address(_ json: JSON?, _ field: String) throws(RPCError) -> Address {
        guard let text = json?.stringValue, let address = try? Address(hex: text) else { throw .malformed("\(field) is not an address") }
        return address
    }

    static func optionalAddress(_ json: JSON?, _ field: String) throws(RPCError) -> Address? {
        guard let json, !json.isNull else { return nil }
        return try address(json, field)
    }
}
