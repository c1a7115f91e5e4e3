import Ethereum

/// What the log follower reads from a node: the chain id, the tip, headers, and a range's logs with
/// the headers to check them against (DESIGN.md §5). `JSONRPCClient` in the keeper; a scripted chain
/// in unit tests, so that backfill, reorgs and halts are tested without a devnet.
public protocol ChainLogSource: Sendable {
    func chainID() async throws(RPCError) -> UInt64
    /// The head, and the `finalized` block when `finalized` is true and the node knows it.
    func tip(finalized: Bool) async throws(RPCError) -> ChainTip
    /// Headers by number; a number the node does not have is absent.
    func headers(_ numbers: [UInt64]) async throws(RPCError) -> [UInt64: BlockHeader]
    /// `[from, to]`'s logs from `addresses` and the headers of `headerNumbers`, answered together.
    func logsWithHeaders(from: UInt64, to: UInt64, addresses: [Address], headerNumbers: [UInt64]) async throws(RPCError) -> LogRangeAnswer
}

extension JSONRPCClient: ChainLogSource {}
