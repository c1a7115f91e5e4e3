import Crypto

/// A 32-byte hash: transaction and block hashes, log topics, Merkle roots.
public struct Hash: Sendable, Hashable, Comparable {
    /// The 32 hash bytes.
    public let bytes: [UInt8]

    public static let zero = Hash(unchecked: [UInt8](repeating: 0, count: 32))

    /// Exactly 32 bytes.
    public init(bytes: some Collection<UInt8>) throws(EthereumError) {
        guard bytes.count == 32 else {
            throw EthereumError(.invalidHash, "a hash is 32 bytes, got \(bytes.count)")
        }
        self.bytes = Array(bytes)
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// 64 hex digits with or without `0x`, either case.
    public init(hex text: some StringProtocol) throws(EthereumError) {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard digits.utf8.count == 64, let decoded = Hex.decode(digits), decoded.count == 32 else {
            throw EthereumError(.invalidHash, "\"\(UInt256.excerpt(text))\" is not a hash (0x and 64 hex digits)")
        }
        self.bytes = decoded
    }

    /// The word `value` as a topic (big-endian).
    public init(_ value: UInt256) { self.bytes = value.bytes }

    /// Keccak-256 of `data`.
    public static func keccak256<D: Sequence>(_ data: D) -> Hash where D.Element == UInt8 {
        Hash(unchecked: Keccak256.hash(data))
    }

    /// The hash read as a big-endian integer.
    public var uint256: UInt256 {
        var value = UInt256.zero
        for i in 0..<4 {
            var limb: UInt64 = 0
            for byte in bytes[(24 - 8 * i)..<(32 - 8 * i)] { limb = limb << 8 | UInt64(byte) }
            value[limb: i] = limb
        }
        return value
    }

    public static func < (lhs: Hash, rhs: Hash) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

extension Hash: CustomStringConvertible {
    /// Lowercase `0x` hex.
    public var description: String { Hex.encode(bytes, prefix: true) }
}

extension Hash: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try Hash(hex: try container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
