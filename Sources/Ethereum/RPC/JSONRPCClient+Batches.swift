import Wire

/// The answer to one log-range batch: the logs and the headers fetched with them.
public struct LogRangeAnswer: Sendable {
    /// Headers by number; a number the node did not know is absent.
    public let headers: [UInt64: BlockHeader]
    public let logs: [Log]

    public init(headers: [UInt64: BlockHeader], logs: [Log]) {
        self.headers = headers
        self.logs = logs
    }
}

/// The chain's tip as seen in one batch.
public struct ChainTip: Sendable, Hashable {
    public let head: UInt64
    /// The node's `finalized` block number, when it was asked for and known.
    public let finalized: UInt64?
}

extension JSONRPCClient {
    /// `eth_getLogs` over `[from, to]` and `eth_getBlockByNumber` for each of `headerNumbers`, in one
    /// JSON-RPC batch (split at `currentBatchLimit`), so that logs can be checked against headers
    /// fetched with them (DESIGN.md §5). A failed element is thrown as its own `RPCError` (a provider's range limit
    /// arrives as the logs element's error).
    public func logsWithHeaders(from: UInt64, to: UInt64, addresses: [Address], headerNumbers: [UInt64]) async throws(RPCError) -> LogRangeAnswer {
        let filter = LogFilter(range: .blocks(from: .number(from), to: .number(to)), addresses: addresses)
        var requests = [RPCRequest("eth_getLogs", [filter.json])]
        for number in headerNumbers { requests.append(RPCRequest("eth_getBlockByNumber", [WireFormat.quantity(number), false])) }
        // The logs are decoded as they are parsed: a wide range's answer is tens of MB, more again as a JSON tree.
        var streamed: [Log]? = nil
        let results = try await batch(requests, streaming: StreamedResult(offset: 0) { reader in streamed = try Log.list(reading: &reader) })
        guard results.count == requests.count else { throw .malformed("batch answered \(results.count) of \(requests.count) calls") }
        let logs: [Log]
        if let streamed, try results[0].get().isNull {
            logs = streamed
        } else {
            guard let items = try results[0].get().arrayValue else { throw .malformed("eth_getLogs did not answer a list") }
            logs = try items.map { item throws(RPCError) in try Log(json: item) }
        }
        var headers = [UInt64: BlockHeader]()
        for (offset, number) in headerNumbers.enumerated() {
            let answer = try results[offset + 1].get()
            guard !answer.isNull else { continue }
            let header = try BlockHeader(json: answer)
            guard header.number == number else { throw .malformed("asked for block \(number), got block \(header.number)") }
            headers[number] = header
        }
        return LogRangeAnswer(headers: headers, logs: logs)
    }

    /// Several headers by number in one batch; absent numbers are unknown to the node.
    public func headers(_ numbers: [UInt64]) async throws(RPCError) -> [UInt64: BlockHeader] {
        let results = try await batch(numbers.map { RPCRequest("eth_getBlockByNumber", [WireFormat.quantity($0), false]) })
        var headers = [UInt64: BlockHeader]()
        for (offset, number) in numbers.enumerated() where offset < results.count {
            let answer = try results[offset].get()
            guard !answer.isNull else { continue }
            let header = try BlockHeader(json: answer)
            guard header.number == number else { throw .malformed("asked for block \(number), got block \(header.number)") }
            headers[number] = header
        }
        return headers
    }

    /// `eth_blockNumber`, and with `finalized` the `finalized` block, in one batch.
    public func tip(finalized: Bool) async throws(RPCError) -> ChainTip {
        guard finalized else { return ChainTip(head: try await blockNumber(), finalized: nil) }
        let results = try await batch([RPCRequest("eth_blockNumber"), RPCRequest("eth_getBlockByNumber", [BlockTag.finalized.json, false])])
        guard results.count == 2 else { throw .malformed("batch answered \(results.count) of 2 calls") }
        let head = try WireFormat.uint64(try results[0].get(), "eth_blockNumber")
        let block = try results[1].get()
        return ChainTip(head: head, finalized: block.isNull ? nil : try BlockHeader(json: block).number)
    }
}

extension JSONRPCClient {
    /// Several `eth_call`s at one block in one JSON-RPC batch; the output bytes in request order. A
    /// failed element (a revert, a node error) is thrown as its own `RPCError`.
    public func calls(_ requests: [CallRequest], block: BlockTag = .latest) async throws(RPCError) -> [[UInt8]] {
        let results = try await batch(requests.map { RPCRequest("eth_call", [$0.json, block.json]) })
        guard results.count == requests.count else { throw .malformed("batch answered \(results.count) of \(requests.count) calls") }
        var outputs = [[UInt8]]()
        outputs.reserveCapacity(results.count)
        for result in results { outputs.append(try WireFormat.bytes(try result.get(), "eth_call")) }
        return outputs
    }
}
