import COpenSSL

extension Secp256k1 {
    /// The shared group and its constants. `EC_GROUP` is read-only after construction and
    /// OpenSSL allows concurrent use of one group from several threads; every operation gets its
    /// own `BN_CTX` and points, so sharing is safe.
    final class Curve: @unchecked Sendable {
        private static let instance: Result<Curve, EthereumError> = Result { () throws(EthereumError) -> Curve in try Curve() }

        static func shared() throws(EthereumError) -> Curve { try instance.get() }

        let group: OpaquePointer
        /// n, owned by the group.
        let order: OpaquePointer
        let halfOrder: BigNumber
        let orderMinusTwo: BigNumber
        let fieldPrime: BigNumber

        private init() throws(EthereumError) {
            guard let group = EC_GROUP_new_by_curve_name(NID_secp256k1) else {
                throw EthereumError(.cryptoFailure, "OpenSSL has no secp256k1 group")
            }
            self.group = group
            guard let order = EC_GROUP_get0_order(group) else { throw EthereumError(.cryptoFailure, "EC_GROUP_get0_order failed") }
            self.order = order
            halfOrder = try BigNumber(bytes: Secp256k1.halfOrder)
            orderMinusTwo = try BigNumber()
            guard BN_copy(orderMinusTwo.pointer, order) != nil else { throw EthereumError(.cryptoFailure, "BN_copy failed") }
            try requireOpenSSL(BN_sub_word(orderMinusTwo.pointer, 2), "n − 2")
            fieldPrime = try BigNumber()
            let context = try BigNumberContext()
            try requireOpenSSL(EC_GROUP_get_curve(group, fieldPrime.pointer, nil, nil, context.pointer), "EC_GROUP_get_curve")
        }

        deinit { EC_GROUP_free(group) }

        /// The uncompressed public key (x ‖ y, 64 bytes) of the secret scalar `secret`.
        func publicKey(secret: [UInt8]) throws(EthereumError) -> [UInt8] {
            let context = try BigNumberContext()
            let d = try BigNumber(bytes: secret, secret: true)
            let point = try Point(self)
            try requireOpenSSL(EC_POINT_mul(group, point.pointer, d.pointer, nil, nil, context.pointer), "EC_POINT_mul(d·G)")
            return try point.uncompressed(context)
        }

        /// ECDSA over a 32-byte digest with an RFC 6979 (HMAC-SHA256) nonce, normalised to low s.
        func sign(digest: [UInt8], secret: [UInt8]) throws(EthereumError) -> Signature {
            let context = try BigNumberContext()
            let d = try BigNumber(bytes: secret, secret: true)
            // z = bits2int(digest) mod n; for a 256-bit hash and order bits2int is the identity.
            let z = try BigNumber(bytes: digest)
            try requireOpenSSL(BN_nnmod(z.pointer, z.pointer, order, context.pointer), "z mod n")
            guard let reducedDigest = z.bytes(count: 32) else { throw EthereumError(.cryptoFailure, "digest encoding") }

            var nonces = RFC6979Nonces(secret: secret, reducedDigest: reducedDigest)
            let point = try Point(self)
            let x = try BigNumber(), y = try BigNumber(), r = try BigNumber()
            let kInverse = try BigNumber(), s = try BigNumber(), product = try BigNumber()
            BN_set_flags(kInverse.pointer, BN_FLG_CONSTTIME)
            while true {
                let k = try BigNumber(bytes: nonces.next(), secret: true)
                guard !k.isZero, k.compare(order) < 0 else { continue }
                try requireOpenSSL(EC_POINT_mul(group, point.pointer, k.pointer, nil, nil, context.pointer), "EC_POINT_mul(k·G)")
                try requireOpenSSL(EC_POINT_get_affine_coordinates(group, point.pointer, x.pointer, y.pointer, context.pointer),
                                   "EC_POINT_get_affine_coordinates")
                try requireOpenSSL(BN_nnmod(r.pointer, x.pointer, order, context.pointer), "x mod n")
                guard !r.isZero else { continue }
                var recoveryId: UInt8 = (y.isOdd ? 1 : 0) | (x.compare(order) >= 0 ? 2 : 0)

                // s = k⁻¹·(z + r·d) mod n, with k⁻¹ = k^(n−2) by Fermat in constant time.
                try requireOpenSSL(BN_mod_exp_mont_consttime(kInverse.pointer, k.pointer, orderMinusTwo.pointer, order, context.pointer, nil),
                                   "k⁻¹ mod n")
                try requireOpenSSL(BN_mod_mul(product.pointer, r.pointer, d.pointer, order, context.pointer), "r·d mod n")
                try requireOpenSSL(BN_mod_add(product.pointer, product.pointer, z.pointer, order, context.pointer), "z + r·d mod n")
                try requireOpenSSL(BN_mod_mul(s.pointer, kInverse.pointer, product.pointer, order, context.pointer), "s mod n")
                guard !s.isZero else { continue }
                if s.compare(halfOrder.pointer) > 0 {
                    // (r, n − s) is the same signature with R mirrored: flip the y parity.
                    try requireOpenSSL(BN_sub(s.pointer, order, s.pointer), "n − s")
                    recoveryId ^= 1
                }
                guard let rBytes = r.bytes(count: 32), let sBytes = s.bytes(count: 32) else {
                    throw EthereumError(.cryptoFailure, "signature encoding")
                }
                return try Signature(r: rBytes, s: sBytes, recoveryId: recoveryId)
            }
        }

