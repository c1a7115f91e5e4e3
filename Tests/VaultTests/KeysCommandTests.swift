import Foundation
import Testing
import TestSupport

/// `lg-keeper keys …` run as a process, with credentials on stdin.
@Suite struct KeysCommandTests {
    /// Like `KeeperBinary.run`, with `stdin` piped in.
    static func run(_ arguments: [String], environment: [String: String], stdin: String = "") throws -> KeeperBinary.Result {
        try KeeperBinary.runWithInput(arguments, input: stdin, environment: environment)
    }

    @Test func addListRekeyRemoveWithoutLeakingSecrets() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let db = "\(directory)/keeper.sqlite"
        let tag = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let apiKey = "api\(tag)", secretKey = "SECRET\(tag)", passphrase = "Pass\(tag)"
        let masterHex = String(repeating: "5a", count: 32), newHex = String(repeating: "c3", count: 32)
        let keyFile = "\(directory)/master.key"
        try masterHex.write(toFile: keyFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
        let wallet = "0x" + String(repeating: "ab", count: 20)
        var outputs = [KeeperBinary.Result]()

        let added = try Self.run(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "main", "--db", db],
                                 environment: ["LGK_VAULT_KEY_FILE": keyFile], stdin: "\(apiKey)\n\(secretKey)\n\(passphrase)\n")
        outputs.append(added)
        #expect(added.status == 0, "\(added.stderr)")
        let json = try Self.run(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "second", "--db", db], environment: ["LGK_VAULT_KEY": masterHex],
                                stdin: #"{"apiKey":"\#(apiKey)2","secretKey":"\#(secretKey)2","passphrase":"\#(passphrase)2"}"#)
        outputs.append(json)
        #expect(json.status == 0, "\(json.stderr)")
        let duplicate = try Self.run(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "main", "--db", db],
                                     environment: ["LGK_VAULT_KEY": masterHex], stdin: "a\nb\nc\n")
        #expect(duplicate.status == 65)

        let listed = try Self.run(["keys", "list", "--db", db], environment: [:])
        outputs.append(listed)
        #expect(listed.status == 0)
        #expect(listed.stdout.contains("main") && listed.stdout.contains("second") && listed.stdout.contains(wallet))

        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: keyFile)
        let insecure = try Self.run(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "third", "--db", db],
                                    environment: ["LGK_VAULT_KEY_FILE": keyFile], stdin: "a\nb\nc\n")
        #expect(insecure.status == 78)
        #expect(insecure.stderr.contains("open to group or others"))

        let rekeyed = try Self.run(["keys", "rekey", "--db", db], environment: ["LGK_VAULT_KEY": masterHex, "LGK_VAULT_NEW_KEY": newHex])
        outputs.append(rekeyed)
        #expect(rekeyed.status == 0, "\(rekeyed.stderr)")
        #expect(rekeyed.stdout.contains("2 keys"))
        let oldKeyAgain = try Self.run(["keys", "rekey", "--db", db], environment: ["LGK_VAULT_KEY": masterHex, "LGK_VAULT_NEW_KEY": newHex])
        outputs.append(oldKeyAgain)
        #expect(oldKeyAgain.status == 1)
        #expect(oldKeyAgain.stderr.contains("another vault master key"))

        let removed = try Self.run(["keys", "remove", "--alias", "second", "--db", db], environment: [:])
        #expect(removed.status == 0)
        #expect(try Self.run(["keys", "remove", "--alias", "second", "--db", db], environment: [:]).status == 1)
        #expect(try Self.run(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "x", "--db", db, "--secret", "s"], environment: [:]).status == 64)

        for output in outputs {
            for secret in [apiKey, secretKey, passphrase] {
                #expect(!output.stdout.contains(secret) && !output.stderr.contains(secret))
            }
        }
        // The database and its WAL hold no secret in clear.
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasPrefix("keeper.sqlite") {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(file)"))
            for secret in [apiKey, secretKey, passphrase, masterHex, newHex] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) must not contain a secret")
            }
        }
    }

    @Test func addRefusesTheZeroAddressBadChecksumsAndEchoesARejectedAliasCutShort() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let db = "\(directory)/keeper.sqlite", environment = ["LGK_VAULT_KEY": String(repeating: "5a", count: 32)]
        func add(_ wallet: String, alias: String = "main") throws -> KeeperBinary.Result {
            try Self.run(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", alias, "--db", db], environment: environment, stdin: "k\ns\np\n")
        }
        let zero = try add("0x" + String(repeating: "0", count: 40))
        #expect(zero.status == 65 && zero.stderr.contains("zero address"), "\(zero.stderr)")
        // EIP-55's own example, with one letter's case flipped.
        let checksummed = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", flipped = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"
        let bad = try add(flipped)
        #expect(bad.status == 65 && bad.stderr.contains("EIP-55") && bad.stderr.contains(checksummed), "\(bad.stderr)")
        #expect(bad.stderr.split(separator: "\n").count == 1)
        #expect(try add(checksummed).status == 0)
        #expect(try add(checksummed.lowercased(), alias: "lower").status == 0)
        #expect(try add("0x" + checksummed.dropFirst(2).uppercased(), alias: "upper").status == 0)

        let long = try add(checksummed, alias: String(repeating: "a", count: 10_000))
        #expect(long.status == 65 && long.stderr.contains("…") && long.stderr.count < 300, "\(long.stderr.count) characters")
        let escaped = try add(checksummed, alias: "bad\u{1B}[31m\nalias")
        #expect(escaped.status == 65 && escaped.stderr.contains("bad\\x1b[31m\\nalias") && !escaped.stderr.contains("\u{1B}"), "\(escaped.stderr)")
        #expect(escaped.stderr.split(separator: "\n").count == 1)
    }
}
