import COpenSSL

/// Comparisons whose running time does not depend on where the inputs differ, for MACs and
/// signatures an attacker could otherwise guess byte by byte.
public enum ConstantTime {
    /// True when `a` and `b` are equal. Lengths are not secret: different lengths return false at once.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) } } == 0
    }
}
