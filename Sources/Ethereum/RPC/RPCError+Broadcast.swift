/// How a node refused `eth_sendRawTransaction`, read from geth's wording (core/txpool/errors.go),
/// which Nethermind, Erigon, Besu and the devnode also use. A keeper resolves these through receipts
/// and nonces; it never answers them by signing again.
public enum BroadcastRefusal: Sendable, Hashable {
    /// The node already holds this exact transaction ("already known").
    case alreadyKnown
    /// The sender's nonce has moved past this transaction's ("nonce too low"): it, or another
    /// transaction with the same nonce, has been mined.
    case nonceTooLow
    /// A transaction with the same nonce is pooled and this one does not pay enough more
    /// ("replacement transaction underpriced").
    case replacementUnderpriced
}

extension RPCError {
    /// The refusal this error reports, or nil for any other failure.
    public var broadcastRefusal: BroadcastRefusal? {
        guard case .rpc(_, let message, _) = self else { return nil }
        let text = message.lowercased()
        if text.contains("already known") || text.contains("known transaction") || text.contains("already imported") { return .alreadyKnown }
        if text.contains("nonce too low") || text.contains("nonce has already been used") { return .nonceTooLow }
        if text.contains("replacement transaction underpriced") || text.contains("replacement fee too low") { return .replacementUnderpriced }
        return nil
    }
}
