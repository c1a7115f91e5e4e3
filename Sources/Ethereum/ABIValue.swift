import Crypto

/// A typed ABI value. Fixed and dynamic arrays both use `.array`; the `ABIType` says which.
public indirect enum ABIValue: Sendable, Hashable {
    case uint(UInt256)
    case int(Int256)
    case address(Address)
    case bool(Bool)
    /// The M bytes of a `bytes<M>`, unpadded.
    case fixedBytes([UInt8])
    case bytes([UInt8])
    case string(String)
    case array([ABIValue])
    case tuple([ABIValue])

    /// A `bytes32` value from a hash.
    public static func bytes32(_ hash: Hash) -> ABIValue { .fixedBytes(hash.bytes) }

    // MARK: Typed accessors (throw `.abiTypeMismatch`)

    public func asUInt() throws(EthereumError) -> UInt256 {
        guard case .uint(let value) = self else { throw mismatch("uint") }
        return value
    }

    public func asInt() throws(EthereumError) -> Int256 {
        guard case .int(let value) = self else { throw mismatch("int") }
        return value
    }

    public func asAddress() throws(EthereumError) -> Address {
        guard case .address(let value) = self else { throw mismatch("address") }
        return value
    }

    public func asBool() throws(EthereumError) -> Bool {
        guard case .bool(let value) = self else { throw mismatch("bool") }
        return value
    }

    /// The bytes of a `bytes` or `bytes<M>` value.
    public func asBytes() throws(EthereumError) -> [UInt8] {
        switch self {
        case .bytes(let value), .fixedBytes(let value): return value
        default: throw mismatch("bytes")
        }
    }

    /// A `bytes32` value as a hash.
    public func asHash() throws(EthereumError) -> Hash {
        guard case .fixedBytes(let value) = self, value.count == 32 else { throw mismatch("bytes32") }
        return Hash(unchecked: value)
    }

    public func asString() throws(EthereumError) -> String {
        guard case .string(let value) = self else { throw mismatch("string") }
        return value
    }

    /// The elements of an array or the components of a tuple.
    public func asArray() throws(EthereumError) -> [ABIValue] {
        switch self {
        case .array(let values), .tuple(let values): return values
        default: throw mismatch("array or tuple")
        }
    }

    /// A short name for the value's case, for error messages.
    var kind: String {
        switch self {
        case .uint: return "uint"
        case .int: return "int"
        case .address: return "address"
        case .bool: return "bool"
        case .fixedBytes(let bytes): return "bytes\(bytes.count)"
        case .bytes: return "bytes"
        case .string: return "string"
        case .array(let values): return "array of \(values.count)"
        case .tuple(let values): return "tuple of \(values.count)"
        }
    }

    private func mismatch(_ wanted: String) -> EthereumError {
        EthereumError(.abiTypeMismatch, "expected a \(wanted) value, found \(kind)")
    }
}

extension ABIValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .uint(let value): return value.description
        case .int(let value): return value.description
        case .address(let value): return value.checksummed
        case .bool(let value): return value.description
        case .fixedBytes(let value), .bytes(let value): return Hex.encode(value, prefix: true)
        case .string(let value): return "\"\(value)\""
        case .array(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .tuple(let values): return "(" + values.map(\.description).joined(separator: ", ") + ")"
        }
    }
}
