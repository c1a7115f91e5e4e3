/// A Solidity ABI type (https://docs.soliditylang.org/en/latest/abi-spec.html#types).
///
/// `fixed`/`ufixed` and `function` are not supported: no contract this keeper talks to uses them.
public indirect enum ABIType: Sendable, Hashable {
    /// `uint<M>`, 8 ≤ M ≤ 256, M % 8 == 0.
    case uint(Int)
    /// `int<M>`, two's complement, 8 ≤ M ≤ 256, M % 8 == 0.
    case int(Int)
    case address
    case bool
    /// `bytes<M>`, 1 ≤ M ≤ 32.
    case fixedBytes(Int)
    case bytes
    case string
    /// `T[]`.
    case array(ABIType)
    /// `T[k]`, k ≥ 1.
    case fixedArray(ABIType, Int)
    /// `(T1,…,Tn)`, n ≥ 1.
    case tuple([ABIType])

    /// Deepest nesting of arrays and tuples accepted.
    public static let maxDepth = 32
    /// Largest static size (bytes) a type may have; protects size arithmetic from overflow.
    public static let maxStaticSize = 1 << 32

    /// Parses a type as written in signatures and JSON ABIs: `uint256`, `bytes32`,
    /// `(uint256,string)[]`, `int8[3][]`. `uint`/`int` mean `uint256`/`int256`.
    public init(_ text: String) throws(EthereumError) {
        var parser = ABITypeParser(text)
        let type = try parser.parseType(depth: 0)
        guard parser.atEnd else { throw parser.failure("unexpected text after the type") }
        try type.validate()
        self = type
    }

    /// The canonical spelling used in signatures: `uint256`, `(address,bytes32)[2]`.
    public var canonicalName: String {
        switch self {
        case .uint(let bits): return "uint\(bits)"
        case .int(let bits): return "int\(bits)"
        case .address: return "address"
        case .bool: return "bool"
        case .fixedBytes(let count): return "bytes\(count)"
        case .bytes: return "bytes"
        case .string: return "string"
        case .array(let element): return element.canonicalName + "[]"
        case .fixedArray(let element, let count): return element.canonicalName + "[\(count)]"
        case .tuple(let components): return "(" + components.map(\.canonicalName).joined(separator: ",") + ")"
        }
    }

    /// Dynamic per the spec: `bytes`, `string`, `T[]`, and `T[k]` or tuples containing a dynamic type.
    public var isDynamic: Bool {
        switch self {
        case .bytes, .string, .array: return true
        case .fixedArray(let element, _): return element.isDynamic
        case .tuple(let components): return components.contains { $0.isDynamic }
        case .uint, .int, .address, .bool, .fixedBytes: return false
        }
    }

    /// Bytes the type takes in its enclosing head: a 32-byte offset when dynamic, else its
    /// whole static encoding. Only meaningful after `validate()`.
    var headSize: Int {
        switch self {
        case _ where isDynamic: return 32
        case .fixedArray(let element, let count): return element.headSize * count
        case .tuple(let components): return components.reduce(0) { $0 + $1.headSize }
        default: return 32
        }
    }

    /// Checks sizes, counts and nesting so that encoding and decoding can trust the type.
    public func validate() throws(EthereumError) {
        _ = try checkedStaticSize(depth: 0)
    }

    /// The static size in bytes (32 for dynamic types), with every rule checked.
    private func checkedStaticSize(depth: Int) throws(EthereumError) -> Int {
        guard depth <= Self.maxDepth else {
            throw EthereumError(.abiInvalidType, "ABI type nests deeper than \(Self.maxDepth)")
        }
        switch self {
        case .uint(let bits), .int(let bits):
            guard bits >= 8, bits <= 256, bits % 8 == 0 else {
                throw EthereumError(.abiInvalidType, "\(canonicalName): the bit size must be a multiple of 8 from 8 to 256")
            }
            return 32
        case .fixedBytes(let count):
            guard count >= 1, count <= 32 else {
                throw EthereumError(.abiInvalidType, "bytes\(count): the size must be from 1 to 32")
            }
            return 32
        case .address, .bool, .bytes, .string:
            return 32
        case .array(let element):
            _ = try element.checkedStaticSize(depth: depth + 1)
            return 32
        case .fixedArray(let element, let count):
            guard count >= 1 else {
                throw EthereumError(.abiInvalidType, "\(canonicalName): a fixed array needs at least one element")
            }
            let elementSize = try element.checkedStaticSize(depth: depth + 1)
            if isDynamic { return 32 }
            let (size, overflow) = elementSize.multipliedReportingOverflow(by: count)
            guard !overflow, size <= Self.maxStaticSize else {
                throw EthereumError(.abiInvalidType, "\(canonicalName) is too large to encode")
            }
            return size
        case .tuple(let components):
            guard !components.isEmpty else {
                throw EthereumError(.abiInvalidType, "an empty tuple () is not a valid ABI type")
            }
            var size = 0
            for component in components {
                size += try component.checkedStaticSize(depth: depth + 1)
                guard size <= Self.maxStaticSize else {
                    throw EthereumError(.abiInvalidType, "tuple is too large to encode")
                }
            }
            return isDynamic ? 32 : size
        }
    }

    /// `T` wrapped in the array suffixes of `suffix`, e.g. `[2][]` (JSON ABIs write tuples as
    /// `"tuple[2][]"` with separate `components`).
    static func applyingArraySuffix(_ suffix: Substring, to base: ABIType) throws(EthereumError) -> ABIType {
        var parser = ABITypeParser(String(suffix))
        let type = try parser.parseArraySuffixes(base: base)
        guard parser.atEnd else { throw parser.failure("unexpected text after the array suffix") }
        try type.validate()
        return type
    }
}

