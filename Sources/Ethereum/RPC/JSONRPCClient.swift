import Crypto
import Synchronization
import Wire

/// An Ethereum JSON-RPC 2.0 client over HTTP (libcurl): batch requests, typed errors, retries
/// with backoff for reads, and failover across several endpoints.
///
/// Writes are never retried blindly: a method listed in `nonIdempotentMethods` is sent once, to
/// one endpoint, and a failure that may have reached the node is reported as such so that the
/// caller checks what happened (receipt, nonce) before doing anything else.
public final class JSONRPCClient: Sendable {
    public static let nonIdempotentMethods: Set<String> = ["eth_sendRawTransaction", "eth_sendTransaction"]

    public let endpoints: [String]
    public let retry: RetryPolicy
    public let limits: RPCLimits
    /// Calls per batch now: `limits.maxBatchSize`, or less once a node refused a batch as too large.
    private let batchLimit: Atomic<Int>
    private let pacer: RequestPacer
    private let http: HTTPClient
    private let nextID = Atomic<Int>(1)
    /// Index of the endpoint that answered last; calls start there.
    private let preferred = Atomic<Int>(0)
    private let observer: (@Sendable (RPCCallRecord) -> Void)?

    public init(endpoints: [String], http: HTTPClient = HTTPClient(), retry: RetryPolicy = RetryPolicy(), limits: RPCLimits = RPCLimits(),
                observer: (@Sendable (RPCCallRecord) -> Void)? = nil) {
        precondition(!endpoints.isEmpty, "a JSON-RPC client needs at least one endpoint")
        self.endpoints = endpoints
        self.http = http
        self.retry = retry
        self.limits = limits
        batchLimit = Atomic(limits.maxBatchSize)
        pacer = RequestPacer(callsPerSecond: limits.maxRequestsPerSecond)
        self.observer = observer
    }

    /// Calls one method and returns its `result`.
    public func call(_ method: String, _ params: [JSON] = []) async throws(RPCError) -> JSON {
        let results = try await send([RPCRequest(method, params)], idempotent: !Self.nonIdempotentMethods.contains(method))
        guard let first = results.first else { throw .malformed("empty answer to \(method)") }
        return try first.get()
    }

    /// Sends several calls as JSON-RPC batches of at most `currentBatchLimit` calls. The outer error
    /// is for an exchange; each element carries its own call's result or error, in request order.
    ///
    /// A batch refused as too large (in geth's, Erigon's or a provider's form, docs/PROVIDERS.md) is
    /// sent again in smaller parts, and the smaller size is kept for later batches.
    ///
    /// With `streaming`, that call's `result` (when it is a list) is handed to its reader as it is
    /// parsed instead of being returned as a `JSON` tree; its element then holds `.null`.
    public func batch(_ requests: [RPCRequest], streaming: StreamedResult? = nil) async throws(RPCError) -> [Result<JSON, RPCError>] {
        guard !requests.isEmpty else { return [] }
        let idempotent = !requests.contains { Self.nonIdempotentMethods.contains($0.method) }
        var results = [Result<JSON, RPCError>]()
        results.reserveCapacity(requests.count)
        var start = 0
        while start < requests.count {
            let end = min(requests.count, start + batchLimit.load(ordering: .relaxed))
            let part = Array(requests[start..<end])
            let partStreaming = streaming.flatMap { s in (start..<end).contains(s.offset) ? StreamedResult(offset: s.offset - start, read: s.read) : nil }
            do {
                results += try await send(part, idempotent: idempotent, streaming: partStreaming)
                start = end
            } catch {
                guard part.count > 1, case .batchTooLarge(let stated)? = error.providerRefusal else { throw error }
                narrowBatches(refused: part.count, stated: stated)
            }
        }
        return results
    }

    /// Calls per batch now (narrowed after a refusal, never above `limits.maxBatchSize`).
    public var currentBatchLimit: Int { batchLimit.load(ordering: .relaxed) }

