/// A signed 256-bit integer in two's complement: the value of an ABI `int<M>`.
///
/// Only what the ABI needs: construction, range checks, comparison and printing.
public struct Int256: Sendable, Hashable {
    /// The two's-complement bits: what the EVM word holds.
    public let bitPattern: UInt256

    public static let zero = Int256(bitPattern: .zero)
    public static let max = Int256(bitPattern: UInt256.max >> 1)
    public static let min = Int256(bitPattern: UInt256.one << 255)

    public init(bitPattern: UInt256) { self.bitPattern = bitPattern }

    public init(_ value: Int) {
        let magnitude = UInt256(UInt64(value.magnitude))
        bitPattern = value < 0 ? (~magnitude) &+ .one : magnitude
    }

    /// `magnitude` with a sign; throws `.overflow` outside [−2²⁵⁵, 2²⁵⁵ − 1].
    public init(negative: Bool, magnitude: UInt256) throws(EthereumError) {
        let limit = UInt256.one << 255
        if negative {
            guard magnitude <= limit else { throw EthereumError(.overflow, "-\(magnitude) is below the smallest int256") }
            bitPattern = (~magnitude) &+ .one
        } else {
            guard magnitude < limit else { throw EthereumError(.overflow, "\(magnitude) exceeds the largest int256") }
            bitPattern = magnitude
        }
    }

    /// Decimal with an optional leading `-`.
    public init(decimal text: some StringProtocol) throws(EthereumError) {
        let negative = text.hasPrefix("-")
        let digits = Substring(text).dropFirst(negative ? 1 : 0)
        try self.init(negative: negative, magnitude: try UInt256(decimal: digits))
    }

    public var isNegative: Bool { !(bitPattern >> 255).isZero }

    /// The absolute value (2²⁵⁵ for `Int256.min`).
    public var magnitude: UInt256 { isNegative ? (~bitPattern) &+ .one : bitPattern }

    /// Whether the value fits an `int<bits>`: every bit above bit `bits − 1` equals the sign bit.
    public func fits(bits: Int) -> Bool {
        let high = bitPattern >> (bits - 1)
        return isNegative ? high == UInt256.max >> (bits - 1) : high.isZero
    }
}

extension Int256: Comparable {
    public static func < (lhs: Int256, rhs: Int256) -> Bool {
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        return lhs.bitPattern < rhs.bitPattern
    }
}

extension Int256: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self.init(value) }
}

extension Int256: CustomStringConvertible {
    public var description: String { isNegative ? "-\(magnitude)" : magnitude.description }
}
