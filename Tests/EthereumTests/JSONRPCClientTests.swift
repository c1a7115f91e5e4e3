import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum

/// The client's error handling, retries and failover against a scripted HTTP server.
/// (Its wire behaviour against a real node is covered in IntegrationTests.)
@Suite final class JSONRPCClientTests {
    let server: ServerProcess
    let fastRetry = RetryPolicy(maximumAttempts: 4, baseDelayMilliseconds: 1, maximumDelayMilliseconds: 5)

    init() throws { server = try ServerProcess(script: "httpfixture.py", arguments: ["--port", "0"]) }
    deinit { server.stop() }

    func client(_ paths: String..., retry: RetryPolicy? = nil) -> JSONRPCClient {
        JSONRPCClient(endpoints: paths.map { server.baseURL + $0 }, retry: retry ?? fastRetry)
    }

    func hits(_ key: String) async throws -> Int {
        let response = try await HTTPClient().send(HTTPRequest(method: .get, url: server.baseURL + "/hits/" + key))
        return Int(String(decoding: response.body, as: UTF8.self)) ?? -1
    }

    @Test func singleCallReturnsResult() async throws {
        #expect(try await client("/rpc/ok").call("eth_chainId") == "eth_chainId")
    }

    @Test func batchKeepsRequestOrder() async throws {
        let results = try await client("/rpc/ok").batch([RPCRequest("eth_blockNumber"), RPCRequest("eth_chainId"), RPCRequest("net_version")])
        #expect(try results.map { try $0.get() } == ["eth_blockNumber", "eth_chainId", "net_version"])
    }

    @Test func revertCarriesCodeMessageAndData() async throws {
        let error = await #expect(throws: RPCError.self) { try await self.client("/rpc/revert").call("eth_call", [[:], "latest"]) }
        guard case .rpc(let code, let message, let data)? = error else { Issue.record("expected an RPC error, got \(String(describing: error))"); return }
        #expect(code == 3)
        #expect(message.hasPrefix("execution reverted"))
        #expect(data?.prefix(4) == [0x08, 0xc3, 0x79, 0xa0])
        #expect(error?.revertData == data)
        #expect(error?.isTransient == false)
    }

    @Test func readsAreRetriedThroughHTTP503() async throws {
        let key = UUID().uuidString
        #expect(try await client("/rpc/flaky/2/\(key)").call("eth_blockNumber") == "eth_blockNumber")
        #expect(try await hits(key) == 3)
    }

    @Test func readsAreRetriedThroughRateLimitErrors() async throws {
        let key = UUID().uuidString
        #expect(try await client("/rpc/limited/2/\(key)").call("eth_getLogs", [[:]]) == "eth_getLogs")
        #expect(try await hits(key) == 3)
    }

    @Test func retriesStopAtTheLimit() async throws {
        let key = UUID().uuidString
        let error = await #expect(throws: RPCError.self) { try await self.client("/rpc/flaky/10/\(key)").call("eth_blockNumber") }
        #expect(error == .http(status: 503, endpoint: server.baseURL, retryAfterSeconds: 0))
        #expect(try await hits(key) == 4)
    }

