import Foundation
import Testing
import TestSupport
import Wire
@testable import Keeper

/// Each command reads only the sections it uses (issue 16), through the binary: `verify` and `keys`
/// run from a file with no `chain` and no `signer` (seed 002's verification service has no chain),
/// and what they write is private — 0600 files in 0700 directories whatever the umask.
@Suite struct ConfigSectionsCommandTests {
    static func mode(_ path: String) throws -> Int {
        try ((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue).map { $0 & 0o777 } ?? -1
    }

    @Test func verifyAndKeysNeedNoChainNorSigner() throws {
        let sim = try OKXSim.shared()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let alice = try #require(try OKXScenario.all().first { $0.account == "alice" })
        // The store and the evidence live in directories that do not exist yet: the keeper makes them.
        let database = "\(scratch.directory)/var/db/keeper.sqlite", evidence = "\(scratch.directory)/reports/evidence"
        let config = "\(scratch.directory)/verify-only.json"
        try """
        {"okx": {"baseURL": "\(sim.baseURL)"}, "pool": {"currency": "USDT", "decimals": 6},
         "policy": {"coverageBps": 10000, "maxPayoutPerClaim": "1000000"},
         "store": {"path": "\(database)"}, "evidence": {"dir": "\(evidence)"}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let previous = umask(0o022)
        defer { umask(previous) }

        let verified = try KeeperBinary.run(["verify", "--ord-id", alice.ordId, "--inst-id", alice.instId, "--config", config],
                                            environment: VerifyCommandTests.environment(alice.credentials))
        #expect(verified.status == 0, "\(verified.stderr)")
        let id = try #require(try JSON(parsing: Array(verified.stdout.utf8))["evidence"]?["evidenceId"]?.stringValue)
        let keys = try KeeperBinary.run(["keys", "list", "--config", config])
        #expect(keys.status == 0, "\(keys.stderr)")

        // Private files: the database (and its WAL, while one exists), the evidence and the directories made for them.
        #expect(try Self.mode(database) == 0o600)
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: database + suffix) {
            #expect(try Self.mode(database + suffix) == 0o600, "\(suffix)")
        }
        for directory in ["\(scratch.directory)/var", "\(scratch.directory)/var/db", "\(scratch.directory)/reports", evidence] {
            #expect(try Self.mode(directory) == 0o700, "\(directory)")
        }
        let day = try #require(try FileManager.default.contentsOfDirectory(atPath: evidence).first)
        #expect(try Self.mode("\(evidence)/\(day)") == 0o700)
        for file in try FileManager.default.contentsOfDirectory(atPath: "\(evidence)/\(day)") {
            #expect(file.hasPrefix(id))
            #expect(try Self.mode("\(evidence)/\(day)/\(file)") == 0o600, "\(file)")
        }

        // A database group or others may read is refused, one line with the fix, exit 78.
        #expect(chmod(database, 0o644) == 0)
        for arguments in [["keys", "list", "--config", config], ["claims", "list", "--config", config]] {
            let refused = try KeeperBinary.run(arguments)
            #expect(refused.status == 78, "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.contains("chmod 600 \(database)"), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        }
    }

    /// The commands that need a section name themselves when it is missing.
    @Test func aMissingSectionNamesTheCommandThatNeedsIt() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = "\(scratch.directory)/no-chain.json"
        try #"{"store": {"path": "\#(scratch.database)"}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        for command in ["index", "run", "status", "reconcile"] {
            let result = try KeeperBinary.run([command, "--config", config])
            #expect(result.status == 78, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("\(command) needs a chain section: chain.rpcUrls must list at least one JSON-RPC URL"), "\(result.stderr)")
        }
        let withChain = "\(scratch.directory)/no-signer.json"
        try #"{"chain": {"rpcUrls": ["http://127.0.0.1:1"], "chainId": 1337, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}, "store": {"path": "\#(scratch.database)"}}"#
            .write(toFile: withChain, atomically: true, encoding: .utf8)
        let run = try KeeperBinary.run(["run", "--config", withChain])
        #expect(run.status == 78 && run.stderr.contains("run needs a signer section: set signer.keystore"), "\(run.stderr)")
        // `index` needs no signer: it goes on to the node (unreachable here: 69).
        let index = try KeeperBinary.run(["index", "--once", "--config", withChain])
        #expect(index.status == 69 && index.stderr.contains("cannot reach the node"), "\(index.stderr)")
    }
}
