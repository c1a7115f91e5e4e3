import Foundation
import Testing
import TestSupport

/// `lg-keeper` run as a process: help, usage errors, the keystore round trip.
@Suite struct CommandLineTests {
    @Test func helpListsOnlyWorkingCommandsAndVersionPrints() throws {
        let help = try KeeperBinary.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("account    create, import or inspect"))
        #expect(help.stdout.contains("probe"))
        let version = try KeeperBinary.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("lg-keeper "))
    }

    @Test func usageErrorsExit64WithOneLine() throws {
        for arguments in [["frobnicate"], ["account", "new"], ["account", "new", "--keystore"], ["probe", "--bogus", "1"], []] {
            let result = try KeeperBinary.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
        }
        let unknown = try KeeperBinary.run(["frobnicate"])
        #expect(unknown.stderr == "lg-keeper: unknown command 'frobnicate'; run `lg-keeper --help` for the list\n")
    }

    @Test func keystoreRoundTripWithEthAccount() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("signer.json").path
        let password = "correct horse \(UUID().uuidString)"

        let created = try KeeperBinary.run(["account", "new", "--keystore", file, "--kdf", "pbkdf2"],
                                           environment: ["LGK_KEYSTORE_PASSWORD": password])
        #expect(created.status == 0, "\(created.stderr)")
        let address = try #require(created.stdout.split(separator: "\n").first?.split(separator: " ").last.map(String.init))
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let shown = try KeeperBinary.run(["account", "show", "--keystore", file], environment: ["LGK_KEYSTORE_PASSWORD": password])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains(address))

        // eth-account opens what we wrote and derives the same address.
        let fromPython = try ReferencePython.run("""
            import json, sys
            from eth_account import Account
            print(Account.from_key(Account.decrypt(json.load(open(sys.stdin.readline().strip())), sys.stdin.readline().rstrip("\\n"))).address)
            """, stdin: file + "\n" + password + "\n")
        #expect(fromPython == address)

        let wrong = try KeeperBinary.run(["account", "show", "--keystore", file], environment: ["LGK_KEYSTORE_PASSWORD": "nope"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("wrong password"))

        let again = try KeeperBinary.run(["account", "new", "--keystore", file], environment: ["LGK_KEYSTORE_PASSWORD": password])
        #expect(again.status == 64, "an existing keystore is never overwritten")

        for output in [created, shown, wrong, again] {
            #expect(!output.stdout.contains(password) && !output.stderr.contains(password), "the password never appears")
        }
        let noPassword = try KeeperBinary.run(["account", "show", "--keystore", file])
        #expect(noPassword.status == 78, "no terminal and no LGK_KEYSTORE_PASSWORD: \(noPassword.stderr)")
    }
}
