import Crypto

extension SignedTransaction {
    /// Decodes raw signed transaction bytes and recovers the sender.
    ///
    /// The first byte selects the type (EIP-2718): an RLP list header (≥ 0xc0) is a legacy
    /// transaction, 0x02 an EIP-1559 one; other types throw `.unsupportedTransactionType`.
    /// Decoding is strict, so the result re-encodes to exactly `raw` and `hash` is the hash of
    /// `raw`: canonical RLP only, the exact field count, 20-byte or empty `to`, integers without
    /// leading zeros, y parity 0 or 1, r and s in 1 ..< n, and s ≤ n/2 (EIP-2). Everything else
    /// throws `.malformedTransaction`.
    public init(raw: [UInt8]) throws(EthereumError) {
        guard let first = raw.first else { throw EthereumError(.malformedTransaction, "empty transaction bytes") }
        let transaction: Transaction
        let signature: Signature
        switch first {
        case 0xC0...0xFF:
            (transaction, signature) = try Self.decodeLegacy(raw)
        case EIP1559Transaction.typeByte:
            (transaction, signature) = try Self.decodeEIP1559(raw.dropFirst())
        case 0x00...0x7F:
            throw EthereumError(.unsupportedTransactionType,
                               "transaction type 0x\(Hex.encode([first])) is not supported (legacy and EIP-1559 type 0x02 are)")
        default:
            throw EthereumError(.malformedTransaction, "first byte 0x\(Hex.encode([first])) is neither a transaction type nor an RLP list")
        }
        guard signature.isLowS else {
            throw EthereumError(.malformedTransaction, "signature s is above n/2, invalid since Homestead (EIP-2)")
        }
        let publicKey: PublicKey
        do {
            publicKey = try Secp256k1.recoverPublicKey(digest: transaction.signingHash.bytes, signature: signature)
        } catch {
            throw EthereumError(.malformedTransaction, "no sender can be recovered from the signature: \(error.message)")
        }
        self.init(transaction: transaction, signature: signature, sender: publicKey.address)
        guard rawBytes == raw else {
            throw EthereumError(.malformedTransaction, "transaction bytes are not in canonical form")
        }
    }

    /// rlp([nonce, gasPrice, gasLimit, to, value, data, v, r, s]).
    private static func decodeLegacy(_ raw: [UInt8]) throws(EthereumError) -> (Transaction, Signature) {
        let fields = try listFields(raw, count: 9, kind: "legacy")
        let v: UInt256
        let chainId: UInt64?
        let recoveryId: UInt8
        let transaction: LegacyTransaction
        do {
            transaction = LegacyTransaction(nonce: try fields[0].asUInt64(), gasPrice: try fields[1].asUInt256(),
                                            gasLimit: try fields[2].asUInt64(), to: try recipient(fields[3]),
                                            value: try fields[4].asUInt256(), data: try fields[5].asBytes(), chainId: nil)
            v = try fields[6].asUInt256()
        } catch {
            throw EthereumError(.malformedTransaction, "legacy transaction: \(error.message)")
        }
        if v == UInt256(27) || v == UInt256(28) {
            chainId = nil
            recoveryId = v == UInt256(27) ? 0 : 1
        } else if v >= UInt256(37) {
            // v = chainId · 2 + 35 + parity with chainId ≥ 1.
            let offset = v &- UInt256(35)
            guard let id = UInt64(exactly: offset >> 1) else {
                throw EthereumError(.malformedTransaction, "legacy transaction v \(v) encodes a chain id above 2^64")
            }
            chainId = id
            recoveryId = UInt8(truncatingIfNeeded: UInt64(exactly: offset & UInt256(1)) ?? 0)
        } else {
            throw EthereumError(.malformedTransaction, "legacy transaction v \(v) is neither 27/28 nor chainId · 2 + 35/36 with a chain id ≥ 1")
        }
        var withChain = transaction
        withChain.chainId = chainId
        return (.legacy(withChain), try signature(r: fields[7], s: fields[8], recoveryId: recoveryId))
    }

    /// rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit, to, value, data,
    /// accessList, yParity, r, s]) after the 0x02 type byte.
    private static func decodeEIP1559(_ payload: ArraySlice<UInt8>) throws(EthereumError) -> (Transaction, Signature) {
        let fields = try listFields(payload, count: 12, kind: "EIP-1559")
        let transaction: EIP1559Transaction
        let parity: UInt64
        do {
            var accessList: [AccessListEntry] = []
            for entry in try fields[8].asList() { accessList.append(try AccessListEntry(rlp: entry)) }
            transaction = EIP1559Transaction(
                chainId: try fields[0].asUInt64(), nonce: try fields[1].asUInt64(),
                maxPriorityFeePerGas: try fields[2].asUInt256(), maxFeePerGas: try fields[3].asUInt256(),
                gasLimit: try fields[4].asUInt64(), to: try recipient(fields[5]), value: try fields[6].asUInt256(),
                data: try fields[7].asBytes(), accessList: accessList)
            parity = try fields[9].asUInt64()
        } catch {
            throw EthereumError(.malformedTransaction, "EIP-1559 transaction: \(error.message)")
        }
        guard parity <= 1 else { throw EthereumError(.malformedTransaction, "EIP-1559 transaction y parity must be 0 or 1, got \(parity)") }
        return (.eip1559(transaction), try signature(r: fields[10], s: fields[11], recoveryId: UInt8(parity)))
    }

    /// The items of the one RLP list spanning `bytes`, which must number `count`.
    private static func listFields(_ bytes: some Collection<UInt8>, count: Int, kind: String) throws(EthereumError) -> [RLPItem] {
        let fields: [RLPItem]
        do {
            fields = try RLP.decode(bytes).asList()
        } catch {
            throw EthereumError(.malformedTransaction, "\(kind) transaction: \(error.message)")
        }
        guard fields.count == count else {
            throw EthereumError(.malformedTransaction, "\(kind) transaction has \(fields.count) fields, expected \(count)")
        }
        return fields
    }

    /// `to`: empty for contract creation, else exactly 20 bytes.
    private static func recipient(_ item: RLPItem) throws(EthereumError) -> Address? {
        if case .bytes(let bytes) = item, bytes.isEmpty { return nil }
        return try item.asAddress()
    }

    private static func signature(r: RLPItem, s: RLPItem, recoveryId: UInt8) throws(EthereumError) -> Signature {
        do {
            return try Signature(r: try r.asUInt256().bytes, s: try s.asUInt256().bytes, recoveryId: recoveryId)
        } catch {
            throw EthereumError(.malformedTransaction, "signature: \(error.message)")
        }
    }
}