extension ABIType: CustomStringConvertible {
    public var description: String { canonicalName }
}

/// Recursive-descent parser over a type string's bytes.
struct ABITypeParser {
    private let text: String
    private let bytes: [UInt8]
    private var position = 0

    init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8)
    }

    var atEnd: Bool { position == bytes.count }

    func failure(_ problem: String) -> EthereumError {
        EthereumError(.abiInvalidType, "\"\(UInt256.excerpt(text))\" is not an ABI type: \(problem) at character \(position)")
    }

    mutating func parseType(depth: Int) throws(EthereumError) -> ABIType {
        guard depth <= ABIType.maxDepth else { throw failure("nesting deeper than \(ABIType.maxDepth)") }
        let base: ABIType
        if position < bytes.count, bytes[position] == UInt8(ascii: "(") {
            position += 1
            var components: [ABIType] = []
            if position < bytes.count, bytes[position] == UInt8(ascii: ")") {
                throw failure("empty tuple")
            }
            while true {
                components.append(try parseType(depth: depth + 1))
                guard position < bytes.count else { throw failure("missing )") }
                let c = bytes[position]
                position += 1
                if c == UInt8(ascii: ")") { break }
                guard c == UInt8(ascii: ",") else { throw failure("expected , or )") }
            }
            base = .tuple(components)
        } else {
            base = try parseElementary()
        }
        return try parseArraySuffixes(base: base)
    }

    mutating func parseArraySuffixes(base: ABIType) throws(EthereumError) -> ABIType {
        var type = base
        var depth = 0
        while position < bytes.count, bytes[position] == UInt8(ascii: "[") {
            position += 1
            depth += 1
            guard depth <= ABIType.maxDepth else { throw failure("too many array dimensions") }
            let digits = readWhile { $0 >= 0x30 && $0 <= 0x39 }
            guard position < bytes.count, bytes[position] == UInt8(ascii: "]") else { throw failure("expected ]") }
            position += 1
            if digits.isEmpty {
                type = .array(type)
            } else {
                guard digits.count <= 9, digits.first != UInt8(ascii: "0") || digits.count == 1,
                      let count = Int(String(decoding: digits, as: UTF8.self)), count > 0 else {
                    throw failure("array length must be a positive decimal without leading zeros")
                }
                type = .fixedArray(type, count)
            }
        }
        return type
    }

    private mutating func parseElementary() throws(EthereumError) -> ABIType {
        let letters = String(decoding: readWhile { $0 >= 0x61 && $0 <= 0x7A }, as: UTF8.self)
        let digits = readWhile { $0 >= 0x30 && $0 <= 0x39 }
        let size: Int?
        if digits.isEmpty {
            size = nil
        } else {
            guard digits.count <= 3, digits.first != UInt8(ascii: "0"),
                  let value = Int(String(decoding: digits, as: UTF8.self)) else {
                throw failure("bad size")
            }
            size = value
        }
        switch (letters, size) {
        case ("uint", nil): return .uint(256)
        case ("uint", let bits?): return .uint(bits)
        case ("int", nil): return .int(256)
        case ("int", let bits?): return .int(bits)
        case ("address", nil): return .address
        case ("bool", nil): return .bool
        case ("bytes", nil): return .bytes
        case ("bytes", let count?): return .fixedBytes(count)
        case ("string", nil): return .string
        case ("", _): throw failure("expected a type name")
        default: throw failure("unknown or unsupported type \(letters)\(size.map(String.init) ?? "")")
        }
    }

    private mutating func readWhile(_ predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
        let start = position
        while position < bytes.count, predicate(bytes[position]) { position += 1 }
        return bytes[start..<position]
    }
}
