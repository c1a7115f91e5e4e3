import Crypto

/// A legacy (pre-EIP-2718) transaction, signed with EIP-155 replay protection
/// (https://eips.ethereum.org/EIPS/eip-155): v = chainId · 2 + 35 + recovery id.
public struct LegacyTransaction: Sendable, Hashable {
    public var nonce: UInt64
    public var gasPrice: UInt256
    public var gasLimit: UInt64
    /// The recipient; nil creates a contract.
    public var to: Address?
    public var value: UInt256
    public var data: [UInt8]
    /// The EIP-155 chain id. Nil only for pre-EIP-155 transactions decoded from the chain
    /// (v = 27/28), which are replayable on every chain: signing one is refused.
    public var chainId: UInt64?

    public init(nonce: UInt64, gasPrice: UInt256, gasLimit: UInt64, to: Address?, value: UInt256 = .zero,
                data: [UInt8] = [], chainId: UInt64?) {
        self.nonce = nonce
        self.gasPrice = gasPrice
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
        self.chainId = chainId
    }

    var fieldItems: [RLPItem] {
        [RLPItem(uint: nonce), RLPItem(uint: gasPrice), RLPItem(uint: gasLimit), to.map { RLPItem(address: $0) } ?? .bytes([]),
         RLPItem(uint: value), .bytes(data)]
    }

    /// rlp([nonce, gasPrice, gasLimit, to, value, data, chainId, 0, 0]) under EIP-155; the six
    /// fields alone for a pre-EIP-155 transaction.
    public var signingPayload: [UInt8] {
        guard let chainId else { return RLPItem.list(fieldItems).encoded() }
        return RLPItem.list(fieldItems + [RLPItem(uint: chainId), .bytes([]), .bytes([])]).encoded()
    }

    /// keccak256 of `signingPayload`.
    public var signingHash: Hash { Hash.keccak256(signingPayload) }

    /// Signs with `key` under EIP-155. Throws `.invalidTransaction` without a chain id.
    public func signed(with key: PrivateKey) throws(EthereumError) -> SignedTransaction {
        guard chainId != nil else {
            throw EthereumError(.invalidTransaction, "refusing to sign a legacy transaction without an EIP-155 chain id (replayable on every chain)")
        }
        let signature = try key.sign(digest: signingHash.bytes)
        return SignedTransaction(transaction: .legacy(self), signature: signature, sender: key.address)
    }

    /// v for `recoveryId`: chainId · 2 + 35 + parity, or 27 + parity without a chain id.
    func v(recoveryId: UInt8) -> UInt256 {
        let parity = UInt256(UInt64(recoveryId & 1))
        guard let chainId else { return UInt256(27) &+ parity }
        // chainId < 2^64, so chainId · 2 + 36 fits comfortably in 256 bits.
        return UInt256(chainId) &* UInt256(2) &+ UInt256(35) &+ parity
    }

    /// rlp([nonce, gasPrice, gasLimit, to, value, data, v, r, s]).
    func rawBytes(signature: Signature) -> [UInt8] {
        let signatureItems = [RLPItem(uint: v(recoveryId: signature.recoveryId)), .bytes(minimal(signature.r)), .bytes(minimal(signature.s))]
        return RLPItem.list(fieldItems + signatureItems).encoded()
    }
}