    @Test func sendRawTransactionIsNeverRetried() async throws {
        let key = UUID().uuidString
        let error = await #expect(throws: RPCError.self) {
            try await self.client("/rpc/flaky/1/\(key)").call("eth_sendRawTransaction", ["0x02"])
        }
        #expect(error?.mayHaveReachedNode == true, "a 5xx after sending may have been acted on")
        #expect(try await hits(key) == 1)
    }

    @Test func failsOverToTheNextEndpoint() async throws {
        let key = UUID().uuidString
        let rpc = client("/rpc/flaky/100/\(key)", "/rpc/ok", retry: RetryPolicy(maximumAttempts: 2, baseDelayMilliseconds: 1))
        #expect(try await rpc.call("eth_chainId") == "eth_chainId")
        #expect(try await rpc.call("eth_chainId") == "eth_chainId")
        #expect(try await hits(key) == 1, "after a failover the healthy endpoint is preferred")
    }

    @Test func unreachableEndpointIsATransportError() async throws {
        let rpc = JSONRPCClient(endpoints: ["http://127.0.0.1:1/"], retry: .none)
        let error = await #expect(throws: RPCError.self) { try await rpc.call("eth_chainId") }
        guard case .transport(let http)? = error else { Issue.record("expected transport error"); return }
        #expect(http.code == .connectFailed)
        #expect(error?.mayHaveReachedNode == false)
    }

    @Test(arguments: [
        (#"not json"#, false), (#"{"jsonrpc":"2.0","id":1}"#, false), (#"{"jsonrpc":"2.0","id":99,"result":"0x1"}"#, false),
        (#"[{"jsonrpc":"2.0","id":1,"result":"0x1"}]"#, true), (#"{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}"#, false),
        (#"[{"jsonrpc":"2.0","id":1,"result":1},{"jsonrpc":"2.0","id":1,"result":2}]"#, true),
    ])
    func malformedAnswersAreTyped(_ body: String, batch: Bool) {
        let ids = batch ? [1, 2] : [1]
        #expect(throws: RPCError.self) { try JSONRPCClient.decode(Array(body.utf8), expectedIDs: ids, batch: batch) }
    }

    /// A streamed call's list goes to its reader when its id comes first; otherwise (id after the
    /// result) it stays `JSON`. Either way the other answers are the same as without streaming.
    @Test(arguments: [
        #"[{"jsonrpc":"2.0","id":8,"result":"b"},{"jsonrpc":"2.0","id":7,"result":[1,2,3]}]"#,
        #"[{"jsonrpc":"2.0","id":8,"result":"b"},{"result":[1,2,3],"jsonrpc":"2.0","id":7}]"#,
    ])
    func streamedResultIsReadInPlaceWhenItsIDComesFirst(body: String) throws {
        var read: [JSON]? = nil
        let results = try JSONRPCClient.decode(Array(body.utf8), expectedIDs: [7, 8], batch: true, streaming: StreamedResult(offset: 0) { reader in
            var items = [JSON]()
            try reader.beginArray()
            while try reader.nextElement() { items.append(try reader.readValue()) }
            read = items
        })
        #expect(try results[1].get() == "b")
        if body.contains(#""id":7,"result""#) {
            #expect(read == [1, 2, 3])
            #expect(try results[0].get() == .null)
        } else {
            #expect(read == nil)
            #expect(try results[0].get() == [1, 2, 3])
        }
    }

    @Test(arguments: [
        #"[{"jsonrpc":"2.0","id":7,"result":[1,2,}]"#,
        #"[{"jsonrpc":"2.0","id":7,"result":[1,2]},]"#,
        #"[{"jsonrpc":"2.0","id":7,"result":[1,2]}] x"#,
        #"[{"jsonrpc":"2.0","id":7,"id":7,"result":[]}]"#,
    ])
    func streamedBatchRejectsMalformedAnswers(body: String) {
        #expect(throws: RPCError.self) {
            try JSONRPCClient.decode(Array(body.utf8), expectedIDs: [7], batch: true, streaming: StreamedResult(offset: 0) { reader in
                try reader.beginArray()
                while try reader.nextElement() { _ = try reader.readValue() }
            })
        }
    }

    @Test func batchAnswersAreMatchedByIDNotPosition() throws {
        let body = #"[{"jsonrpc":"2.0","id":8,"result":"b"},{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"the method x does not exist"}}]"#
        let results = try JSONRPCClient.decode(Array(body.utf8), expectedIDs: [7, 8], batch: true)
        #expect(throws: RPCError.self) { try results[0].get() }
        #expect(try results[1].get() == "b")
    }

    /// A node's quantity above SQLite's integer range is a malformed answer, not a number that later
    /// wraps or traps (`head + confirmations`, `estimate × margin`, `Int64(block)`).
    @Test func quantitiesAboveInt64AreMalformed() throws {
        #expect(try WireFormat.uint64(.string("0x7fffffffffffffff"), "eth_blockNumber") == UInt64(Int64.max))
        for text in ["0x8000000000000000", "0xffffffffffffffff"] {
            #expect(throws: RPCError.self) { try WireFormat.uint64(.string(text), "eth_blockNumber") }
        }
        let log: JSON = ["address": "0x0000000000000000000000000000000000000001", "topics": [], "data": "0x",
                         "blockNumber": "0xffffffffffffffff", "blockHash": .string("0x" + String(repeating: "1", count: 64)),
                         "transactionHash": .string("0x" + String(repeating: "2", count: 64)), "transactionIndex": "0x0", "logIndex": "0x0"]
        #expect(throws: RPCError.self) { try Log(json: log) }
    }
}
