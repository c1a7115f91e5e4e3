import Ethereum
import Foundation
import Keeper
import OKX
import Settlement
import Vault
import Wire

/// `lg-keeper keys add|list|remove|rekey`: the encrypted OKX key vault. Credentials come from
/// stdin, master keys from `LGK_VAULT_KEY[_FILE]` and `LGK_VAULT_NEW_KEY[_FILE]` — never argv.
enum KeysCommand {
    static let command = Command(
        name: "keys",
        usage: "keys add --wallet 0x… --alias NAME [--region www|us|eea] [--unchecked] | list | remove --wallet 0x…|--alias NAME | rekey  [--config FILE | --db FILE]",
        summary: "the encrypted OKX key vault (credentials on stdin; master key from LGK_VAULT_KEY or LGK_VAULT_KEY_FILE; "
            + "`add` stores only a key OKX says is read-only)",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["wallet", "alias", "region", "db", "config"], flags: ["unchecked"])
        guard arguments.positionals.count == 1, let action = arguments.positionals.first else {
            throw UsageError("say `keys add`, `keys list`, `keys remove` or `keys rekey`")
        }
        let path = try DatabaseOption.path(arguments)
        let environment = ProcessInfo.processInfo.environment
        switch action {
        case "add":
            let wallet = try checkedWallet(try arguments.required("wallet")), alias = try arguments.required("alias")
            let region = try region(arguments)
            let key = try masterKey(environment)
            var credentials = try readCredentials().inRegion(region)
            let okx = try await readOnlyCheck(credentials, arguments)
            if let okx, OKXCredentials.isUID(okx.uid) {
                // OKX limits private reads per user ID: the key is kept with its account's uid, which the limiter keys on.
                credentials = OKXCredentials(apiKey: credentials.apiKey, secretKey: credentials.secretKey, passphrase: credentials.passphrase,
                                             uid: okx.uid, region: region)
            }
            guard let database = try DatabaseOption.open(path, create: true) else { throw CommandFailure(.config, "cannot open \(path)") }
            let vault = KeyVault(database: database, masterKey: key)
            let normalized = try perform { try KeyVault.normalizedWallet(wallet) }
            // The audit row and the wallet's claims waiting in needs_key resumed, in the same transaction.
            let resumed = try perform { try database.transaction { db in
                try vault.add(wallet: wallet, alias: alias, credentials: credentials)
                try AuditLog.append(db, kind: "keys.added", subject: normalized, detail: [
                    "by": "operator", "alias": .string(alias), "region": .string(region.rawValue), "key": .string(credentials.fingerprint),
                    "perm": okx.map { .string($0.perm) } ?? "unchecked"])
                return try ClaimLedger.resumeNeedingKey(wallet: normalized, in: db)
            } }
            if okx == nil { print("unchecked     OKX was not asked what the key may do (--unchecked)") }
            print("stored        \(TerminalText.escaped(alias)) for \(normalized) region \(region) (AES-256-GCM, \(path))\(resumed > 0 ? "; \(resumed) claim(s) waiting for a key resumed" : "")")
        case "list":
            try noOptions(arguments, except: [], action)
            guard let vault = try open(path, create: false, key: nil) else { print("no keys (no database at \(path))"); return .ok }
            let entries = try perform { try vault.list() }
            if entries.isEmpty { print("no keys") }
            for entry in entries {
                print("\(entry.wallet)  \(TerminalText.escaped(entry.alias))  region \(entry.region)  added \(entry.createdAt)  sealed \(entry.updatedAt)")
            }
        case "remove":
            try noOptions(arguments, except: ["wallet", "alias"], action)
            guard arguments.value("wallet") != nil || arguments.value("alias") != nil else {
                throw UsageError("say which key: --wallet 0x… or --alias NAME")
            }
            guard let vault = try open(path, create: false, key: nil) else { throw CommandFailure(.problemFound, "no database at \(path)") }
            let removed = try perform { try vault.remove(wallet: arguments.value("wallet"), alias: arguments.value("alias")) }
            guard removed > 0 else { throw CommandFailure(.problemFound, "no matching key in the vault") }
            print("removed       \(removed) key\(removed == 1 ? "" : "s")")
        case "rekey":
            try noOptions(arguments, except: [], action)
            let key = try masterKey(environment)
            let newKey = try masterKey(environment, prefix: "LGK_VAULT_NEW_KEY")
            guard let vault = try open(path, create: false, key: key) else { throw CommandFailure(.problemFound, "no database at \(path)") }
            let count = try perform { try vault.rekey(to: newKey) }
            print("re-sealed     \(count) key\(count == 1 ? "" : "s") under the new master key; use it from now on")
        default:
            throw UsageError("unknown action '\(TerminalText.excerpt(action))': use add, list, remove or rekey")
        }
        return .ok
    }

    /// `--wallet` for `keys add`: an address a trader can request claims from — not the zero address, and
    /// mixed case only with a valid EIP-55 checksum (all-lowercase and all-uppercase carry none).
    static func checkedWallet(_ text: String) throws -> String {
        let address: Address
        do { address = try Address(hex: text) } catch {
            guard error.code == .invalidChecksum else {
                throw CommandFailure(.badData, "--wallet '\(TerminalText.excerpt(text))' is not a wallet address (0x and 40 hex digits)")
            }
            let expected = (try? Address(hex: text.lowercased()))?.checksummed ?? "?"  // it parsed but for the case: lowercase parses
            throw CommandFailure(.badData, "--wallet \(text) has mixed case that does not match its EIP-55 checksum \(expected): "
                + "check for a typo, or give it all lowercase")
        }
        guard address != .zero else { throw CommandFailure(.badData, "--wallet is the zero address: no trader can request a claim from it") }
        return text
    }

    /// `--region www|us|eea` (default www): the OKX host the key was created for.
    static func region(_ arguments: Arguments) throws -> OKXRegion {
        guard let text = arguments.value("region") else { return .www }
        guard let region = OKXRegion(parsing: text) else {
            throw UsageError("--region must be www, us or eea (the OKX site the key was created on)")
        }
        return region
    }

    /// Asks OKX what the key may do (`GET /api/v5/account/config`, on the hosts of `--config`): a key
    /// that can trade or withdraw is never stored, nor one OKX refuses or cannot be asked about —
    /// unless `--unchecked` says to store it without asking (nil then).
    static func readOnlyCheck(_ credentials: OKXCredentials, _ arguments: Arguments) async throws -> OKXAccountConfig? {
        guard !arguments.flag("unchecked") else { return nil }
        guard let config = try DatabaseOption.config(arguments) else {
            throw UsageError("keys add asks OKX whether the key is read-only: give --config FILE (it names OKX's hosts), "
                + "or --unchecked to store the key without asking")
        }
        let answer: OKXAccountConfig
        do { answer = try await config.okx.client(credentials, simulated: config.okx.simulated).accountConfig() } catch {
            guard !error.isRetryable else {
                throw CommandFailure(.unavailable, "OKX could not be asked whether the key is read-only (\(error.okxCode ?? error.msg)), "
                    + "so it was not stored: try again, or add it with --unchecked")
            }
            throw CommandFailure(.badData, "OKX refused the key (code \(error.okxCode ?? "none"): \(error.msg)), so it was not stored: "
                + "check the apiKey, secretKey, passphrase and --region, or add it with --unchecked to store it as it is")
        }
        if let powers = answer.powersBeyondReading {
            throw CommandFailure(.badData, "OKX says this key can \(powers) (perm \(answer.perm)), so it was not stored: "
                + "create an OKX API key with the Read permission only and add that one")
        }
        return answer
    }

    static func noOptions(_ arguments: Arguments, except: Set<String>, _ action: String) throws {
        for name in ["wallet", "alias", "region"] where !except.contains(name) && arguments.value(name) != nil {
            throw UsageError("--\(name) does not apply to `keys \(action)`")
        }
        if arguments.flag("unchecked") { throw UsageError("--unchecked does not apply to `keys \(action)`") }
    }

    static func masterKey(_ environment: [String: String], prefix: String = VaultMasterKey.environmentVariable) throws -> VaultMasterKey {
        try perform { try VaultMasterKey.from(environment: environment, prefix: prefix) }
    }

    static func open(_ path: String, create: Bool, key: VaultMasterKey?) throws -> KeyVault? {
        guard let database = try DatabaseOption.open(path, create: create) else { return nil }
        return KeyVault(database: database, masterKey: key)
    }

    /// Credentials from stdin: three lines or a JSON object, at most 4 KiB.
    static func readCredentials() throws -> OKXCredentials {
        let data = FileHandle.standardInput.readData(ofLength: 4097)
        guard data.count <= 4096 else { throw CommandFailure(.badData, "the credentials on stdin are longer than 4 KiB") }
        guard !data.isEmpty else {
            throw CommandFailure(.usage, "pipe the credentials on stdin: apiKey, secretKey and passphrase on three lines, or as JSON")
        }
        return try perform { try OKXCredentials(parsing: String(decoding: data, as: UTF8.self)) }
    }

    /// Runs a vault call, mapping its error to an exit status and one line.
    static func perform<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as VaultError {
            switch error.code {
            case .invalidMasterKey, .insecureKeyFile: throw CommandFailure(.config, error.message)
            case .wrongMasterKey, .tampered, .notFound, .walletMismatch: throw CommandFailure(.problemFound, error.message)
            case .duplicate, .invalidInput: throw CommandFailure(.badData, error.message)
            case .database: throw CommandFailure(.unavailable, error.message)
            }
        }
    }
}
