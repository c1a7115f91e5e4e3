import Ethereum
import Foundation
import OKX

/// The EIP-4361 (Sign-In with Ethereum) messages the trader API asks a wallet to sign with
/// `personal_sign` (EIP-191): the keeper's domain, the wallet, the chain, a one-time nonce, issue
/// and expiry times, and a statement that says what the signature allows — for a key, its API key
/// (never the secret) and region, and the contract the claims are settled on.
public struct TraderSignIn: Sendable {
    /// The host (and port) traders reach the public listener at: `http.publicDomain`.
    public let domain: String
    public let chainID: UInt64
    public let contract: Address

    public init(domain: String, chainID: UInt64, contract: Address) {
        self.domain = domain
        self.chainID = chainID
        self.contract = contract
    }

    /// What the statement says the signature allows.
    func statement(_ challenge: TraderChallenge, apiKey: String?) -> String {
        let contract = contract.checksummed
        switch challenge.action {
        case .register:
            return "LeverageGuard: register the read-only OKX API key \(apiKey ?? "") (region \(challenge.region?.rawValue ?? "")) "
                + "to settle liquidation claims on contract \(contract)."
        case .remove:
            return "LeverageGuard: remove the OKX API key \(apiKey ?? "") (region \(challenge.region?.rawValue ?? "")) "
                + "from the keeper of contract \(contract); claims in progress wait for a new key."
        case .evidence:
            return "LeverageGuard: show the evidence of my claim on OKX order \(challenge.orderID?.description ?? "") "
                + "to contract \(contract)."
        }
    }

    /// The resource the signature is for.
    func uri(_ challenge: TraderChallenge) -> String {
        switch challenge.action {
        case .register, .remove: "https://\(domain)/api/keys"
        case .evidence: "https://\(domain)/api/claims/\(challenge.wallet.description.lowercased())/\(challenge.orderID?.description ?? "")/evidence"
        }
    }

    /// The message of `challenge`, rendered again exactly as it was issued (the table keeps its
    /// parts; the API key comes with the request, which must name the same one).
    func message(_ challenge: TraderChallenge, apiKey: String?) throws(TraderAPIError) -> SignInMessage {
        do {
            return try SignInMessage(domain: domain, address: challenge.wallet, statement: statement(challenge, apiKey: apiKey), uri: uri(challenge),
                                     chainId: chainID, nonce: challenge.nonce, issuedAt: Self.timestamp(challenge.issuedAt),
                                     expirationTime: Self.timestamp(challenge.expiresAt))
        } catch {
            // The domain is checked when the configuration is read and the API key when the request is; nothing else varies.
            throw .unavailable("the keeper cannot write the sign-in message: \(error.message)")
        }
    }

    /// RFC 3339 UTC, whole seconds: `2026-12-06T12:00:00Z`.
    static func timestamp(_ milliseconds: Int64) -> SignInMessage.Timestamp {
        SignInMessage.Timestamp(Date(timeIntervalSince1970: Double(milliseconds / 1_000)))
    }
}
