import Foundation
import Ethereum
import OKX
import Verification
import Wire

/// The result of one verification: the sealed seed-002 response as written to the evidence
/// files, where it was written, and either a decision (verdict and payout) or the exchange failure
/// that prevented one. Both kinds carry evidence: a refusal needs its root as much as a payout.
public struct VerificationOutcome: Sendable {
    /// The sealed response (`meta`, `normalized`, `raw`, `evidence`, `perf`, `error`).
    public let response: JSON
    public let evidence: EvidenceReceipt
    public let result: Result

    public enum Result: Sendable, Equatable {
        case decided(VerificationDecision)
        case failed(UpstreamFailure)
    }

    public init(response: JSON, evidence: EvidenceReceipt, result: Result) {
        self.response = response
        self.evidence = evidence
        self.result = result
    }

    /// The response as canonical JSON text (what the CLI prints and `POST /api/verify` answers).
    public var responseText: String { CanonicalJSON.string(response) }

    /// The decision, when the exchange answered.
    public var decision: VerificationDecision? {
        if case .decided(let decision) = result { return decision }
        return nil
    }

    /// The failure, when the exchange did not answer usefully.
    public var failure: UpstreamFailure? {
        if case .failed(let failure) = result { return failure }
        return nil
    }
}

/// A verdict and what it pays.
public struct VerificationDecision: Sendable, Equatable {
    public let verdict: Verdict
    /// Pool units to pay: an integer, `poolDecimals`, rounded down; zero when refused.
    public let amount: UInt256
    /// Why the amount is zero (`not-liquidated`, `adl-not-covered`, `no-loss`, `claim-too-old`, `position-already-claimed`); nil when payable.
    public let refusal: String?
    /// The loss of the matched position in its settlement currency (0 for none or a gain).
    public let loss: Decimal
    /// The matched position record (`posId`), if any.
    public let positionID: String?

    public init(verdict: Verdict, amount: UInt256, refusal: String?, loss: Decimal, positionID: String?) {
        self.verdict = verdict
        self.amount = amount
        self.refusal = refusal
        self.loss = loss
        self.positionID = positionID
    }
}

/// Why the exchange gave no usable answer: the seed-002 class, and whether repeating may help.
public struct UpstreamFailure: Sendable, Equatable, CustomStringConvertible {
    public let code: ExchangeErrorCode
    /// The exchange's own code (OKX `"50105"`), when it sent one.
    public let exchangeCode: String?
    public let msg: String
    public let hint: String
    /// The endpoint that failed, e.g. `/api/v5/trade/order`.
    public let endpoint: String

    public init(code: ExchangeErrorCode, exchangeCode: String?, msg: String, hint: String, endpoint: String) {
        self.code = code
        self.exchangeCode = exchangeCode
        self.msg = msg
        self.hint = hint
        self.endpoint = endpoint
    }

    init(_ error: OKXError) {
        self.init(code: error.code, exchangeCode: error.okxCode, msg: error.msg, hint: error.hint, endpoint: error.endpoint)
    }

    /// `RATE_LIMIT`, `REMOTE_5XX` and `TIMEOUT` may clear: retry the verification later. `AUTH_ERROR`,
    /// `NOT_FOUND` and `REMOTE_4XX` will not change without a new key or a different claim.
    public var isTransient: Bool { Self.transientCodes.contains(code) }

    public static let transientCodes: Set<ExchangeErrorCode> = [.rateLimit, .remote5xx, .timeout]

    public var description: String {
        "\(code.rawValue)\(exchangeCode.map { " (\($0))" } ?? "") on \(endpoint): \(msg) — \(hint)"
    }
}

/// Where a sealed response was written and what it commits to.
public struct EvidenceReceipt: Sendable, Equatable {
    /// `evi_YYYYMMDD_` and the first 16 hex digits of the root.
    public let evidenceId: String
    /// The Merkle root (`keccak256-merkle-v1`): the `evidenceRoot` of `verifyPayout`.
    public let root: Hash
    public let bundleHash: Hash
    /// The `.json` file.
    public let path: String

    public init(evidenceId: String, root: Hash, bundleHash: Hash, path: String) {
        self.evidenceId = evidenceId
        self.root = root
        self.bundleHash = bundleHash
        self.path = path
    }
}
