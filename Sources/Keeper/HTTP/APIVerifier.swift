import Foundation
import Logging
import OKX
import Settlement
import Store
import Vault
import Verification
import Wire

/// What `POST /api/verify` does with an authenticated request: the key (inline, or from the vault
/// by alias), one verification through `LiquidationVerifier`, the seed-002 response. Each request
/// has its own database connection: the HTTP server's threads share nothing with the keeper's loop.
public struct APIVerifier: Sendable {
    let policy: CoveragePolicy
    let evidenceDirectory: String
    let databasePath: String
    let vault: @Sendable () throws(VaultError) -> KeyVault
    let okx: OKXConfig
    let observer: (@Sendable (OKXRequestRecord) -> Void)?
    let log: Logger

    public init(policy: CoveragePolicy, evidenceDirectory: String, databasePath: String, vault: @escaping @Sendable () throws(VaultError) -> KeyVault,
                okx: OKXConfig, observer: (@Sendable (OKXRequestRecord) -> Void)? = nil, log: Logger = .discarding) {
        self.policy = policy
        self.evidenceDirectory = evidenceDirectory
        self.databasePath = databasePath
        self.vault = vault
        self.okx = okx
        self.observer = observer
        self.log = log
    }

    /// 200 with the response for any verdict; 202 with it when no verdict can be given yet
    /// (`normalized.position.decided` false, `pending` says why); for an exchange failure the response (its `error`
    /// filled) with the status of `status(for:)`; a seed-002 error body when no verification ran.
    public func answer(_ request: VerifyRequest) async -> (status: Int, body: JSON) {
        let credentials: OKXCredentials, wallet: String?
        switch request.key {
        case .inline(let inline):
            (credentials, wallet) = (inline, nil)
        case .alias(let alias, let narrowedTo):
            do {
                let found = try vault().credentials(alias: alias, wallet: narrowedTo)
                (credentials, wallet) = (found.credentials, found.wallet)
            } catch where error.code == .notFound {
                return Self.error(404, "KEY_NOT_FOUND", "no key with this alias in the vault", hint: "add it with `lg-keeper keys add --wallet 0x… --alias NAME`")
            } catch where error.code == .walletMismatch {
                return Self.error(403, "WALLET_MISMATCH", "the alias belongs to another wallet than the one given",
                                  hint: "send the wallet the alias was added for, or the alias of this wallet's key (`lg-keeper keys list`)")
            } catch {
                log.error("api verify: vault unreadable", ["error": "\(error.message)"])
                return Self.error(503, "VAULT_UNAVAILABLE", "the key vault cannot be read now", hint: "check the vault's master key (vault.masterKeyEnv / masterKeyFile)")
            }
        }
        let simulated = request.live.map { !$0 } ?? okx.simulated
        let verification = VerificationRequest(ordId: request.ordId, instId: request.instId, wallet: wallet, requestId: request.requestId, simulated: simulated)
        do {
            let database = try Database(path: databasePath)
            let verifier = LiquidationVerifier(policy: policy, archive: EvidenceArchive(files: EvidenceFiles(root: evidenceDirectory), database: database))
            let outcome = try await verifier.verify(verification, on: okx.client(credentials, simulated: simulated, observer: observer),
                                                    refusing: credentials.secrets)
            if outcome.pending != nil { return (202, outcome.response) }  // no verdict yet: ask again later
            return (outcome.failure.map { Self.status(for: $0.code) } ?? 200, outcome.response)
        } catch {
            log.error("api verify failed", ["ord_id": "\(request.ordId)", "error": "\(error)"])
            return Self.error(500, "INTERNAL", "the verification could not be completed or its evidence stored", hint: "see the keeper's log")
        }
    }

    /// The HTTP status of an exchange failure: what a caller's retry logic should see.
    public static func status(for code: ExchangeErrorCode) -> Int {
        switch code {
        case .notFound: 404
        case .authError, .remote4xx: 422
        case .rateLimit: 429
        case .remote5xx: 502
        case .timeout: 504
        }
    }

    static func error(_ status: Int, _ code: String, _ message: String, hint: String) -> (status: Int, body: JSON) {
        (status, ["error": ["code": .string(code), "msg": .string(message), "hint": .string(hint)]])
    }
}
