import Crypto

/// An EIP-1559 (type 2) transaction before signing (https://eips.ethereum.org/EIPS/eip-1559).
/// The keeper's transactions are all of this type.
public struct EIP1559Transaction: Sendable, Hashable {
    /// The type byte that prefixes the payload (EIP-2718).
    public static let typeByte: UInt8 = 0x02

    public var chainId: UInt64
    public var nonce: UInt64
    public var maxPriorityFeePerGas: UInt256
    public var maxFeePerGas: UInt256
    public var gasLimit: UInt64
    /// The recipient; nil creates a contract.
    public var to: Address?
    public var value: UInt256
    public var data: [UInt8]
    public var accessList: [AccessListEntry]

    public init(chainId: UInt64, nonce: UInt64, maxPriorityFeePerGas: UInt256, maxFeePerGas: UInt256, gasLimit: UInt64,
                to: Address?, value: UInt256 = .zero, data: [UInt8] = [], accessList: [AccessListEntry] = []) {
        self.chainId = chainId
        self.nonce = nonce
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.maxFeePerGas = maxFeePerGas
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
        self.accessList = accessList
    }

    /// The nine fields in signing order, as RLP items.
    var fieldItems: [RLPItem] {
        [RLPItem(uint: chainId), RLPItem(uint: nonce), RLPItem(uint: maxPriorityFeePerGas), RLPItem(uint: maxFeePerGas),
         RLPItem(uint: gasLimit), to.map { RLPItem(address: $0) } ?? .bytes([]), RLPItem(uint: value), .bytes(data),
         .list(accessList.map(\.rlp))]
    }

    /// What is hashed for signing: 0x02 ‖ rlp([chainId, nonce, …, accessList]).
    public var signingPayload: [UInt8] { [Self.typeByte] + RLPItem.list(fieldItems).encoded() }

    /// keccak256 of `signingPayload`: the digest the sender signs.
    public var signingHash: Hash { Hash.keccak256(signingPayload) }

    /// Signs with `key`. Refuses a priority fee above the fee cap, which every node rejects.
    public func signed(with key: PrivateKey) throws(EthereumError) -> SignedTransaction {
        guard maxPriorityFeePerGas <= maxFeePerGas else {
            throw EthereumError(.invalidTransaction, "maxPriorityFeePerGas \(maxPriorityFeePerGas) exceeds maxFeePerGas \(maxFeePerGas)")
        }
        let signature = try key.sign(digest: signingHash.bytes)
        return SignedTransaction(transaction: .eip1559(self), signature: signature, sender: key.address)
    }

    /// 0x02 ‖ rlp([fields…, yParity, r, s]): the bytes `eth_sendRawTransaction` takes.
    func rawBytes(signature: Signature) -> [UInt8] {
        let signatureItems = [RLPItem(uint: UInt64(signature.recoveryId & 1)), .bytes(minimal(signature.r)), .bytes(minimal(signature.s))]
        return [Self.typeByte] + RLPItem.list(fieldItems + signatureItems).encoded()
    }
}

/// A 32-byte big-endian scalar as an RLP integer: leading zeros dropped.
func minimal(_ scalar: [UInt8]) -> [UInt8] { Array(scalar.drop { $0 == 0 }) }
