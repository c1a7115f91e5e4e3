import Ethereum
import Foundation
import Indexer
import OKX
import Store
import Vault
import Verification

/// A verdict ready to be written on-chain with `verifyPayout`.
public struct ClaimVerdict: Sendable, Equatable {
    public let amount: UInt256
    public let liquidated: Bool
    public let evidenceID: String
    public let evidenceRoot: Hash
    /// Why nothing is paid although liquidated (too old, ADL not covered…).
    public let refusal: String?
    /// The OKX position the verdict matched, as its lifecycle (`posId@cTime`), if any.
    public let positionID: String?
}

/// What one verification attempt of a claim came to.
public enum VerificationAttempt: Sendable, Equatable {
    /// Complete and consistent: may be written on-chain.
    case verdict(ClaimVerdict)
    /// Incomplete history, a position not yet closed or visible, an unknown type, contradicting
    /// answers: check again, within `policy.decisionWindowHours`, then hold for an operator.
    case undecided(String)
    /// The trader's key is expired, revoked, wrong or lacks Read: park in `needs_key` until a new key.
    case keyInvalid(String)
    /// Rate limit, 5xx, timeout, 50102 still failing: try again later.
    case transient(String)
    /// Order not found or not the key's own: retrying cannot help.
    case permanent(String)
}

/// Verifies a claim with the user's own OKX key from the vault, through `LiquidationVerifier`.
public struct ClaimVerifier: Sendable {
    let vault: @Sendable () throws(VaultError) -> KeyVault
    let verifier: LiquidationVerifier
    let okx: OKXConfig
    let observer: (@Sendable (OKXRequestRecord) -> Void)?

    /// - Parameters:
    ///   - vault: opens the vault (a fresh connection per call is fine; it only reads).
    ///   - observer: told about every OKX request, for metrics.
    public init(vault: @escaping @Sendable () throws(VaultError) -> KeyVault, verifier: LiquidationVerifier, okx: OKXConfig,
                observer: (@Sendable (OKXRequestRecord) -> Void)? = nil) {
        self.vault = vault
        self.verifier = verifier
        self.okx = okx
        self.observer = observer
    }

    /// The user's key as the vault holds it.
    public enum KeyLookup: Sendable {
        case found(OKXCredentials)
        /// No key registered for the wallet yet.
        case missing
        /// The vault cannot be opened now (master key, database): try again later.
        case unreadable(String)
    }

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
