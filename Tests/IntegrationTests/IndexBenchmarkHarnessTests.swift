import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Store

/// `bench/index.sh --quick` (10,000 logs) runs end to end with the binaries built for the tests, so
/// that the benchmark harness cannot rot; and what the keeper stored during it equals what the
/// replay server serves. The figures themselves live in BENCHMARKS.md, not here.
@Suite(.serialized) struct IndexBenchmarkHarnessTests {
    static let logs = 10_000

    @Test func quickHarnessIndexesEveryServedLogIntoEqualRows() async throws {
        let binaries = URL(fileURLWithPath: KeeperBinary.path).deletingLastPathComponent()
        let bench = binaries.appendingPathComponent("lg-bench").path
        try #require(FileManager.default.isExecutableFile(atPath: bench), "no lg-bench beside \(KeeperBinary.path): swift build first")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }

        let harness = try ChildProcess.run("/bin/bash", [ReferencePython.repositoryRoot.appendingPathComponent("bench/index.sh").path,
                                            "--quick", "--no-build", "--bin", binaries.path, "--work", work.path, "--keep"])
        #expect(harness.status == 0, "bench/index.sh failed: \(harness.stderr)")
        #expect(harness.stdout.contains("| lg-keeper index --once |"))
        #expect(harness.stdout.contains("rows: check: events \(Self.logs)/\(Self.logs)"), "\(harness.stdout)")

        // Independently of the harness' own check: the row count, and a sample of rows against the
        // raw logs the replay server answers (positions, hashes, and the indexed topics).
        let database = try Database(path: work.appendingPathComponent("keeper.sqlite").path)
        #expect(try database.fetchOne("SELECT count(*) FROM events", as: Int.self) == Self.logs)

        let server = try ServerProcess(executable: bench, arguments: ["serve", "--logs", "\(Self.logs)"])
        defer { server.stop() }
        let rpc = JSONRPCClient(endpoints: [server.baseURL])
        let head = try await rpc.blockNumber()
        #expect(head > 100)
        var compared = 0
        for number in [1, 2, head / 3, head / 2, head - 1, head] {
            let served = try await rpc.logs(LogFilter(range: .blocks(from: .number(number), to: .number(number)), addresses: []))
            #expect(!served.isEmpty)
            let stored = try database.fetchAll("""
                SELECT block_number, block_hash, tx_hash, tx_index, log_index, address, name, user, order_id
                FROM events WHERE block_number = ? ORDER BY log_index
                """, [number])
            try #require(stored.count == served.count, "block \(number): \(stored.count) rows for \(served.count) logs")
            for (row, log) in zip(stored, served) {
                #expect(try row.get("block_hash", as: String.self) == log.blockHash.description)
                #expect(try row.get("tx_hash", as: String.self) == log.transactionHash.description)
                #expect(try row.get("tx_index", as: UInt64.self) == log.transactionIndex)
                #expect(try row.get("log_index", as: UInt64.self) == log.logIndex)
                #expect(try row.get("address", as: String.self) == log.address.description)
                #expect(try row.get("name", as: String.self) == LeverageGuardContract.eventsByTopic[log.topics[0]]?.name)
                let user = try row.get("user", as: String?.self)
                #expect(user == nil || user == "0x" + log.topics[1].description.suffix(40))
                if let order = try row.get("order_id", as: String?.self) {
                    let value = try #require(UInt256(order))
                    #expect(try Hash(bytes: value.bytes) == log.topics[2])
                }
                compared += 1
            }
        }
        #expect(compared >= 60)
    }
}
