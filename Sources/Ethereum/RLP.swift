/// An RLP item: a byte string or a list of items (Ethereum Yellow Paper, appendix B).
///
/// Encoding cannot fail. Decoding is strict: only the one canonical encoding of an item is
/// accepted, so that a decoded transaction re-encodes to the bytes that were signed.
public enum RLPItem: Sendable, Hashable {
    case bytes([UInt8])
    case list([RLPItem])

    /// Decodes exactly one item spanning all of `data`.
    public init(decoding data: some Collection<UInt8>) throws(EthereumError) {
        self = try RLP.decode(data)
    }

    /// The canonical encoding.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedLength)
        append(to: &out)
        return out
    }

    // MARK: Typed constructors

    /// An unsigned integer: big-endian without leading zeros; zero is the empty string.
    public init(uint value: UInt256) { self = .bytes(value.minimalBytes) }

    /// An unsigned integer of a standard width (nonces, gas limits, chain ids).
    public init<T: FixedWidthInteger & UnsignedInteger>(uint value: T) {
        self = .bytes(UInt256(UInt64(value)).minimalBytes)
    }

    /// The 20 address bytes.
    public init(address: Address) { self = .bytes(address.bytes) }

    /// The UTF-8 bytes of `string`.
    public init(string: String) { self = .bytes(Array(string.utf8)) }

    // MARK: Typed accessors (throw `.rlpUnexpectedItem`)

    /// The byte string, or an error when this is a list.
    public func asBytes() throws(EthereumError) -> [UInt8] {
        guard case .bytes(let bytes) = self else {
            throw EthereumError(.rlpUnexpectedItem, "expected an RLP byte string, found a list")
        }
        return bytes
    }

    /// The items, or an error when this is a byte string.
    public func asList() throws(EthereumError) -> [RLPItem] {
        guard case .list(let items) = self else {
            throw EthereumError(.rlpUnexpectedItem, "expected an RLP list, found a byte string")
        }
        return items
    }

    /// An integer field: at most 32 bytes, no leading zero byte (zero is the empty string).
    public func asUInt256() throws(EthereumError) -> UInt256 {
        let bytes = try asBytes()
        guard bytes.first != 0 else {
            throw EthereumError(.rlpNonCanonical, "RLP integer has a leading zero byte")
        }
        guard bytes.count <= 32 else {
            throw EthereumError(.rlpUnexpectedItem, "RLP integer of \(bytes.count) bytes exceeds 256 bits")
        }
        return try UInt256(bytes: bytes)
    }

    /// An integer field that must fit in 64 bits (nonces, gas limits, chain ids).
    public func asUInt64() throws(EthereumError) -> UInt64 {
        let value = try asUInt256()
        guard let small = UInt64(exactly: value) else {
            throw EthereumError(.rlpUnexpectedItem, "RLP integer \(value) exceeds 64 bits")
        }
        return small
    }

    /// A 20-byte address field.
    public func asAddress() throws(EthereumError) -> Address {
        let bytes = try asBytes()
        guard bytes.count == 20 else {
            throw EthereumError(.rlpUnexpectedItem, "expected a 20-byte address, found \(bytes.count) bytes")
        }
        return Address(unchecked: bytes)
    }

    // MARK: Encoding internals

    /// Length of the encoding, header included.
    var encodedLength: Int {
        switch self {
        case .bytes(let bytes):
            if bytes.count == 1 && bytes[0] < 0x80 { return 1 }
            return Self.headerLength(bytes.count) + bytes.count
        case .list(let items):
            let payload = items.reduce(0) { $0 + $1.encodedLength }
            return Self.headerLength(payload) + payload
        }
    }

    private func append(to out: inout [UInt8]) {
        switch self {
        case .bytes(let bytes):
            if bytes.count == 1 && bytes[0] < 0x80 {
                out.append(bytes[0])
            } else {
                Self.appendHeader(length: bytes.count, shortBase: 0x80, to: &out)
                out.append(contentsOf: bytes)
            }
        case .list(let items):
            let payload = items.reduce(0) { $0 + $1.encodedLength }
            Self.appendHeader(length: payload, shortBase: 0xC0, to: &out)
            for item in items { item.append(to: &out) }
        }
    }

    private static func headerLength(_ length: Int) -> Int {
        length < 56 ? 1 : 1 + lengthBytes(length).count
    }

    private static func lengthBytes(_ length: Int) -> [UInt8] {
        UInt256(UInt64(length)).minimalBytes
    }

    /// `shortBase` is 0x80 for strings, 0xC0 for lists; long forms add 55 + length-of-length.
    private static func appendHeader(length: Int, shortBase: UInt8, to out: inout [UInt8]) {
        if length < 56 {
            out.append(shortBase + UInt8(length))
        } else {
            let bytes = lengthBytes(length)
            out.append(shortBase + 55 + UInt8(bytes.count))
            out.append(contentsOf: bytes)
        }
    }
}

