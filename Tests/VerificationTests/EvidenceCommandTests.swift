import Foundation
import Testing
import TestSupport
import Verification
import Wire

/// `lg-keeper evidence show|verify` run as a process.
@Suite struct EvidenceCommandTests {
    @Test func verifiesAnIntactFileAndRejectsATamperedOne() throws {
        let directory = try EvidenceFilesTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sealed = try EvidenceBundle.seal(EvidenceBundleTests.response())
        let id = try #require(sealed["evidence"]?["evidenceId"]?.stringValue)
        let path = try EvidenceFiles(root: "\(directory)/evidence").write(sealed)
        let common = ["--evidence-dir", "\(directory)/evidence", "--db", "\(directory)/none.sqlite"]

        let byFile = try KeeperBinary.run(["evidence", "verify", path])
        #expect(byFile.status == 0, "\(byFile.stdout)\(byFile.stderr)")
        #expect(byFile.stdout.contains("ok"))
        let byId = try KeeperBinary.run(["evidence", "verify", id] + common)
        #expect(byId.status == 0, "\(byId.stderr)")
        let shown = try KeeperBinary.run(["evidence", "show", id] + common)
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("forced-liquidation") && shown.stdout.contains("raw.trade/order"))
        let json = try KeeperBinary.run(["evidence", "show", id, "--json"] + common)
        #expect(try JSON(parsing: json.stdout) == sealed)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/none.sqlite"), "reading evidence creates no database")

        // Change one raw OKX field in the file on disk.
        let original = try String(contentsOfFile: path, encoding: .utf8)
        try original.replacingOccurrences(of: "full_liquidation", with: "normal").write(toFile: path, atomically: true, encoding: .utf8)
        let tampered = try KeeperBinary.run(["evidence", "verify", path])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("first differing leaf: raw.trade/order"), "\(tampered.stdout)")
        #expect(tampered.stderr.contains("does not verify"))

        // Restore the document but change the .root file beside it.
        try original.write(toFile: path, atomically: true, encoding: .utf8)
        try "0x\(String(repeating: "0", count: 64))\n".write(toFile: path.replacingOccurrences(of: ".json", with: ".root"), atomically: true, encoding: .utf8)
        #expect(try KeeperBinary.run(["evidence", "verify", path]).status == 1)
    }

    @Test func usageAndMissingEvidence() throws {
        #expect(try KeeperBinary.run(["evidence", "verify"]).status == 64)
        #expect(try KeeperBinary.run(["evidence", "show", "not-an-id"]).status == 64)
        #expect(try KeeperBinary.run(["evidence", "frob", "x"]).status == 64)
        let missing = try KeeperBinary.run(["evidence", "verify", "evi_20250101_0123456789abcdef", "--evidence-dir", "/nonexistent", "--db", "/nonexistent/db"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no evidence evi_20250101_0123456789abcdef"))
        #expect(try KeeperBinary.run(["evidence", "verify", "evi_20250101_0123456789abcdef", "--wallet", "0x00"]).status == 64,
                "--wallet applies with --chain only")
        #expect(try KeeperBinary.run(["evidence", "show", "evi_20250101_0123456789abcdef", "--chain"]).status == 64)
    }
}
