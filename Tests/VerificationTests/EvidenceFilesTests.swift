import Foundation
import Keeper
import Settlement
import Store
import Testing
import Verification
import Wire

@Suite struct EvidenceFilesTests {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-evidence-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func writesDocumentAndRootInTheDayDirectoryAndRecordsARow() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sealed = try EvidenceBundle.seal(EvidenceBundleTests.response())
        let id = try #require(sealed["evidence"]?["evidenceId"]?.stringValue)
        let root = try #require(sealed["evidence"]?["root"]?.stringValue)

        let path = try EvidenceFiles(root: directory).write(sealed)
        #expect(path == "\(directory)/2025-11-04/\(id).json")
        #expect(try EvidenceFiles.read(path: path) == sealed)
        #expect(try String(contentsOfFile: "\(directory)/2025-11-04/\(id).root", encoding: .utf8) == root + "\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/2025-11-04").sorted()
        #expect(leftovers == ["\(id).json", "\(id).root"], "no temporary files are left behind")

        let database = try Database(path: ":memory:")
        try KeeperSchema.migrator.migrate(database)
        let ledger = EvidenceLedger(database: database)
        let entry = try ledger.record(sealed, path: path, wallet: "0xabc")
        #expect(try ledger.entry(id) == entry)
        #expect(entry.liquidated == true && entry.reason == "forced-liquidation" && entry.ordId == "2940071038556348417")
        #expect(try ledger.entry("evi_20250101_0000000000000000") == nil)
    }

    @Test func refusesCredentialsAndSignedHeaders() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = EvidenceFiles(root: directory)
        let secret = "S3CR3T-\(UUID().uuidString)"
        guard case .object(var members) = EvidenceBundleTests.response() else { Issue.record("not an object"); return }
        members["raw"] = ["trade/order": ["code": "0", "data": [], "echo": .string("x\(secret)x")]]
        let leaking = try EvidenceBundle.seal(.object(members))
        #expect { try files.write(leaking, refusing: [secret]) } throws: { ($0 as? VerificationError)?.code == .secretInEvidence }

        members["raw"] = ["trade/order": ["code": "0", "data": [], "headers": ["OK-ACCESS-SIGN": "abc="]]]
        let signed = try EvidenceBundle.seal(.object(members))
        #expect { try files.write(signed) } throws: { ($0 as? VerificationError)?.code == .secretInEvidence }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "nothing was written")
    }
}