/// Strict RLP decoding.
public enum RLP {
    /// Deepest list nesting accepted; deeper input is hostile (no Ethereum structure nests past a few).
    public static let maxDepth = 64

    /// The canonical encoding of `item`.
    public static func encode(_ item: RLPItem) -> [UInt8] { item.encoded() }

    /// Decodes exactly one item spanning all of `data`. Throws `.rlpTruncated`,
    /// `.rlpNonCanonical`, `.rlpTrailingBytes` or `.rlpTooDeep`.
    public static func decode(_ data: some Collection<UInt8>) throws(EthereumError) -> RLPItem {
        let bytes = Array(data)
        var reader = Reader(bytes: bytes)
        let item = try reader.readItem(end: bytes.count, depth: 0)
        guard reader.position == bytes.count else {
            throw EthereumError(.rlpTrailingBytes, "\(bytes.count - reader.position) bytes follow the RLP item")
        }
        return item
    }

    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        /// Reads one item that must end at or before `end`.
        mutating func readItem(end: Int, depth: Int) throws(EthereumError) -> RLPItem {
            guard position < end else {
                throw EthereumError(.rlpTruncated, "RLP input ends where an item was expected (offset \(position))")
            }
            let prefix = bytes[position]
            position += 1
            switch prefix {
            case 0x00...0x7F:
                return .bytes([prefix])
            case 0x80...0xB7:
                let length = Int(prefix - 0x80)
                let payload = try take(length, end: end)
                if length == 1 && payload[0] < 0x80 {
                    throw EthereumError(.rlpNonCanonical, "single byte 0x\(String(payload[0], radix: 16)) below 0x80 must be encoded as itself, not 0x81-prefixed")
                }
                return .bytes(payload)
            case 0xB8...0xBF:
                let length = try readLongLength(count: Int(prefix - 0xB7), end: end)
                return .bytes(try take(length, end: end))
            case 0xC0...0xF7:
                return .list(try readList(length: Int(prefix - 0xC0), end: end, depth: depth))
            default: // 0xF8...0xFF
                let length = try readLongLength(count: Int(prefix - 0xF7), end: end)
                return .list(try readList(length: length, end: end, depth: depth))
            }
        }

        private mutating func readList(length: Int, end: Int, depth: Int) throws(EthereumError) -> [RLPItem] {
            guard depth < RLP.maxDepth else {
                throw EthereumError(.rlpTooDeep, "RLP lists nest deeper than \(RLP.maxDepth)")
            }
            guard length <= end - position else {
                throw EthereumError(.rlpTruncated, "RLP list of \(length) bytes at offset \(position) runs past the input")
            }
            let listEnd = position + length
            var items: [RLPItem] = []
            while position < listEnd {
                items.append(try readItem(end: listEnd, depth: depth + 1))
            }
            return items
        }

        /// Reads a long-form length of `count` bytes: no leading zero, and at least 56.
        private mutating func readLongLength(count: Int, end: Int) throws(EthereumError) -> Int {
            let raw = try take(count, end: end)
            guard raw[0] != 0 else {
                throw EthereumError(.rlpNonCanonical, "RLP length at offset \(position - count) has a leading zero byte")
            }
            var length: UInt64 = 0
            for byte in raw { length = length << 8 | UInt64(byte) }
            guard length >= 56 else {
                throw EthereumError(.rlpNonCanonical, "RLP length \(length) < 56 must use the short form")
            }
            guard length <= UInt64(end - position) else {
                throw EthereumError(.rlpTruncated, "RLP item of \(length) bytes at offset \(position) runs past the input")
            }
            return Int(length)
        }

        private mutating func take(_ count: Int, end: Int) throws(EthereumError) -> [UInt8] {
            guard count <= end - position else {
                throw EthereumError(.rlpTruncated, "RLP item of \(count) bytes at offset \(position) runs past the input")
            }
            defer { position += count }
            return Array(bytes[position..<(position + count)])
        }
    }
}
