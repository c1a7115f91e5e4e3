import Crypto

/// Solidity ABI encoding and decoding (https://docs.soliditylang.org/en/latest/abi-spec.html).
public enum ABI {
    /// The encoding of `values` as the tuple `(types…)`: heads, then tails of dynamic values.
    /// Throws `.abiTypeMismatch` for a value of the wrong shape and `.abiValueOutOfRange` for
    /// one that does not fit its type (e.g. 256 as `uint8`).
    public static func encode(_ values: [ABIValue], as types: [ABIType]) throws(EthereumError) -> [UInt8] {
        for type in types { try type.validate() }
        var out: [UInt8] = []
        try encodeTuple(values, types, into: &out)
        return out
    }

    /// The first four bytes of keccak256 of a signature such as `transfer(address,uint256)`.
    public static func selector(_ signature: String) -> [UInt8] {
        Array(Keccak256.hash(Array(signature.utf8)).prefix(4))
    }

    /// The topic under which an indexed argument is stored: the value's word for value types,
    /// keccak256 of its in-place encoding for strings, bytes, arrays and tuples (spec: "Events").
    public static func topic(for value: ABIValue, as type: ABIType) throws(EthereumError) -> Hash {
        try type.validate()
        if type.isHashedWhenIndexed {
            var packed: [UInt8] = []
            try encodeIndexed(value, type, into: &packed)
            return Hash.keccak256(packed)
        }
        var word: [UInt8] = []
        try encodeValue(value, type, into: &word)
        return Hash(unchecked: word)
    }

    // MARK: - Internals

    static func encodeTuple(_ values: [ABIValue], _ types: [ABIType], into out: inout [UInt8]) throws(EthereumError) {
        guard values.count == types.count else {
            throw EthereumError(.abiTypeMismatch, "\(values.count) values for \(types.count) types (\(types.map(\.canonicalName).joined(separator: ",")))")
        }
        let headSize = types.reduce(0) { $0 + $1.headSize }
        var tail: [UInt8] = []
        out.reserveCapacity(out.count + headSize)
        for (value, type) in zip(values, types) {
            if type.isDynamic {
                out.append(contentsOf: word(headSize + tail.count))
                try encodeValue(value, type, into: &tail)
            } else {
                try encodeValue(value, type, into: &out)
            }
        }
        out.append(contentsOf: tail)
    }

    static func encodeValue(_ value: ABIValue, _ type: ABIType, into out: inout [UInt8]) throws(EthereumError) {
        switch (type, value) {
        case (.uint(let bits), .uint(let number)):
            guard number.bitLength <= bits else {
                throw EthereumError(.abiValueOutOfRange, "\(number) does not fit uint\(bits)")
            }
            out.append(contentsOf: number.bytes)
        case (.int(let bits), .int(let number)):
            guard number.fits(bits: bits) else {
                throw EthereumError(.abiValueOutOfRange, "\(number) does not fit int\(bits)")
            }
            out.append(contentsOf: number.bitPattern.bytes)
        case (.address, .address(let address)):
            out.append(contentsOf: address.word)
        case (.bool, .bool(let flag)):
            out.append(contentsOf: word(flag ? 1 : 0))
        case (.fixedBytes(let count), .fixedBytes(let bytes)):
            guard bytes.count == count else {
                throw EthereumError(.abiTypeMismatch, "bytes\(count) needs exactly \(count) bytes, got \(bytes.count)")
            }
            appendPadded(bytes, to: &out)
        case (.bytes, .bytes(let bytes)):
            out.append(contentsOf: word(bytes.count))
            appendPadded(bytes, to: &out)
        case (.string, .string(let text)):
            let bytes = Array(text.utf8)
            out.append(contentsOf: word(bytes.count))
            appendPadded(bytes, to: &out)
        case (.array(let element), .array(let values)):
            out.append(contentsOf: word(values.count))
            try encodeTuple(values, Array(repeating: element, count: values.count), into: &out)
        case (.fixedArray(let element, let count), .array(let values)):
            guard values.count == count else {
                throw EthereumError(.abiTypeMismatch, "\(type.canonicalName) needs \(count) elements, got \(values.count)")
            }
            try encodeTuple(values, Array(repeating: element, count: count), into: &out)
        case (.tuple(let components), .tuple(let values)):
            try encodeTuple(values, components, into: &out)
        default:
            throw EthereumError(.abiTypeMismatch, "a \(value.kind) value cannot be encoded as \(type.canonicalName)")
        }
    }

    /// The in-place encoding hashed for indexed event arguments: no length prefixes or
    /// offsets; bytes and strings padded to 32 bytes only inside arrays and tuples.
    private static func encodeIndexed(_ value: ABIValue, _ type: ABIType, nested: Bool = false,
                                      into out: inout [UInt8]) throws(EthereumError) {
        switch (type, value) {
        case (.bytes, .bytes(let bytes)):
            if nested { appendPadded(bytes, to: &out) } else { out.append(contentsOf: bytes) }
        case (.string, .string(let text)):
            if nested { appendPadded(Array(text.utf8), to: &out) } else { out.append(contentsOf: text.utf8) }
        case (.array(let element), .array(let values)):
            for item in values { try encodeIndexed(item, element, nested: true, into: &out) }
        case (.fixedArray(let element, let count), .array(let values)):
            guard values.count == count else {
                throw EthereumError(.abiTypeMismatch, "\(type.canonicalName) needs \(count) elements, got \(values.count)")
            }
            for item in values { try encodeIndexed(item, element, nested: true, into: &out) }
        case (.tuple(let components), .tuple(let values)):
            guard values.count == components.count else {
                throw EthereumError(.abiTypeMismatch, "\(values.count) values for \(type.canonicalName)")
            }
            for (item, component) in zip(values, components) { try encodeIndexed(item, component, nested: true, into: &out) }
        default:
            try encodeValue(value, type, into: &out)
        }
    }

    static func word(_ value: Int) -> [UInt8] { UInt256(UInt64(value)).bytes }

    private static func appendPadded(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: bytes)
        let remainder = bytes.count % 32
        if remainder != 0 { out.append(contentsOf: repeatElement(0, count: 32 - remainder)) }
    }
}

extension ABIType {
    /// Indexed event arguments of these types are stored as a hash, not a value (spec: "Events").
    var isHashedWhenIndexed: Bool {
        switch self {
        case .bytes, .string, .array, .fixedArray, .tuple: return true
        case .uint, .int, .address, .bool, .fixedBytes: return false
        }
    }
}
