import Foundation
import Indexer
import OKX
import Settlement
import Verification
import Wire

/// One verification through the verdict engine (`Verification.VerdictEngine`, the only place
/// that turns exchange data into a verdict), with its evidence stored: the files and the
/// `evidence` row. Used by `lg-keeper verify`, `POST /api/verify` and the claim pipeline alike.
/// Only local failures (files, database) throw; an exchange failure or an undecided picture is
/// an outcome with its evidence.
public struct LiquidationVerifier: Sendable {
    public let engine: VerdictEngine
    public let archive: EvidenceArchive
    public var policy: CoveragePolicy { engine.policy }

    /// - Parameter clock: the time of `meta.verifiedAt` and the claim-age check (injectable for tests).
    public init(policy: CoveragePolicy, archive: EvidenceArchive, version: String = "\(BuildInfo.name)@\(BuildInfo.version)",
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.engine = VerdictEngine(policy: policy, version: version, clock: clock)
        self.archive = archive
    }

    /// Verifies `request` with `exchange` (a client holding the trader's read-only key). `secrets`
    /// are the credentials that key consists of: the engine redacts them wherever an answer carries one.
    public func verify(_ request: VerificationRequest, on exchange: AnyOKXExchange,
                       refusing secrets: [String] = []) async throws(KeeperError) -> VerificationOutcome {
        let outcome: VerdictEngine.Outcome
        do { outcome = try await engine.verify(request, on: exchange, secrets: secrets) } catch {
            throw KeeperError(.software, "cannot seal the verification of \(request.ordId): \(error.message)")
        }
        let result: VerificationOutcome.Result
        switch outcome.result {
        case .decided(let decided):
            result = .decided(VerificationDecision(verdict: decided.verdict, amount: try PoolUnits.integer(decided.payout.amount),
                                                   refusal: decided.payout.refusal, loss: decided.payout.loss,
                                                   positionID: decided.lifecycle))
        case .undecided(let why):
            result = .undecided(why)
        case .failed(let failure):
            result = .failed(failure)
        }
        let receipt = try archive.store(outcome.response, wallet: request.wallet,
                                        refusing: secrets.filter { $0.count >= VerdictEngine.minimumSecretLength })
        return VerificationOutcome(response: outcome.response, evidence: receipt, result: result)
    }
}
