import Indexer
import Logging
import OKX

/// Verification of claims whose request is indexed but not yet confirmed. The exchange's answer does
/// not depend on the chain, so it is asked as soon as the request is seen; nothing is written for
/// the claim until its request has `chain.confirmations` blocks on top and the pass steps it, when
/// the answer is written as if it had just arrived. A request a reorg removed leaves an answer
/// nobody takes, dropped after `earlyAnswerLifetimeMilliseconds`. A verdict can then go on-chain one
/// block after the request is confirmed, instead of after the exchange's round trips.
extension ClaimPipeline {
    /// How long an answer for a request not yet confirmed is kept.
    static let earlyAnswerLifetimeMilliseconds: Int64 = 600_000

    /// Starts verifying the claims requested in blocks above the confirmed one that are neither
    /// answered nor being verified yet, while workers are free; a claim whose trader has no key
    /// waits for its confirmations, like any other.
    public func preverify() throws(KeeperError) {
        dropStaleEarlyAnswers()
        work.positionHolders = nil  // the pass's flush may have recorded positions since it read them
        var started = 0
        defer { if started > 0 { log.info("verifying claims whose requests wait for confirmations", ["started": .int(started)]) } }
        for claim in try ledger.unconfirmed(limit: workers.room) {
            guard workers.hasRoom else { return }
            if workers.isRunning(claim.subject) || earlyAnswers[claim.subject]?.finished.claim.isSameRequest(as: claim) == true { continue }
            guard case .found(let credentials) = verifier.key(for: claim) else { continue }
            if workers.start(claim, verifier: verifier, credentials: credentials, claimedPositions: try claimedPositions(except: claim)) { started += 1 }
        }
    }

    func keepEarlyAnswer(_ finished: VerificationWorkers.Finished) {
        earlyAnswers[finished.claim.subject] = (finished, clock())
    }

    /// The early answer for `claim`'s request, if one waits; taken once.
    func takeEarlyAnswer(for claim: Claim) -> VerificationWorkers.Finished? {
        guard let early = earlyAnswers[claim.subject], early.finished.claim.isSameRequest(as: claim) else { return nil }
        earlyAnswers[claim.subject] = nil
        return early.finished
    }

    private func dropStaleEarlyAnswers() {
        let now = clock()
        earlyAnswers = earlyAnswers.filter { now - $0.value.at < Self.earlyAnswerLifetimeMilliseconds }
    }
}
