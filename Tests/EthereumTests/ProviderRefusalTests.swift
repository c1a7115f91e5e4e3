import Testing
import Wire
@testable import Ethereum

/// Every row of docs/PROVIDERS.md: the exact wording a node or provider answers, and what the keeper
/// reads from it. A row added to the table gets its case here.
@Suite struct ProviderRefusalTests {
    /// (table row, error as received, expected reading).
    static let rows: [(String, RPCError, ProviderRefusal?)] = [
        // Batches
        ("geth batch too large", .rpc(code: -32600, message: "batch too large", data: nil), .batchTooLarge(limit: nil)),
        ("erigon batch limit", .rpc(code: -32000, message: "batch limit 100 exceeded (can increase by --rpc.batch.limit). Requested batch of size: 150", data: nil),
         .batchTooLarge(limit: 100)),
        ("HTTP 413", .http(status: 413, endpoint: "rpc.example", retryAfterSeconds: nil), .batchTooLarge(limit: nil)),
        // Rates
        ("HTTP 429 Retry-After", .http(status: 429, endpoint: "rpc.example", retryAfterSeconds: 3), .rateLimited(retryAfterSeconds: 3)),
        ("alchemy 429 body", .rpc(code: 429, message: "Your app has exceeded its compute units per second capacity. If you have retries enabled, you can safely ignore this message. If not, check out https://docs.alchemy.com/reference/throughput", data: nil),
         .rateLimited(retryAfterSeconds: nil)),
        ("infura rate", .rpc(code: -32005, message: "project ID request rate exceeded", data: nil), .rateLimited(retryAfterSeconds: nil)),
        ("infura daily", .rpc(code: -32005, message: "daily request count exceeded, request rate limited", data: nil), .rateLimited(retryAfterSeconds: nil)),
        ("-32005 limit exceeded", .rpc(code: -32005, message: "limit exceeded", data: nil), .rateLimited(retryAfterSeconds: nil)),
        // Ranges
        ("infura results", .rpc(code: -32005, message: "query returned more than 10000 results. Try with this block range [0xBDE5F8, 0x102DBCC].", data: nil),
         .rangeTooLarge(suggestedTo: 0x102DBCC, limit: nil)),
        ("alchemy response size", .rpc(code: -32602, message: "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters and the response size limit, this block range should work: [0x0, 0xd043b8]", data: nil),
         .rangeTooLarge(suggestedTo: 0xd043b8, limit: 2_000)),
        ("reth max results", .rpc(code: -32602, message: "query exceeds max results 20000, retry with the range 6000000-6000509", data: nil),
         .rangeTooLarge(suggestedTo: 6_000_509, limit: nil)),
        ("reth max block range", .rpc(code: -32602, message: "query exceeds max block range 100000", data: nil), .rangeTooLarge(suggestedTo: nil, limit: 100_000)),
        ("quicknode range", .rpc(code: -32614, message: "eth_getLogs is limited to a 10,000 range", data: nil), .rangeTooLarge(suggestedTo: nil, limit: 10_000)),
        ("bsc range", .rpc(code: -32000, message: "exceed maximum block range: 5000", data: nil), .rangeTooLarge(suggestedTo: nil, limit: 5_000)),
        ("geth rangelimit", .rpc(code: -32602, message: "exceed maximum block range 1000", data: nil), .rangeTooLarge(suggestedTo: nil, limit: 1_000)),
        // Behind the head, missing data, size
        ("geth beyond head", .rpc(code: -32602, message: "block range extends beyond current head block", data: nil), .beyondHead),
        ("reth beyond head", .rpc(code: -32602, message: "block range extends beyond current head block: requested 125011129, head 125011127", data: nil), .beyondHead),
        ("geth header not found", .rpc(code: -32000, message: "header not found", data: nil), .headerNotFound),
        ("geth missing trie node", .rpc(code: -32000, message: "missing trie node 1f2c0a7e0f3b2a8c9d1e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8 (path ) state 0x1f2c is not available", data: nil),
         .missingState),
        ("geth response too large", .rpc(code: -32003, message: "response too large", data: nil), .responseTooLarge),
        // Not refusals
        ("revert", .rpc(code: 3, message: "execution reverted", data: [0x08, 0xc3, 0x79, 0xa0]), nil),
        ("invalid argument", .rpc(code: -32602, message: "invalid argument 0: hex string without 0x prefix", data: nil), nil),
        ("HTTP 503", .http(status: 503, endpoint: "rpc.example", retryAfterSeconds: nil), nil),
        ("malformed", .malformed("x"), nil),
    ]

