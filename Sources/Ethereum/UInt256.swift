/// An unsigned 256-bit integer: the EVM word, and the type of every on-chain amount.
///
/// Arithmetic never traps on input-derived values: use the throwing `adding(_:)`,
/// `subtracting(_:)`, `multiplied(by:)` and `quotientAndRemainder(dividingBy:)`, the
/// `…ReportingOverflow` forms, or the wrapping operators `&+ &- &*` where wrapping is intended.
/// Parsing and printing live in `UInt256+Parsing.swift`.
public struct UInt256: Sendable, Hashable {
    // Little-endian limbs: w0 holds bits 0..<64, w3 bits 192..<256.
    @usableFromInline var w0: UInt64
    @usableFromInline var w1: UInt64
    @usableFromInline var w2: UInt64
    @usableFromInline var w3: UInt64

    @inlinable
    init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    public static let zero = UInt256(w0: 0, w1: 0, w2: 0, w3: 0)
    public static let one = UInt256(w0: 1, w1: 0, w2: 0, w3: 0)
    public static let max = UInt256(w0: .max, w1: .max, w2: .max, w3: .max)
    public static let bitWidth = 256

    @inlinable
    public init(_ value: UInt64) { self.init(w0: value, w1: 0, w2: 0, w3: 0) }

    /// The value of `source`, or nil when it is negative or wider than 256 bits.
    public init?<T: BinaryInteger>(exactly source: T) {
        guard source.signum() >= 0 else { return nil }
        if source.bitWidth <= 64 || source <= T(UInt64.max) {
            self.init(UInt64(source))
            return
        }
        var limbs: [UInt64] = []
        for word in source.words { limbs.append(UInt64(word)) }
        while limbs.count > 4, limbs.last == 0 { limbs.removeLast() }
        guard limbs.count <= 4 else { return nil }
        while limbs.count < 4 { limbs.append(0) }
        self.init(w0: limbs[0], w1: limbs[1], w2: limbs[2], w3: limbs[3])
    }

    /// Big-endian bytes, at most 32 of them (shorter input is left-padded with zeros).
    public init(bytes: some Collection<UInt8>) throws(EthereumError) {
        guard bytes.count <= 32 else {
            throw EthereumError(.overflow, "\(bytes.count) bytes do not fit in 256 bits")
        }
        var value = UInt256.zero
        var index = 32 - bytes.count // position of the next byte in the 32-byte big-endian word
        for byte in bytes {
            value[limb: 3 - index / 8] |= UInt64(byte) << UInt64(56 - 8 * (index % 8))
            index += 1
        }
        self = value
    }

    /// Exactly 32 big-endian bytes: the ABI word.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 {
            out[i] = UInt8(truncatingIfNeeded: self[limb: 3 - i / 8] >> UInt64(56 - 8 * (i % 8)))
        }
        return out
    }

    /// Big-endian bytes without leading zeros; zero is `[]` (the RLP integer form).
    public var minimalBytes: [UInt8] {
        let all = bytes
        let skip = leadingZeroBitCount / 8
        return Array(all[skip...])
    }

    @inlinable public var isZero: Bool { (w0 | w1 | w2 | w3) == 0 }

    public var leadingZeroBitCount: Int {
        if w3 != 0 { return w3.leadingZeroBitCount }
        if w2 != 0 { return 64 + w2.leadingZeroBitCount }
        if w1 != 0 { return 128 + w1.leadingZeroBitCount }
        return 192 + w0.leadingZeroBitCount
    }

    /// Bits needed to write the value; 0 for zero.
    public var bitLength: Int { 256 - leadingZeroBitCount }

    /// The limb at `index` (0 = least significant), for loops over the four words.
    @inlinable
    subscript(limb index: Int) -> UInt64 {
        get {
            switch index {
            case 0: return w0
            case 1: return w1
            case 2: return w2
            default: return w3
            }
        }
        set {
            switch index {
            case 0: w0 = newValue
            case 1: w1 = newValue
            case 2: w2 = newValue
            default: w3 = newValue
            }
        }
    }
}

extension UInt256: Comparable {
    @inlinable
    public static func < (lhs: UInt256, rhs: UInt256) -> Bool {
        if lhs.w3 != rhs.w3 { return lhs.w3 < rhs.w3 }
        if lhs.w2 != rhs.w2 { return lhs.w2 < rhs.w2 }
        if lhs.w1 != rhs.w1 { return lhs.w1 < rhs.w1 }
        return lhs.w0 < rhs.w0
    }
}

extension UInt256: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: UInt64) { self.init(value) }
}

// MARK: - Arithmetic

