import Foundation
import Ethereum
import OKX
import Settlement
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
        /// The picture is incomplete or inconsistent (`VerdictRules.Judgement.undecided`): no verdict may be written yet.
        case undecided(String)
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

    /// Why no verdict may be written yet, when undecided.
    public var pending: String? {
        if case .undecided(let why) = result { return why }
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
    /// The matched position's lifecycle (`posId@cTime`), if any.
    public let positionID: String?

    public init(verdict: Verdict, amount: UInt256, refusal: String?, loss: Decimal, positionID: String?) {
        self.verdict = verdict
        self.amount = amount
        self.refusal = refusal
        self.loss = loss
        self.positionID = positionID
    }
}
