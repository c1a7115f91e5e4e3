/// An unsigned transaction of a supported type: EIP-1559 (type 2) or legacy with EIP-155.
public enum Transaction: Sendable, Hashable {
    case legacy(LegacyTransaction)
    case eip1559(EIP1559Transaction)

    /// The EIP-2718 type: 0 for legacy, 2 for EIP-1559.
    public var type: UInt8 {
        switch self {
        case .legacy: 0
        case .eip1559: EIP1559Transaction.typeByte
        }
    }

    public var chainId: UInt64? {
        switch self {
        case .legacy(let transaction): transaction.chainId
        case .eip1559(let transaction): transaction.chainId
        }
    }

    public var nonce: UInt64 {
        switch self {
        case .legacy(let transaction): transaction.nonce
        case .eip1559(let transaction): transaction.nonce
        }
    }

    public var to: Address? {
        switch self {
        case .legacy(let transaction): transaction.to
        case .eip1559(let transaction): transaction.to
        }
    }

    /// The digest the sender signs.
    public var signingHash: Hash {
        switch self {
        case .legacy(let transaction): transaction.signingHash
        case .eip1559(let transaction): transaction.signingHash
        }
    }

    public func signed(with key: PrivateKey) throws(EthereumError) -> SignedTransaction {
        switch self {
        case .legacy(let transaction): try transaction.signed(with: key)
        case .eip1559(let transaction): try transaction.signed(with: key)
        }
    }
}
