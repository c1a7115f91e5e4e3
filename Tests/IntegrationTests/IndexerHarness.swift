import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Store

/// One row of the `events` table, in the shape `devnet/dump_events.py` prints.
struct EventRow: Hashable, Decodable, CustomStringConvertible {
    let block_number: UInt64
    let block_hash: String
    let tx_hash: String
    let log_index: UInt64
    let name: String
    let user: String?
    let order_id: String?
    let data: String
    var description: String { "#\(block_number)/\(log_index) \(name) \(data)" }
}

/// A devnet, a temporary database and the follower's configuration, for the indexer's tests.
struct IndexerHarness {
    let devnet: Devnet
    let directory: URL

    init(devnet: Devnet) throws {
        self.devnet = devnet
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-indexer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var contract: String { devnet.deployment.contract }

    func configJSON(rpcURL: String? = nil, confirmations: Int = 3, maxBlockRange: Int = 50, databasePath: String,
                    requestTimeoutMs: Int = 10_000, useFinalizedTag: Bool = false) -> String {
        """
        {"chain": {"rpcUrls": ["\(rpcURL ?? devnet.rpcURL)"], "chainId": \(devnet.deployment.chainId), "contract": "\(contract)",
                   "startBlock": \(devnet.deployment.deployBlock), "confirmations": \(confirmations), "maxBlockRange": \(maxBlockRange),
                   "rescanIntervalSeconds": 0, "pollIntervalMs": 50, "requestTimeoutMs": \(requestTimeoutMs),
                   "useFinalizedTag": \(useFinalizedTag)},
         "store": {"path": "\(databasePath)"}}
        """
    }

    func newDatabasePath() -> String { directory.appendingPathComponent("\(UUID().uuidString).sqlite").path }

    /// A follower on a database at `path` (a fresh one by default), started.
    func follower(rpcURL: String? = nil, confirmations: Int = 3, maxBlockRange: Int = 50, path: String? = nil,
                  requestTimeoutMs: Int = 10_000, useFinalizedTag: Bool = false) async throws -> LogFollower {
        let config = try Config.parse(Array(configJSON(rpcURL: rpcURL, confirmations: confirmations, maxBlockRange: maxBlockRange,
                                                       databasePath: path ?? newDatabasePath(), requestTimeoutMs: requestTimeoutMs,
                                                       useFinalizedTag: useFinalizedTag).utf8))
        let http = HTTPClient(options: HTTPClient.Options(totalTimeoutMilliseconds: requestTimeoutMs))
        let rpc = JSONRPCClient(endpoints: config.chain.rpcUrls, http: http,
                                retry: RetryPolicy(maximumAttempts: 3, baseDelayMilliseconds: 10, maximumDelayMilliseconds: 100))
        let follower = LogFollower(rpc: rpc, store: try IndexStore(keeperDatabase: try Database(path: config.store.path)), chain: config.chain)
        follower.options.retryBaseDelay = .milliseconds(10)
        try await follower.start()
        return follower
    }

    /// Sends transactions through devnet/make_events.py.
    @discardableResult
    func makeEvents(claims: Int, deposits: Int = 0, perBlock: Int = 1, orderBase: Int, users: String = "") throws -> String {
        var arguments = ["--deployment", devnet.deploymentFile, "--claims", "\(claims)", "--deposits", "\(deposits)",
                         "--per-block", "\(perBlock)", "--order-base", "\(orderBase)"]
        if !users.isEmpty { arguments += ["--users", users] }
        return try ReferencePython.runDevnetScript("make_events.py", arguments)
    }

    /// Signed requestClaim transactions, one list per plan entry (users, claims, orderBase, nonceOffset),
    /// signed in one Python process for replay with `send(_:)`.
    func signClaims(_ plan: [(users: String, claims: Int, orderBase: Int, nonceOffset: Int)]) throws -> [[String]] {
        let entries = plan.map { #"{"users":"\#($0.users)","claims":\#($0.claims),"orderBase":\#($0.orderBase),"nonceOffset":\#($0.nonceOffset)}"# }
        let output = try ReferencePython.runDevnetScript("make_events.py", ["--deployment", devnet.deploymentFile,
                                                                            "--sign-only", "[" + entries.joined(separator: ",") + "]"])
        return try JSONDecoder().decode([[String]].self, from: Data(output.utf8))
    }

    /// Sends raw transactions one by one (automine: one block each).
    func send(_ raws: [String]) async throws {
        let client = rpc()
        for raw in raws { _ = try await client.call("eth_sendRawTransaction", [.string(raw)]) }
    }

    /// The contract's logs as web3.py decodes them (eth_getLogs from the deployment block to the head).
    func reference() throws -> [EventRow] {
        let output = try ReferencePython.runDevnetScript("dump_events.py", ["--deployment", devnet.deploymentFile])
        return try JSONDecoder().decode([EventRow].self, from: Data(output.utf8))
    }

    /// The canonical chain's logs from the deployment block to the head, fetched block by block in
    /// one batch and decoded by the keeper's decoder: cheaper than `reference()`, for tests that
    /// compare many times (the decoding itself is cross-checked against web3.py by `reference()`).
    func canonical() async throws -> [EventRow] {
        let client = rpc()
        let head = try await client.blockNumber()
        let contract = try Address(hex: self.contract)
        let numbers = Array(devnet.deployment.deployBlock...head)
        let results = try await client.batch(numbers.map { n in
            RPCRequest("eth_getLogs", [LogFilter(range: .blocks(from: .number(n), to: .number(n)), addresses: [contract]).json])
        })
        var rows = [EventRow]()
        for result in results {
            for item in try result.get().arrayValue ?? [] {
                let event = try IndexedEvent(log: try Log(json: item))
                rows.append(EventRow(block_number: event.blockNumber, block_hash: event.blockHash.description,
                                     tx_hash: event.transactionHash.description, log_index: event.logIndex, name: event.name,
                                     user: event.user, order_id: event.orderID, data: event.data))
            }
        }
        return rows
    }

    static func rows(_ store: IndexStore) throws -> [EventRow] {
        try store.database.fetchAll("SELECT * FROM events ORDER BY block_number, log_index").map { row in
            EventRow(block_number: try row.get("block_number"), block_hash: try row.get("block_hash"), tx_hash: try row.get("tx_hash"),
                     log_index: try row.get("log_index"), name: try row.get("name"), user: try row.get("user", as: String?.self),
                     order_id: try row.get("order_id", as: String?.self), data: try row.get("data"))
        }
    }

    /// (user, order id) of every claim row.
    static func claimKeys(_ store: IndexStore) throws -> Set<String> {
        Set(try store.database.fetchAll("SELECT user, order_id FROM claims").map { "\(try $0.get("user", as: String.self))/\(try $0.get("order_id", as: String.self))" })
    }

    static func claimKeys(_ rows: [EventRow]) -> Set<String> {
        Set(rows.filter { $0.name == "ClaimRequested" }.compactMap { row in row.user.flatMap { u in row.order_id.map { "\(u)/\($0)" } } })
    }

    func rpc() -> JSONRPCClient { JSONRPCClient(endpoints: [devnet.rpcURL], retry: .none) }
}

/// Expects the table to equal the reference row for row, reporting the first difference.
func expectSameRows(_ actual: [EventRow], _ expected: [EventRow], _ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(context): \(actual.count) rows, eth_getLogs has \(expected.count)", sourceLocation: sourceLocation)
    if let index = zip(actual, expected).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
        Issue.record("\(context): row \(index) differs: indexed \(actual[index]) vs chain \(expected[index])", sourceLocation: sourceLocation)
    }
}