extension UInt256 {
    /// Sum modulo 2²⁵⁶ and whether it wrapped.
    @inlinable
    public func addingReportingOverflow(_ rhs: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        var carry: UInt64 = 0
        var out = UInt256.zero
        for i in 0..<4 {
            let (s1, o1) = self[limb: i].addingReportingOverflow(rhs[limb: i])
            let (s2, o2) = s1.addingReportingOverflow(carry)
            out[limb: i] = s2
            carry = (o1 || o2) ? 1 : 0
        }
        return (out, carry != 0)
    }

    /// Difference modulo 2²⁵⁶ and whether it borrowed (rhs > self).
    @inlinable
    public func subtractingReportingOverflow(_ rhs: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        var borrow: UInt64 = 0
        var out = UInt256.zero
        for i in 0..<4 {
            let (d1, o1) = self[limb: i].subtractingReportingOverflow(rhs[limb: i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            out[limb: i] = d2
            borrow = (o1 || o2) ? 1 : 0
        }
        return (out, borrow != 0)
    }

    /// The full 512-bit product as (high, low) halves.
    public func multipliedFullWidth(by rhs: UInt256) -> (high: UInt256, low: UInt256) {
        var r = (UInt256.zero, UInt256.zero)
        func get(_ k: Int) -> UInt64 { k < 4 ? r.0[limb: k] : r.1[limb: k - 4] }
        func set(_ k: Int, _ v: UInt64) { if k < 4 { r.0[limb: k] = v } else { r.1[limb: k - 4] = v } }
        for i in 0..<4 {
            let a = self[limb: i]
            if a == 0 { continue }
            var carry: UInt64 = 0
            for j in 0..<4 {
                let (hi, lo) = a.multipliedFullWidth(by: rhs[limb: j])
                let (s1, o1) = lo.addingReportingOverflow(get(i + j))
                let (s2, o2) = s1.addingReportingOverflow(carry)
                set(i + j, s2)
                carry = hi &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0) // cannot overflow: hi ≤ 2⁶⁴ − 2
            }
            set(i + 4, carry)
        }
        return (high: r.1, low: r.0)
    }

    /// Product modulo 2²⁵⁶ and whether it overflowed.
    public func multipliedReportingOverflow(by rhs: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let (high, low) = multipliedFullWidth(by: rhs)
        return (low, !high.isZero)
    }

    /// `self + rhs`, or `.overflow`.
    public func adding(_ rhs: UInt256) throws(EthereumError) -> UInt256 {
        let (value, overflow) = addingReportingOverflow(rhs)
        guard !overflow else { throw EthereumError(.overflow, "\(self) + \(rhs) exceeds 2^256 - 1") }
        return value
    }

    /// `self - rhs`, or `.overflow` when `rhs > self`.
    public func subtracting(_ rhs: UInt256) throws(EthereumError) -> UInt256 {
        let (value, overflow) = subtractingReportingOverflow(rhs)
        guard !overflow else { throw EthereumError(.overflow, "\(self) - \(rhs) is negative") }
        return value
    }

    /// `self * rhs`, or `.overflow`.
    public func multiplied(by rhs: UInt256) throws(EthereumError) -> UInt256 {
        let (value, overflow) = multipliedReportingOverflow(by: rhs)
        guard !overflow else { throw EthereumError(.overflow, "\(self) * \(rhs) exceeds 2^256 - 1") }
        return value
    }

    /// Truncating division, or `.divisionByZero`.
    public func divided(by divisor: UInt256) throws(EthereumError) -> UInt256 {
        try quotientAndRemainder(dividingBy: divisor).quotient
    }

    /// Remainder of truncating division, or `.divisionByZero`.
    public func remainder(dividingBy divisor: UInt256) throws(EthereumError) -> UInt256 {
        try quotientAndRemainder(dividingBy: divisor).remainder
    }

    /// Quotient and remainder of truncating division, or `.divisionByZero`.
    public func quotientAndRemainder(dividingBy divisor: UInt256) throws(EthereumError) -> (quotient: UInt256, remainder: UInt256) {
        guard !divisor.isZero else { throw EthereumError(.divisionByZero, "division of \(self) by zero") }
        if self < divisor { return (.zero, self) }
        if divisor.w1 == 0, divisor.w2 == 0, divisor.w3 == 0 {
            let (q, r) = quotientAndRemainder(dividingBy: divisor.w0)
            return (q, UInt256(r))
        }
        // Binary long division; the divisor has at least 65 bits, so at most 192 steps.
        var quotient = UInt256.zero
        var remainder = self
        var shift = divisor.leadingZeroBitCount - self.leadingZeroBitCount
        var shifted = divisor << shift
        while shift >= 0 {
            if shifted <= remainder {
                remainder = remainder &- shifted
                quotient[limb: shift / 64] |= 1 << UInt64(shift % 64)
            }
            shifted = shifted >> 1
            shift -= 1
        }
        return (quotient, remainder)
    }

    /// Division by a nonzero 64-bit divisor, limb by limb (decimal printing, basis points).
    @inlinable
    func quotientAndRemainder(dividingBy divisor: UInt64) -> (quotient: UInt256, remainder: UInt64) {
        var quotient = UInt256.zero
        var remainder: UInt64 = 0
        for i in stride(from: 3, through: 0, by: -1) {
            let (q, r) = divisor.dividingFullWidth((high: remainder, low: self[limb: i]))
            quotient[limb: i] = q
            remainder = r
        }
        return (quotient, remainder)
    }

    /// Wrapping addition modulo 2²⁵⁶.
    @inlinable
    public static func &+ (lhs: UInt256, rhs: UInt256) -> UInt256 { lhs.addingReportingOverflow(rhs).partialValue }

    /// Wrapping subtraction modulo 2²⁵⁶.
    @inlinable
    public static func &- (lhs: UInt256, rhs: UInt256) -> UInt256 { lhs.subtractingReportingOverflow(rhs).partialValue }

    /// Wrapping multiplication modulo 2²⁵⁶.
    public static func &* (lhs: UInt256, rhs: UInt256) -> UInt256 { lhs.multipliedReportingOverflow(by: rhs).partialValue }
}

// MARK: - Bits

extension UInt256 {
    @inlinable
    public static func & (lhs: UInt256, rhs: UInt256) -> UInt256 {
        UInt256(w0: lhs.w0 & rhs.w0, w1: lhs.w1 & rhs.w1, w2: lhs.w2 & rhs.w2, w3: lhs.w3 & rhs.w3)
    }

