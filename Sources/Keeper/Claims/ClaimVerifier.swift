import Ethereum
import Foundation
import Indexer
import OKX
import Settlement
import Store
import Vault
import Verification

/// Verifies a claim with the user's own OKX key from the vault, through `LiquidationVerifier`.
public struct ClaimVerifier: Sendable {
    let vault: @Sendable () throws(VaultError) -> KeyVault
    let verifier: LiquidationVerifier
    let okx: OKXConfig
    let observer: (@Sendable (OKXRequestRecord) -> Void)?
    let readOnlyChecks: ReadOnlyKeyChecks

    /// - Parameters:
    ///   - vault: opens the vault (a fresh connection per call; it reads, and `removeKey` writes in the caller's transaction).
    ///   - observer: told about every OKX request, for metrics.
    ///   - readOnlyChecks: when each key was last found read-only on OKX.
    public init(vault: @escaping @Sendable () throws(VaultError) -> KeyVault, verifier: LiquidationVerifier, okx: OKXConfig,
                observer: (@Sendable (OKXRequestRecord) -> Void)? = nil, readOnlyChecks: ReadOnlyKeyChecks = ReadOnlyKeyChecks()) {
        self.vault = vault
        self.verifier = verifier
        self.okx = okx
        self.observer = observer
        self.readOnlyChecks = readOnlyChecks
    }

    /// The user's key as the vault holds it.
    public typealias KeyLookup = ClaimKeyLookup

    public func key(for claim: Claim) -> KeyLookup {
        do {
            return .found(try vault().credentials(wallet: claim.user.description).credentials)
        } catch where error.code == .notFound {
            return .missing
        } catch {
            return .unreadable("the vault cannot be read: \(error.message)")
        }
    }

    /// - Parameter claimedPositions: position lifecycles other claims already cover (`position-already-claimed`).
    public func verify(_ claim: Claim, credentials: OKXCredentials, claimedPositions: Set<String> = []) async throws(KeeperError) -> VerificationAttempt {
        let client = okx.client(credentials, simulated: okx.simulated, observer: observer, publicCache: .shared)
        // The keeper holds no key that can trade or withdraw: OKX is asked what the key may do before it is used.
        if let instead = await readOnlyChecks.check(credentials, on: client) { return instead }
        var request = VerificationRequest(ordId: claim.orderID.description, instId: claim.instID, wallet: claim.user.description,
                                          principal: try PoolUnits.decimal(claim.principal),
                                          requestId: claim.subject, simulated: okx.simulated)
        request.claimedPositions = claimedPositions
        let outcome = try await verifier.verify(request, on: client, refusing: credentials.secrets)
        switch outcome.result {
        case .decided(let decision):
            return .verdict(ClaimVerdict(amount: decision.amount, liquidated: decision.verdict.liquidated, evidenceID: outcome.evidence.evidenceId,
                                         evidenceRoot: outcome.evidence.root, refusal: decision.refusal, positionID: decision.positionID))
        case .undecided(let why):
            return .undecided(why)
        case .failed(let failure):
            let why = "\(failure.code.rawValue) on \(failure.endpoint): \(failure.msg) — \(failure.hint)"
            if failure.isKeyProblem { return .keyInvalid(why) }
            return failure.isTransient ? .transient(why) : .permanent(why)
        }
    }
}

extension ClaimVerifier: ClaimVerifying {
    public func keyAlias(for claim: Claim) throws(KeeperError) -> String {
        do { return try vault().credentials(wallet: claim.user.description).alias } catch {
            throw KeeperError(.unavailable, "the vault cannot be read: \(error.message)")
        }
    }

    public func removeKey(of claim: Claim, apiKeyHash: String, in db: Database) throws -> Int {
        try vault().removeKeys(of: claim.user.description, apiKeyHash: apiKeyHash, in: db)
    }
}
