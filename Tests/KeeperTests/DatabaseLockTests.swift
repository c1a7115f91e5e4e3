import Foundation
import Indexer
import Testing
@testable import Keeper

@Suite struct DatabaseLockTests {
    @Test func secondKeeperOnTheSameDatabaseRefusesNamingThePID() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keeper.sqlite").path
        let config = try Config.parse(Array("""
            {"chain": {"rpcUrls": ["http://127.0.0.1:1"], "chainId": 1, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
             "store": {"path": "\(path)"}}
            """.utf8))
        var first: IndexerSession? = try IndexerSession(config: config)
        #expect(first != nil)
        let error = #expect(throws: KeeperError.self) { _ = try IndexerSession(config: config) }
        #expect(error?.code == .locked)
        #expect(error?.message.contains("pid \(getpid())") == true, "\(error?.message ?? "")")
        first = nil
        #expect(throws: Never.self) { _ = try IndexerSession(config: config) }  // released with the first session
    }
}