        /// Q = r⁻¹·(s·R − z·G), where R is the point with x = r (+ n if recovery id bit 1) and
        /// the y parity of recovery id bit 0 (SEC 1 §4.1.6).
        func recover(digest: [UInt8], signature: Signature) throws(EthereumError) -> PublicKey {
            let context = try BigNumberContext()
            let r = try BigNumber(bytes: signature.r)
            let s = try BigNumber(bytes: signature.s)
            let x = try BigNumber(bytes: signature.r)
            if signature.recoveryId & 2 != 0 {
                try requireOpenSSL(BN_add(x.pointer, x.pointer, order), "r + n")
                guard x.compare(fieldPrime.pointer) < 0 else {
                    throw EthereumError(.invalidSignature, "recovery id \(signature.recoveryId) needs r + n below the field prime")
                }
            }
            let bigR = try Point(self)
            guard EC_POINT_set_compressed_coordinates(group, bigR.pointer, x.pointer, Int32(signature.recoveryId & 1), context.pointer) == 1 else {
                ERR_clear_error()
                throw EthereumError(.invalidSignature, "r is not the x coordinate of a curve point")
            }
            let z = try BigNumber(bytes: digest)
            try requireOpenSSL(BN_nnmod(z.pointer, z.pointer, order, context.pointer), "z mod n")
            let rInverse = try BigNumber()
            guard BN_mod_inverse(rInverse.pointer, r.pointer, order, context.pointer) != nil else {
                ERR_clear_error()
                throw EthereumError(.invalidSignature, "r has no inverse mod n")
            }
            let zero = try BigNumber()
            let u1 = try BigNumber(), u2 = try BigNumber()
            try requireOpenSSL(BN_mod_mul(u1.pointer, z.pointer, rInverse.pointer, order, context.pointer), "z·r⁻¹")
            try requireOpenSSL(BN_mod_sub(u1.pointer, zero.pointer, u1.pointer, order, context.pointer), "−z·r⁻¹")
            try requireOpenSSL(BN_mod_mul(u2.pointer, s.pointer, rInverse.pointer, order, context.pointer), "s·r⁻¹")
            let q = try Point(self)
            try requireOpenSSL(EC_POINT_mul(group, q.pointer, u1.pointer, bigR.pointer, u2.pointer, context.pointer), "u1·G + u2·R")
            guard EC_POINT_is_at_infinity(group, q.pointer) == 0 else {
                throw EthereumError(.invalidSignature, "signature recovers the point at infinity")
            }
            return try PublicKey(uncompressed: q.uncompressed(context))
        }

        /// Parses x ‖ y (64 bytes) into a point, rejecting anything not on the curve.
        func validatePublicKey(_ bytes: [UInt8]) throws(EthereumError) {
            guard bytes.count == 64 else { throw EthereumError(.invalidPublicKey, "public key must be 64 bytes, got \(bytes.count)") }
            let context = try BigNumberContext()
            let point = try Point(self)
            let encoded = [0x04] + bytes
            let ok = encoded.withUnsafeBufferPointer {
                EC_POINT_oct2point(group, point.pointer, $0.baseAddress, $0.count, context.pointer)
            }
            guard ok == 1 else {
                ERR_clear_error()
                throw EthereumError(.invalidPublicKey, "public key is not a point on secp256k1")
            }
        }
    }

    /// An owned `EC_POINT` on the shared group.
    final class Point {
        let pointer: OpaquePointer
        private let group: OpaquePointer

        init(_ curve: Curve) throws(EthereumError) {
            guard let pointer = EC_POINT_new(curve.group) else { throw EthereumError(.cryptoFailure, "EC_POINT_new failed") }
            self.pointer = pointer
            self.group = curve.group
        }

        deinit { EC_POINT_clear_free(pointer) }

        /// x ‖ y, 64 bytes (the SEC 1 uncompressed encoding without its 0x04 prefix).
        func uncompressed(_ context: BigNumberContext) throws(EthereumError) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 65)
            let written = out.withUnsafeMutableBufferPointer {
                EC_POINT_point2oct(group, pointer, POINT_CONVERSION_UNCOMPRESSED, $0.baseAddress, 65, context.pointer)
            }
            guard written == 65 else { throw EthereumError(.cryptoFailure, "EC_POINT_point2oct failed") }
            return Array(out.dropFirst())
        }
    }
}
