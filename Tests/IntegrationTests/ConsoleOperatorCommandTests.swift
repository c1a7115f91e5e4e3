import Foundation
import Testing
import Keeper
import Settlement
import Store
import TestSupport

/// `lg-keeper console add-operator|remove-operator|operators`, run as processes: the password from stdin
/// becomes a scrypt hash (never the password), both changes are audited, bad input is one line.
@Suite struct ConsoleOperatorCommandTests {
    let directory: URL
    var config: String { directory.appendingPathComponent("keeper.json").path }
    var database: String { directory.appendingPathComponent("var/keeper.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-console-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(#"{"store": {"path": "var/keeper.sqlite"}}"#.utf8).write(to: URL(fileURLWithPath: config))
    }

    @Test func addStoresAScryptHashAndRemoveEndsIt() throws {
        let password = "correct horse \(UUID().uuidString)"
        let added = try KeeperBinary.runWithInput(["console", "add-operator", "alice", "--by", "root", "--config", config], input: password + "\n")
        #expect(added.status == 0, "\(added.stderr)")
        #expect(!added.stdout.contains(password) && !added.stderr.contains(password))

        let db = try Database(path: database)
        let row = try #require(try db.fetchOne("SELECT * FROM operators WHERE name = 'alice'"))
        #expect(try row.get("scrypt_n", as: Int.self) == 1 << 15)
        #expect(try row.get("hash", as: String.self).count == 64)
        let file = try Data(contentsOf: URL(fileURLWithPath: database))
        #expect(file.range(of: Data(password.utf8)) == nil, "the password is not in the database")
        #expect(try ConsoleOperators.check(db, name: "alice", password: Array(password.utf8)))
        #expect(try !ConsoleOperators.check(db, name: "alice", password: Array("wrong password".utf8)))
        #expect(try !ConsoleOperators.check(db, name: "nobody", password: Array(password.utf8)))

        let again = try KeeperBinary.runWithInput(["console", "add-operator", "alice", "--config", config], input: "another password\n")
        #expect(again.status == 65 && again.stderr.contains("operator alice exists"), "\(again.stderr)")
        let listed = try KeeperBinary.run(["console", "operators", "--config", config])
        #expect(listed.status == 0 && listed.stdout == "alice\n")

        let removed = try KeeperBinary.run(["console", "remove-operator", "alice", "--by", "root", "--config", config])
        #expect(removed.status == 0, "\(removed.stderr)")
        let after = try Database(path: database)
        #expect(try !ConsoleOperators.exists(after, name: "alice"))
        let kinds = try after.fetchAll("SELECT kind, detail FROM audit_log WHERE subject = 'operator/alice' ORDER BY id").map {
            "\(try $0.get("kind", as: String.self)) \(try $0.get("detail", as: String.self))"
        }
        #expect(kinds == [#"console.operator_added {"by":"root"}"#, #"console.operator_removed {"by":"root"}"#])
        #expect(try AuditLog.verify(after).broken == nil)
        let gone = try KeeperBinary.run(["console", "remove-operator", "alice", "--config", config])
        #expect(gone.status == 65 && gone.stderr.contains("no operator alice"))
    }

    @Test func badNamesAndShortPasswordsAreRefusedInOneLine() throws {
        let badName = try KeeperBinary.runWithInput(["console", "add-operator", "a<b>", "--config", config], input: "long enough password\n")
        #expect(badName.status == 64 && badName.stderr.contains("1 to 64 letters"), "\(badName.stderr)")
        let short = try KeeperBinary.runWithInput(["console", "add-operator", "bob", "--config", config], input: "short\n")
        #expect(short.status == 65 && short.stderr.contains("at least 8 characters"), "\(short.stderr)")
        #expect(!short.stderr.contains("short\n") || short.stderr.components(separatedBy: "\n").count <= 2)
        let none = try KeeperBinary.runWithInput(["console", "add-operator", "bob", "--config", config], input: "")
        #expect(none.status == 65, "an empty stdin is no password: \(none.stderr)")
    }
}
