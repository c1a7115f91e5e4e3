/// A signed transaction: the fields, the signature, the sender, and the wire bytes and hash.
///
/// Made by `signed(with:)` on a transaction, or by `init(raw:)` from the bytes of
/// `eth_sendRawTransaction` / `eth_getRawTransactionByHash`, which recovers the sender.
public struct SignedTransaction: Sendable, Hashable {
    public let transaction: Transaction
    public let signature: Signature
    /// The signer's address, recovered from the signature.
    public let sender: Address
    /// The bytes to broadcast: `0x02 ‖ rlp(…)` for EIP-1559, `rlp(…)` for legacy.
    public let rawBytes: [UInt8]
    /// keccak256(rawBytes): the transaction hash nodes and explorers use.
    public let hash: Hash

    init(transaction: Transaction, signature: Signature, sender: Address) {
        self.transaction = transaction
        self.signature = signature
        self.sender = sender
        switch transaction {
        case .legacy(let legacy): rawBytes = legacy.rawBytes(signature: signature)
        case .eip1559(let eip1559): rawBytes = eip1559.rawBytes(signature: signature)
        }
        hash = Hash.keccak256(rawBytes)
    }
}