    @Test(arguments: ProviderRefusalTests.rows.map(\.0))
    func eachRowReadsAsTheNodeMeantIt(row: String) throws {
        let (_, error, expected) = try #require(Self.rows.first { $0.0 == row })
        #expect(error.providerRefusal == expected, "\(row): \(error.description)")
    }

    @Test func waitsAreTransientRefusalsAnsweredDifferentlyAreNot() {
        for (row, error, refusal) in Self.rows {
            switch refusal {
            case .rateLimited?, .beyondHead?, .headerNotFound?: #expect(error.isTransient, "\(row)")
            case .rangeTooLarge?, .batchTooLarge?, .responseTooLarge?, .missingState?: #expect(!error.isTransient, "\(row)")
            case nil: break
            }
        }
        #expect(RPCError.rpc(code: -32603, message: "internal error", data: nil).isTransient)
    }

    /// geth answers an oversize batch with a one-element array (rpc/testdata/invalid-batch-toolarge.js), Erigon with one object.
    @Test(arguments: [
        #"[{"jsonrpc":"2.0","id":7,"error":{"code":-32600,"message":"batch too large"}}]"#,
        #"[{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}}]"#,
        #"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"batch limit 2 exceeded (can increase by --rpc.batch.limit). Requested batch of size: 3"}}"#,
    ])
    func oversizeBatchAnswersAreTheBatchsRefusal(body: String) {
        for streaming in [false, true] {
            let error = #expect(throws: RPCError.self) {
                _ = try JSONRPCClient.decode(Array(body.utf8), expectedIDs: [7, 8, 9], batch: true,
                                             streaming: streaming ? StreamedResult(offset: 0) { reader in _ = try reader.readValue() } : nil)
            }
            guard case .batchTooLarge? = error?.providerRefusal else { Issue.record("\(body) read as \(String(describing: error))"); continue }
        }
    }

    @Test func retryAfterIsHonouredBeyondTheBackoffCeiling() {
        let policy = RetryPolicy(maximumAttempts: 3, baseDelayMilliseconds: 1, maximumDelayMilliseconds: 5)
        #expect(policy.delayMilliseconds(afterAttempt: 1, retryAfterSeconds: 2) == 2_000)
        #expect(policy.delayMilliseconds(afterAttempt: 1, retryAfterSeconds: 3_600) == 60_000, "capped at maximumRetryAfterSeconds")
        #expect(policy.delayMilliseconds(afterAttempt: 1, retryAfterSeconds: nil) <= 5)
    }

    @Test func pacerSpacesCallsToTheRate() async throws {
        let pacer = RequestPacer(callsPerSecond: 100)
        let start = ContinuousClock.now
        for _ in 0..<5 { try await pacer.admit(calls: 10) }  // 50 calls at 100/s: the fifth batch waits 0.4 s
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(390), "\(elapsed)")  // no upper bound: a loaded machine resumes sleepers late
        let unlimited = RequestPacer(callsPerSecond: nil)
        let quick = ContinuousClock.now
        // A million calls a batch: paced at any rate a provider allows, they would take hours; unpaced,
        // far below the bound even on a starved machine.
        for _ in 0..<100 { try await unlimited.admit(calls: 1_000_000) }
        #expect(ContinuousClock.now - quick < .seconds(30))
        let held = ContinuousClock.now  // before the hold starts: a late resume here must not eat into it
        unlimited.hold(for: .milliseconds(150))
        try await unlimited.admit(calls: 1)
        #expect(ContinuousClock.now - held >= .milliseconds(140), "a Retry-After holds every caller")
    }
}
