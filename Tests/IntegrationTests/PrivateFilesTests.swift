import Foundation
import Testing
import TestSupport
import Wire
@testable import Keeper
@testable import Settlement

/// What the keeper creates is private (issue 16): `run` and `index` leave the database, its WAL and
/// lock, and the evidence 0600 in 0700 directories under umask 022, and a database group or others
/// may read is refused at start with the `chmod` that fixes it.
@Suite(.serialized) struct PrivateFilesTests {
    static func mode(_ path: String) throws -> Int {
        try ((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue).map { $0 & 0o777 } ?? -1
    }

    @Test(.timeLimit(.minutes(4))) func runAndIndexCreatePrivateFilesAndRefuseAnOpenDatabase() async throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let harness = try SettlementHarness()
        defer { harness.stop() }

        // `index` with a configuration that has no signer, into directories it makes.
        let indexDatabase = "\(harness.dir)/var/index/keeper.sqlite"
        let indexConfig = try harness.writeConfig("index.json", ["signer": nil, "store": ["path": .string(indexDatabase)]])
        let indexed = try KeeperBinary.run(["index", "--once", "--config", indexConfig], environment: harness.environment)
        #expect(indexed.status == 0, "\(indexed.stderr)")
        #expect(try Self.mode(indexDatabase) == 0o600)
        #expect(try Self.mode(indexDatabase + ".lock") == 0o600)
        #expect(try Self.mode("\(harness.dir)/var") == 0o700 && Self.mode("\(harness.dir)/var/index") == 0o700)

        // `run` settles a claim: database, WAL, shared memory and evidence are all 0600.
        let s = try SettlementHarness.scenario("01-full-liquidation-long.json")
        try harness.addKey(user: 0, scenario: s)
        try harness.requestClaim(user: 0, scenario: s)
        let keeper = try harness.startKeeper()
        let paid = try await harness.waitForClaims(seconds: 90) { $0.first?.state == .paid }
        #expect(paid, "\(keeper.stderr.suffix(1_500))")
        for suffix in ["", "-wal", "-shm", ".lock"] {
            #expect(try Self.mode(harness.databasePath + suffix) == 0o600, "keeper.sqlite\(suffix)")
        }
        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "\(stopped.stderr.suffix(1_500))")
        let evidence = "\(harness.dir)/evidence"
        #expect(try Self.mode(evidence) == 0o700)
        let days = try FileManager.default.contentsOfDirectory(atPath: evidence)
        #expect(!days.isEmpty)
        for day in days {
            #expect(try Self.mode("\(evidence)/\(day)") == 0o700)
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(evidence)/\(day)")
            #expect(files.contains { $0.hasSuffix(".json") } && files.contains { $0.hasSuffix(".root") })
            for file in files { #expect(try Self.mode("\(evidence)/\(day)/\(file)") == 0o600, "\(file)") }
        }

        // A database others may read: `run`, `index` and `status` refuse it, one line naming the fix.
        #expect(chmod(harness.databasePath, 0o644) == 0)
        for command in [["run"], ["index", "--once"], ["status"]] {
            let refused = try KeeperBinary.run(command + ["--config", harness.configPath], environment: harness.environment)
            #expect(refused.status == 78, "\(command): \(refused.stderr)")
            #expect(refused.stderr.contains("has mode 644") && refused.stderr.contains("run `chmod 600 \(harness.databasePath)`"), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        }
    }
}