    @inlinable
    public static func | (lhs: UInt256, rhs: UInt256) -> UInt256 {
        UInt256(w0: lhs.w0 | rhs.w0, w1: lhs.w1 | rhs.w1, w2: lhs.w2 | rhs.w2, w3: lhs.w3 | rhs.w3)
    }

    @inlinable
    public static func ^ (lhs: UInt256, rhs: UInt256) -> UInt256 {
        UInt256(w0: lhs.w0 ^ rhs.w0, w1: lhs.w1 ^ rhs.w1, w2: lhs.w2 ^ rhs.w2, w3: lhs.w3 ^ rhs.w3)
    }

    @inlinable
    public static prefix func ~ (value: UInt256) -> UInt256 {
        UInt256(w0: ~value.w0, w1: ~value.w1, w2: ~value.w2, w3: ~value.w3)
    }

    /// Left shift; shifts of 256 or more give zero, negative shifts shift right (Swift's smart shift).
    public static func << (lhs: UInt256, rhs: Int) -> UInt256 {
        if rhs < 0 { return lhs >> (rhs == Int.min ? Int.max : -rhs) }
        if rhs >= 256 { return .zero }
        let limbs = rhs / 64, bits = UInt64(rhs % 64)
        var out = UInt256.zero
        for i in limbs..<4 {
            var v = lhs[limb: i - limbs] << bits
            if bits > 0, i - limbs - 1 >= 0 { v |= lhs[limb: i - limbs - 1] >> (64 - bits) }
            out[limb: i] = v
        }
        return out
    }

    /// Logical right shift; shifts of 256 or more give zero, negative shifts shift left.
    public static func >> (lhs: UInt256, rhs: Int) -> UInt256 {
        if rhs < 0 { return lhs << (rhs == Int.min ? Int.max : -rhs) }
        if rhs >= 256 { return .zero }
        let limbs = rhs / 64, bits = UInt64(rhs % 64)
        var out = UInt256.zero
        for i in 0..<(4 - limbs) {
            var v = lhs[limb: i + limbs] >> bits
            if bits > 0, i + limbs + 1 < 4 { v |= lhs[limb: i + limbs + 1] << (64 - bits) }
            out[limb: i] = v
        }
        return out
    }

    public static func <<= (lhs: inout UInt256, rhs: Int) { lhs = lhs << rhs }
    public static func >>= (lhs: inout UInt256, rhs: Int) { lhs = lhs >> rhs }
    public static func &= (lhs: inout UInt256, rhs: UInt256) { lhs = lhs & rhs }
    public static func |= (lhs: inout UInt256, rhs: UInt256) { lhs = lhs | rhs }
    public static func ^= (lhs: inout UInt256, rhs: UInt256) { lhs = lhs ^ rhs }
}

// MARK: - Conversions to standard integers

extension UInt64 {
    /// The value of `value`, or nil when it needs more than 64 bits.
    public init?(exactly value: UInt256) {
        guard value.w1 == 0, value.w2 == 0, value.w3 == 0 else { return nil }
        self = value.w0
    }
}

extension Int {
    /// The value of `value`, or nil when it exceeds `Int.max`.
    public init?(exactly value: UInt256) {
        guard let small = UInt64(exactly: value), small <= UInt64(Int.max) else { return nil }
        self = Int(small)
    }
}
