import COpenSSL

/// An owned OpenSSL `BIGNUM`, zeroed when freed (`BN_clear_free`). Internal to secp256k1
/// arithmetic; not `Sendable`.
final class BigNumber {
    let pointer: OpaquePointer

    /// Zero.
    init() throws(EthereumError) {
        guard let pointer = BN_new() else { throw EthereumError(.cryptoFailure, "BN_new failed: out of memory") }
        self.pointer = pointer
    }

    /// The unsigned big-endian integer `bytes`. `secret` marks it for OpenSSL's constant-time paths.
    convenience init(bytes: [UInt8], secret: Bool = false) throws(EthereumError) {
        try self.init()
        if secret { BN_set_flags(pointer, BN_FLG_CONSTTIME) }
        let result = bytes.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), pointer) }
        guard result != nil else { throw EthereumError(.cryptoFailure, "BN_bin2bn failed") }
    }

    deinit { BN_clear_free(pointer) }

    var isZero: Bool { BN_is_zero(pointer) == 1 }
    var isOdd: Bool { BN_is_odd(pointer) == 1 }

    /// Big-endian, left-padded to `count` bytes; nil if the value needs more.
    func bytes(count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        let written = out.withUnsafeMutableBufferPointer { BN_bn2binpad(pointer, $0.baseAddress, Int32(count)) }
        return written == Int32(count) ? out : nil
    }

    /// -1, 0 or 1 as `self` is below, equal to or above `other`.
    func compare(_ other: OpaquePointer) -> Int32 { BN_cmp(pointer, other) }
}

/// An owned `BN_CTX` scratch area for one operation (secure heap where available).
final class BigNumberContext {
    let pointer: OpaquePointer

    init() throws(EthereumError) {
        guard let pointer = BN_CTX_secure_new() else { throw EthereumError(.cryptoFailure, "BN_CTX_secure_new failed: out of memory") }
        self.pointer = pointer
    }

    deinit { BN_CTX_free(pointer) }
}

/// Throws `.cryptoFailure` naming `operation` unless OpenSSL returned 1.
@inline(__always)
func requireOpenSSL(_ result: Int32, _ operation: @autoclosure () -> String) throws(EthereumError) {
    guard result == 1 else {
        ERR_clear_error()
        throw EthereumError(.cryptoFailure, "\(operation()) failed in OpenSSL")
    }
}
