import Foundation
import Testing
import TestSupport

/// `account import`, `backup` and relative paths in the configuration, run as processes.
@Suite struct OperatorCommandTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-operator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// `lg-keeper arguments…` started in `workingDirectory`, with `input` on stdin.
    static func run(in workingDirectory: String, _ arguments: [String], input: String = "",
                    environment: [String: String] = [:]) throws -> KeeperBinary.Result {
        try KeeperBinary.runWithInput(arguments, input: input, environment: environment, workingDirectory: workingDirectory)
    }

    static func mode(_ path: String) throws -> Int? { try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int }

    @Test func accountImportSealsTheGivenKeyWithoutEverPrintingIt() throws {
        // eth-account's documented example key and its address.
        let key = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
        let address = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
        let password = "import \(UUID().uuidString)"
        let file = path("signer.json")
        let environment = ["LGK_KEYSTORE_PASSWORD": password]

        let imported = try KeeperBinary.runWithInput(["account", "import", "--keystore", file], input: "0x\(key)\n", environment: environment)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("address   \(address)"))
        #expect(try Self.mode(file) == 0o600)

        // eth-account decrypts the file to the same key.
        let fromPython = try ReferencePython.run("""
            import json, sys
            from eth_account import Account
            path, password = sys.stdin.readline().strip(), sys.stdin.readline().rstrip("\\n")
            secret = Account.decrypt(json.load(open(path)), password)
            print(Account.from_key(secret).address, secret.hex().removeprefix("0x"))
            """, stdin: file + "\n" + password + "\n")
        #expect(fromPython == "\(address) \(key)")

        let shown = try KeeperBinary.run(["account", "show", "--keystore", file], environment: environment)
        #expect(shown.status == 0 && shown.stdout.contains(address))

        // Never overwritten; the key without 0x and with a trailing space is the same key.
        let again = try KeeperBinary.runWithInput(["account", "import", "--keystore", file], input: "\(key) \n", environment: environment)
        #expect(again.status == 64, "\(again.stderr)")
        let bare = try KeeperBinary.runWithInput(["account", "import", "--keystore", path("bare.json"), "--kdf", "pbkdf2"],
                                                 input: "\(key) \nsecond line ignored\n", environment: environment)
        #expect(bare.status == 0 && bare.stdout.contains(address), "\(bare.stderr)")

        // A key that is not one is refused without being echoed; nothing is written.
        let short = String(key.dropLast(2))
        let bad = try KeeperBinary.runWithInput(["account", "import", "--keystore", path("bad.json")], input: short + "\n", environment: environment)
        #expect(bad.status == 65)
        #expect(bad.stderr.hasPrefix("lg-keeper: the first line of stdin is not a private key"))
        #expect(!FileManager.default.fileExists(atPath: path("bad.json")))
        let empty = try KeeperBinary.runWithInput(["account", "import", "--keystore", path("empty.json")], input: "", environment: environment)
        #expect(empty.status == 64)

        for output in [imported, shown, again, bare, bad, empty] {
            for secret in [key, short, password] {
                #expect(!output.stdout.contains(secret) && !output.stderr.contains(secret), "no secret is ever printed")
            }
        }
    }

    /// The configuration's relative paths are read against its directory, whatever the working directory;
    /// `backup` copies the database they name.
    @Test func relativePathsFollowTheConfigFileAndBackupCopiesTheDatabase() throws {
        let configDirectory = path("etc"), elsewhere = path("elsewhere")
        for directory in [configDirectory, elsewhere] { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try Data("""
            {"chain": {"rpcUrls": ["http://127.0.0.1:1"], "chainId": 1337, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
             "store": {"path": "var/keeper.sqlite"}, "evidence": {"dir": "evidence"}}
            """.utf8).write(to: URL(fileURLWithPath: "\(configDirectory)/keeper.json"))
        let wallet = "0x" + String(repeating: "ab", count: 20)
        let master = ["LGK_VAULT_KEY": String(repeating: "5a", count: 32)]

        let added = try Self.run(in: elsewhere, ["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "alice", "--config", "../etc/keeper.json"],
                                 input: "api-key-1\nSECRET-1\nPassphrase-1\n", environment: master)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(configDirectory)/var/keeper.sqlite"), "store.path is read against etc/")
        #expect(!FileManager.default.fileExists(atPath: "\(elsewhere)/var"), "not against the working directory")
        let listed = try Self.run(in: directory.path, ["keys", "list", "--config", "\(configDirectory)/keeper.json"])
        #expect(listed.status == 0 && listed.stdout.contains("alice"), "\(listed.stderr)")

        // The backup: --to is a path of the command line (working directory); the copy is 0600 and holds the key.
        let backup = try Self.run(in: elsewhere, ["backup", "--config", "../etc/keeper.json", "--to", "keeper-copy.sqlite"])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.contains("restore") && backup.stdout.contains("lg-keeper index --once") && backup.stdout.contains("reconcile"))
        let copy = "\(elsewhere)/keeper-copy.sqlite"
        #expect(try Self.mode(copy) == 0o600)
        let fromCopy = try KeeperBinary.run(["keys", "list", "--db", copy])
        #expect(fromCopy.status == 0 && fromCopy.stdout.contains("alice") && fromCopy.stdout.contains(wallet), "\(fromCopy.stderr)")

        let size = try FileManager.default.attributesOfItem(atPath: copy)[.size] as? Int
        let again = try Self.run(in: elsewhere, ["backup", "--db", "\(configDirectory)/var/keeper.sqlite", "--to", "keeper-copy.sqlite"])
        #expect(again.status == 64, "never overwrites: \(again.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: copy)[.size] as? Int == size)
        let missing = try Self.run(in: elsewhere, ["backup", "--db", "nothing.sqlite", "--to", "x.sqlite"])
        #expect(missing.status == 69 && missing.stderr.contains("no database at nothing.sqlite"))
        #expect(try Self.run(in: elsewhere, ["backup", "--db", copy]).status == 64, "--to is required")
    }
}
