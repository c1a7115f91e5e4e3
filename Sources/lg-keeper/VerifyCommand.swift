import Foundation
import Indexer
import Keeper
import OKX
import Settlement
import Vault
import Verification
import Wire

/// `lg-keeper verify --ord-id ID --inst-id INST (--wallet 0x… | LGK_OKX_* environment)`: one
/// verification, the sealed seed-002 response on stdout. Exit 0 for any verdict, 69 when OKX
/// gave no usable answer (the response, with `error` filled, is printed all the same).
enum VerifyCommand {
    static let command = Command(
        name: "verify",
        usage: "verify --ord-id ID --inst-id INST [--wallet 0x…] [--principal AMOUNT] [--config FILE] [--db FILE] [--evidence-dir DIR] [--okx-url URL] [--simulated]",
        summary: "verify one order on OKX (key from the vault by --wallet, or LGK_OKX_API_KEY/_SECRET_KEY/_PASSPHRASE); prints the response JSON",
        run: run)

    static let credentialVariables = (apiKey: "LGK_OKX_API_KEY", secretKey: "LGK_OKX_SECRET_KEY",
                                      passphrase: "LGK_OKX_PASSPHRASE", uid: "LGK_OKX_UID")

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["ord-id", "inst-id", "wallet", "principal", "config", "db", "evidence-dir", "okx-url", "request-id"],
                                      flags: ["simulated"])
        guard arguments.positionals.isEmpty else { throw UsageError("unexpected argument '\(TerminalText.excerpt(arguments.positionals[0]))'") }
        let ordId = try arguments.required("ord-id"), instId = try arguments.required("inst-id")
        guard !ordId.isEmpty, ordId.count <= 32, ordId.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw UsageError("--ord-id must be OKX's numeric order ID")
        }
        guard !instId.isEmpty, instId.count <= 64, instId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw UsageError("--inst-id must look like BTC-USDT-SWAP")
        }
        let environment = ProcessInfo.processInfo.environment
        let settings = try Settings(arguments)
        let databasePath = arguments.value("db") ?? settings.config?.store.path ?? DatabaseOption.defaultPath

        let wallet = try arguments.value("wallet").map { text in try KeysCommand.perform { try KeyVault.normalizedWallet(text) } }
        let credentials = try wallet.map { try vaultCredentials(wallet: $0, database: databasePath, environment: environment) }
            ?? environmentCredentials(environment)

        let principal = try arguments.value("principal").map { text in
            try KeeperFailure.map { () throws(KeeperError) in
                try PoolUnits.decimal(try PoolUnits.parse(text, decimals: settings.policy.poolDecimals, name: "--principal"))
            }
        }
        guard let database = try DatabaseOption.open(databasePath, create: true) else {
            throw CommandFailure(.config, "cannot open \(databasePath)")
        }
        let archive = EvidenceArchive(files: EvidenceFiles(root: arguments.value("evidence-dir") ?? settings.config?.evidence.dir ?? "reports/evidence"),
                                      database: database)
        let client = OKXClient(credentials: credentials,
                               configuration: .init(baseURL: settings.okxURL(for: credentials.region), simulated: settings.simulated,
                                                    requestTimeoutMilliseconds: settings.okxTimeoutMs))
        let request = VerificationRequest(ordId: ordId, instId: instId, wallet: wallet, principal: principal,
                                          requestId: arguments.value("request-id"), simulated: settings.simulated)
        let verifier = LiquidationVerifier(policy: settings.policy, archive: archive)
        let outcome = try await KeeperFailure.map { () async throws(KeeperError) in
            try await verifier.verify(request, on: client, refusing: credentials.secrets)
        }
        print(outcome.responseText)
        let evidence = "evidence \(outcome.evidence.evidenceId) root \(outcome.evidence.root) (\(outcome.evidence.path))"
        if let pending = outcome.pending {
            FileHandle.standardError.write(Data("lg-keeper: no verdict yet (\(pending)): check again later; \(evidence)\n".utf8))
            return .problemFound
        }
        guard let failure = outcome.failure else {
            FileHandle.standardError.write(Data("lg-keeper: \(evidence)\n".utf8))
            return .ok
        }
        FileHandle.standardError.write(Data("lg-keeper: \(failure.isTransient ? "transient" : "permanent") upstream failure: \(failure); \(evidence)\n".utf8))
        return .unavailable
    }

    /// Where OKX is and what the policy is: `--config FILE`, else `config/keeper.json` when it
    /// exists, else the built-in defaults; `--okx-url` and `--simulated` override the `okx` section.
    struct Settings {
        let config: Config?
        let policy: CoveragePolicy
        /// `--okx-url`, which replaces every region's host.
        let okxURLOverride: String?
        let baseURLs: OKXBaseURLs
        let simulated: Bool
        let okxTimeoutMs: Int

        init(_ arguments: Arguments) throws {
            let path = arguments.value("config") ?? (FileManager.default.fileExists(atPath: Config.defaultPath) ? Config.defaultPath : nil)
            let config = try path.map { path in try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: path, command: "verify", reads: []) } }
            let okx = try config?.okx ?? KeeperFailure.map { () throws(KeeperError) in try OKXConfig.defaults() }
            let pool = try config?.pool ?? KeeperFailure.map { () throws(KeeperError) in try PoolConfig.defaults() }
            let policyConfig = try config?.policy ?? KeeperFailure.map { () throws(KeeperError) in try PolicyConfig.defaults(pool: pool) }
            self.config = config
            policy = try KeeperFailure.map { () throws(KeeperError) in try CoveragePolicy(pool: pool, policy: policyConfig) }
            okxURLOverride = arguments.value("okx-url")
            baseURLs = okx.baseURLs
            if let url = okxURLOverride, !(url.hasPrefix("https://") || url.hasPrefix("http://127.0.0.1") || url.hasPrefix("http://localhost")) {
                throw UsageError("--okx-url must be https:// (plain http only on loopback)")
            }
            simulated = arguments.flag("simulated") || okx.simulated
            okxTimeoutMs = okx.timeoutMs
        }

        /// The host for a key of `region`: `--okx-url`, else `okx.baseURLs`.
        func okxURL(for region: OKXRegion) -> String { okxURLOverride ?? baseURLs[region] }
    }

    /// The key stored for `wallet` in the vault (master key from LGK_VAULT_KEY or LGK_VAULT_KEY_FILE).
    static func vaultCredentials(wallet: String, database path: String, environment: [String: String]) throws -> OKXCredentials {
        let variables = [credentialVariables.apiKey, credentialVariables.secretKey, credentialVariables.passphrase]
        if let set = variables.first(where: { environment[$0].map { !$0.isEmpty } == true }) {
            throw UsageError("--wallet takes the key from the vault, but \(set) is set too: give one source of credentials")
        }
        let key = try KeysCommand.masterKey(environment)
        guard let vault = try KeysCommand.open(path, create: false, key: key) else {
            throw CommandFailure(.problemFound, "no database at \(path), so no vault: add the key with `lg-keeper keys add`")
        }
        return try KeysCommand.perform { try vault.credentials(wallet: wallet).credentials }
    }

    /// The key from LGK_OKX_API_KEY, LGK_OKX_SECRET_KEY, LGK_OKX_PASSPHRASE (and LGK_OKX_UID, optional).
    static func environmentCredentials(_ environment: [String: String]) throws -> OKXCredentials {
        let names = credentialVariables
        guard let apiKey = environment[names.apiKey], let secretKey = environment[names.secretKey],
              let passphrase = environment[names.passphrase] else {
            throw UsageError("give --wallet 0x… (key from the vault) or set \(names.apiKey), \(names.secretKey) and \(names.passphrase)")
        }
        let validated = try KeysCommand.perform { try OKXCredentials(validating: apiKey, secretKey: secretKey, passphrase: passphrase) }
        let region = try environment["LGK_OKX_REGION"].map { text in
            guard let region = OKXRegion(parsing: text) else { throw UsageError("LGK_OKX_REGION must be www, us or eea") }
            return region
        } ?? .www
        return OKXCredentials(apiKey: validated.apiKey, secretKey: validated.secretKey, passphrase: validated.passphrase,
                              uid: environment[names.uid], region: region)
    }
}
