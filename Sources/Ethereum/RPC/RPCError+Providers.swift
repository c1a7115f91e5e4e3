/// What a node's or provider's refusal asks of the caller, read from its code and wording. Every
/// wording recognised here is a row of docs/PROVIDERS.md, with its source, and a test.
public enum ProviderRefusal: Sendable, Hashable {
    /// The batch holds more calls than the server takes (geth "batch too large", Erigon "batch
    /// limit 100 exceeded …"); `limit` when the answer states it. Narrow the batch and remember it.
    case batchTooLarge(limit: Int?)
    /// A request-rate or compute-unit limit (HTTP 429, Infura/Erigon -32005, Alchemy 429): wait
    /// (`retryAfterSeconds` when the server said) and send the same request again — never a narrower range.
    case rateLimited(retryAfterSeconds: Int?)
    /// An `eth_getLogs` range too wide or too full. `suggestedTo` is the end of the range the
    /// provider says it would answer (Infura, Alchemy, reth); `limit` a stated width in blocks
    /// (QuickNode, BSC, geth `--rpc.rangelimit`, reth).
    case rangeTooLarge(suggestedTo: UInt64?, limit: UInt64?)
    /// The answer outgrew the server's response limit (geth -32003 "response too large"): ask for less.
    case responseTooLarge
    /// The backend is behind the block asked for (a load-balanced backend lagging the head): wait for it.
    case beyondHead
    /// The backend does not hold that header yet (or has lost it): retry, another backend may.
    case headerNotFound
    /// The node no longer holds the state asked for (pruned, geth "missing trie node"): only an archive node can answer.
    case missingState
}

extension RPCError {
    /// The refusal this error reports, or nil for any other failure.
    public var providerRefusal: ProviderRefusal? {
        switch self {
        case .http(let status, _, let retryAfter):
            if status == 429 { return .rateLimited(retryAfterSeconds: retryAfter) }
            if status == 413 { return .batchTooLarge(limit: nil) }
            return nil
        case .rpc(let code, let message, _):
            return Self.refusal(code: code, message: message)
        case .transport, .malformed:
            return nil
        }
    }

    /// Reads a JSON-RPC error object's code and message; the order of the checks matters
    /// ("batch limit 100 exceeded" is not a range refusal, Alchemy's "Log response size exceeded" is).
    static func refusal(code: Int, message: String) -> ProviderRefusal? {
        let text = message.lowercased()
        // Batches: geth rpc/errors.go errMsgBatchTooLarge; Erigon rpc/server.go serveSingleRequest.
        if text.contains("batch too large") || text.contains("batch limit") || text.contains("batch size") {
            return .batchTooLarge(limit: number(after: "batch limit ", in: text).map { Int(clamping: $0) })
        }
        // A backend behind the range: geth eth/filters/api.go errBlockRangeIntoFuture; reth EthFilterError::BlockRangeExceedsHead.
        if text.contains("beyond current head") { return .beyondHead }
        if let range = rangeRefusal(code: code, text: text) { return range }
        // Rate and compute-unit limits: Infura -32005 "project ID request rate exceeded", Alchemy 429.
        if code == 429 || text.contains("rate limit") || text.contains("rate exceeded") || text.contains("too many requests")
            || text.contains("compute units") || text.contains("capacity") || (code == -32005 && text.contains("limit exceeded")) {
            return .rateLimited(retryAfterSeconds: nil)
        }
        if code == -32005 { return .rateLimited(retryAfterSeconds: nil) }
        // geth rpc/errors.go errcodeResponseTooLarge / errMsgResponseTooLarge.
        if text.contains("response too large") || (code == -32003 && text.contains("too large")) { return .responseTooLarge }
        if text.contains("header not found") || text.contains("unknown block") { return .headerNotFound }
        if text.contains("missing trie node") || text.contains("historical state") || text.contains("pruned") { return .missingState }
        return nil
    }

    /// An `eth_getLogs` range or result-count refusal with its hint, in each provider's wording.
    private static func rangeRefusal(code: Int, text: String) -> ProviderRefusal? {
        let markers = ["query returned more than", "log response size exceeded", "exceeds max results", "query exceeds max block range",
                       "exceed maximum block range", "is limited to a", "block range too large", "block range is too large",
                       "range is too wide", "range too wide", "too many results", "query timeout exceeded"]
        guard markers.contains(where: text.contains) else { return nil }
        var suggestedTo: UInt64? = nil
        // Infura and Alchemy: "… [0xBDE5F8, 0x102DBCC]".
        if let open = text.lastIndex(of: "["), let close = text[open...].firstIndex(of: "]") {
            let parts = text[text.index(after: open)..<close].split(separator: ",").map { $0.filter { $0 != " " } }
            if parts.count == 2 { suggestedTo = quantity(parts[1]) }
        }
        // reth: "retry with the range 6000000-6000509".
        if suggestedTo == nil, let marker = text.range(of: "retry with the range ") {
            let parts = text[marker.upperBound...].prefix { $0.isNumber || $0 == "-" }.split(separator: "-")
            if parts.count == 2 { suggestedTo = UInt64(parts[1]) }
        }
        var limit: UInt64? = nil
        for marker in ["exceed maximum block range: ", "exceed maximum block range ", "query exceeds max block range ", "is limited to a ",
                       "up to a ", "maximum allowed is "] {
            if let value = number(after: marker, in: text) { limit = value; break }
        }
        return .rangeTooLarge(suggestedTo: suggestedTo, limit: limit)
    }

    /// The number written right after `marker` ("10,000", "2K", "5000"), if any.
    private static func number(after marker: String, in text: String) -> UInt64? {
        guard let found = text.range(of: marker) else { return nil }
        let rest = text[found.upperBound...]
        let written = rest.prefix { $0.isNumber || $0 == "," || $0 == "_" }
        guard let value = UInt64(written.filter(\.isNumber)) else { return nil }
        return rest.dropFirst(written.count).hasPrefix("k") ? value * 1_000 : value
    }

    private static func quantity(_ text: String) -> UInt64? {
        text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    }
}