    /// After a batch of `refused` calls was refused: the limit the node stated when it is smaller, else half.
    private func narrowBatches(refused: Int, stated: Int?) {
        let narrower = stated.flatMap { $0 >= 1 && $0 < refused ? $0 : nil } ?? max(1, refused / 2)
        var current = batchLimit.load(ordering: .relaxed)
        while narrower < current {
            let (exchanged, original) = batchLimit.compareExchange(expected: current, desired: narrower, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }

    private func send(_ requests: [RPCRequest], idempotent: Bool, streaming: StreamedResult? = nil) async throws(RPCError) -> [Result<JSON, RPCError>] {
        let attempts = idempotent ? retry.maximumAttempts : 1
        var lastError = RPCError.malformed("no attempt made")
        for attempt in 1...attempts {
            let endpointIndex = (preferred.load(ordering: .relaxed) + (attempt - 1)) % endpoints.count
            try await pacer.admit(calls: requests.count)
            do {
                let results = try await exchange(requests, endpoint: endpoints[endpointIndex], streaming: streaming)
                preferred.store(endpointIndex, ordering: .relaxed)
                // A transient error inside a single read (rate limit, internal error) is retried too.
                if idempotent, requests.count == 1, case .failure(let error) = results[0], error.isTransient, attempt < attempts, !RPCDeadline.hasPassed {
                    lastError = error
                    try await pause(afterAttempt: attempt, error: error)
                    continue
                }
                return results
            } catch {
                lastError = error
                guard idempotent, error.isTransient, attempt < attempts, !RPCDeadline.hasPassed else { throw error }
                try await pause(afterAttempt: attempt, error: error)
            }
        }
        throw lastError
    }

    /// Waits before the next attempt; a rate limit holds every caller of this client back, for as
    /// long as the server's Retry-After asked (up to `retry.maximumRetryAfterSeconds`).
    private func pause(afterAttempt attempt: Int, error: RPCError) async throws(RPCError) {
        var retryAfter: Int? = nil
        if case .rateLimited(let seconds)? = error.providerRefusal { retryAfter = seconds }
        let delay = retry.delayMilliseconds(afterAttempt: attempt, retryAfterSeconds: retryAfter)
        if case .rateLimited? = error.providerRefusal { pacer.hold(for: .milliseconds(delay)) }
        do { try await Task.sleep(for: .milliseconds(delay)) } catch { throw .transport(HTTPError(.transport, "cancelled")) }
    }

    /// One HTTP exchange with one endpoint.
    private func exchange(_ requests: [RPCRequest], endpoint: String, streaming: StreamedResult?) async throws(RPCError) -> [Result<JSON, RPCError>] {
        let firstID = nextID.add(requests.count, ordering: .relaxed).oldValue
        let objects: [JSON] = requests.enumerated().map { offset, request in
            ["jsonrpc": "2.0", "id": JSON(firstID + offset), "method": .string(request.method), "params": .array(request.params)]
        }
        let body = (requests.count == 1 ? objects[0] : JSON.array(objects)).serialized()
        let started = ContinuousClock.now
        // A batch is labelled by the methods it carries ("eth_getBlockByNumber+eth_getLogs"): few combinations, each meaningful.
        let methodLabel = Set(requests.map(\.method)).sorted().joined(separator: "+")
        let response: HTTPResponse
        do {
            response = try await http.send(HTTPRequest(method: .post, url: endpoint,
                                                       headers: [("Content-Type", "application/json")], body: body))
        } catch {
            observer?(RPCCallRecord(method: methodLabel, outcome: "transport_error", duration: ContinuousClock.now - started))
            throw .transport(error)
        }
        guard (200..<300).contains(response.status) else {
            observer?(RPCCallRecord(method: methodLabel, outcome: "http_\(response.status)", duration: ContinuousClock.now - started))
            throw .http(status: response.status, endpoint: HTTPClient.redactedHost(endpoint),
                        retryAfterSeconds: response.headers["retry-after"].flatMap { Int($0.filter { $0 != " " }) })
        }
        let results: [Result<JSON, RPCError>]
        do {
            results = try Self.decode(response.body, expectedIDs: (firstID..<firstID + requests.count).map { $0 }, batch: requests.count > 1,
                                      streaming: streaming)
        } catch {
            observer?(RPCCallRecord(method: methodLabel, outcome: "malformed", duration: ContinuousClock.now - started))
            throw error
        }
        let failed = results.contains { if case .failure = $0 { true } else { false } }
        observer?(RPCCallRecord(method: methodLabel, outcome: failed ? "rpc_error" : "ok", duration: ContinuousClock.now - started))
        return results
    }

    /// Parses a response body and matches answers to requests by id.
    package static func decode(_ body: [UInt8], expectedIDs: [Int], batch: Bool, streaming: StreamedResult? = nil) throws(RPCError) -> [Result<JSON, RPCError>] {
        if batch, let streaming { return try decode(streamingBatch: body, expectedIDs: expectedIDs, streaming: streaming) }
        let document: JSON
        do { document = try JSON(parsing: body) } catch { throw .malformed(error.description) }
        // A single error object answering a batch means the batch itself was refused.
        if batch, case .object = document {
            throw (try? Self.outcome(of: document)).flatMap { if case .failure(let e) = $0 { e } else { nil } }
                ?? .malformed("a batch was answered with a single object")
        }
        let answers: [JSON] = batch ? (document.arrayValue ?? []) : [document]
        var byID = [Int: Result<JSON, RPCError>]()
        for answer in answers { try record(answer, in: &byID) }
        return try ordered(byID, expectedIDs: expectedIDs)
    }

    /// A batch answer read one answer at a time; the streamed call's `result` goes to its reader
    /// when its `id` precedes it (as nodes write it), else it is kept as `JSON` like any other.
    private static func decode(streamingBatch body: [UInt8], expectedIDs: [Int], streaming: StreamedResult) throws(RPCError) -> [Result<JSON, RPCError>] {
        var reader = JSONReader(body)
        guard reader.peek(UInt8(ascii: "[")) else { return try decode(body, expectedIDs: expectedIDs, batch: true) }
        let streamedID = expectedIDs[streaming.offset]
        var byID = [Int: Result<JSON, RPCError>]()
        do {
            try reader.beginArray()
            while try reader.nextElement() {
                try reader.beginObject()
                var members = [String: JSON]()
                while let name = try reader.nextMember() {
                    let value: JSON
                    if name == "result", members["id"]?.intValue == streamedID, reader.peek(UInt8(ascii: "[")) {
                        try streaming.read(&reader)
                        value = .null
                    } else {
                        value = try reader.readValue()
                    }
                    guard members.updateValue(value, forKey: name) == nil else { throw RPCError.malformed("duplicate member \"\(name)\"") }
                }
                try record(.object(members), in: &byID)
            }
            try reader.end()
        } catch let error as RPCError {
            throw error
        } catch let error as JSONParseError {
            throw .malformed(error.description)
        } catch {
            throw .malformed("\(error)")
        }
        return try ordered(byID, expectedIDs: expectedIDs)
    }

    /// Files one answer under its id.
    private static func record(_ answer: JSON, in byID: inout [Int: Result<JSON, RPCError>]) throws(RPCError) {
        guard answer["jsonrpc"] == "2.0", let id = answer["id"]?.intValue else {
            // An error answer with a null id (parse error) applies to the whole request.
            if case .failure(let error)? = try? Self.outcome(of: answer) { throw error }
            throw .malformed("answer without a numeric id")
        }
        guard byID.updateValue(try Self.outcome(of: answer), forKey: id) == nil else {
            throw .malformed("two answers with id \(id)")
        }
    }

    /// The answers in request order. One error answering a batch of several calls is the batch's
    /// refusal (geth answers an oversize batch with a one-element array carrying the first call's id).
    private static func ordered(_ byID: [Int: Result<JSON, RPCError>], expectedIDs: [Int]) throws(RPCError) -> [Result<JSON, RPCError>] {
        if expectedIDs.count > 1, byID.count == 1, case .failure(let refusal)? = byID.first?.value { throw refusal }
        return try expectedIDs.map { id throws(RPCError) in
            guard let outcome = byID[id] else { throw .malformed("no answer for request id \(id)") }
            return outcome
        }
    }

    private static func outcome(of answer: JSON) throws(RPCError) -> Result<JSON, RPCError> {
        if let error = answer["error"], !error.isNull {
            guard let code = error["code"]?.intValue, let message = error["message"]?.stringValue else {
                throw .malformed("error object without code and message")
            }
            let data = error["data"]?.stringValue.flatMap { Hex.decode($0) }
            return .failure(.rpc(code: code, message: message, data: data))
        }
        guard let result = answer["result"] else { throw .malformed("answer with neither result nor error") }
        return .success(result)
    }
}

/// A call of a batch whose list `result` is read in place (`JSONRPCClient.batch(_:streaming:)`).
/// `read` may run more than once (a retried batch): it should assign what it reads, not append.
public struct StreamedResult {
    /// The call's position in the batch.
    public let offset: Int
    public let read: (inout JSONReader) throws -> Void

    public init(offset: Int, read: @escaping (inout JSONReader) throws -> Void) {
        self.offset = offset
        self.read = read
    }
}

/// One call in a batch.
public struct RPCRequest: Sendable {
    public let method: String
    public let params: [JSON]
    public init(_ method: String, _ params: [JSON] = []) { self.method = method; self.params = params }
}

/// What the client observed about one exchange, for metrics.
public struct RPCCallRecord: Sendable {
    public let method: String
    public let outcome: String
    public let duration: Duration
}
