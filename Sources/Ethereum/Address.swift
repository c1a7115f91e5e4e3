import Crypto

/// A 20-byte account address. Parsing enforces EIP-55: all-lowercase or all-uppercase hex is
/// accepted as is; mixed case must match the checksum (https://eips.ethereum.org/EIPS/eip-55).
public struct Address: Sendable, Hashable, Comparable {
    /// The 20 address bytes.
    public let bytes: [UInt8]

    public static let zero = Address(unchecked: [UInt8](repeating: 0, count: 20))

    /// Exactly 20 bytes.
    public init(bytes: some Collection<UInt8>) throws(EthereumError) {
        guard bytes.count == 20 else {
            throw EthereumError(.invalidAddress, "an address is 20 bytes, got \(bytes.count)")
        }
        self.bytes = Array(bytes)
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// 40 hex digits with or without `0x`. Mixed case must carry a valid EIP-55 checksum.
    public init(hex text: some StringProtocol) throws(EthereumError) {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard digits.utf8.count == 40, let decoded = Hex.decode(digits), decoded.count == 20 else {
            throw EthereumError(.invalidAddress, "\"\(UInt256.excerpt(text))\" is not an address (0x and 40 hex digits)")
        }
        self.bytes = decoded
        let hasLower = digits.utf8.contains { (0x61...0x66).contains($0) }
        let hasUpper = digits.utf8.contains { (0x41...0x46).contains($0) }
        if hasLower && hasUpper {
            guard "0x" + digits == checksummed else {
                throw EthereumError(.invalidChecksum, "\(text) has mixed case that does not match its EIP-55 checksum \(checksummed): check for a typo")
            }
        }
    }

    /// The EIP-55 mixed-case form: hex digit i is uppercased when nibble i of
    /// keccak256(lowercase hex) is 8 or more.
    public var checksummed: String {
        let lower = Array(Hex.encode(bytes).utf8)
        let hash = Keccak256.hash(lower)
        var out: [UInt8] = [0x30, 0x78]
        out.reserveCapacity(42)
        for (i, c) in lower.enumerated() {
            let nibble = i % 2 == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 0x0F
            out.append(c >= 0x61 && nibble >= 8 ? c - 0x20 : c)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 32-byte ABI word / log topic form: twelve zero bytes, then the address.
    public var word: [UInt8] { [UInt8](repeating: 0, count: 12) + bytes }

    public static func < (lhs: Address, rhs: Address) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

extension Address: CustomStringConvertible {
    /// Lowercase `0x` hex: the form stored and compared; use `checksummed` for display.
    public var description: String { Hex.encode(bytes, prefix: true) }
}

extension Address: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try Address(hex: try container.decode(String.self))
    }

    /// Encodes as the EIP-55 checksummed string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(checksummed)
    }
}
