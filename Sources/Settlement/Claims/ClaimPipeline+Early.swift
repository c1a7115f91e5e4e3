import Ethereum
import Indexer
import OKX

/// Verification of claims whose request is mined but not yet confirmed. The exchange's answer does
/// not depend on the chain, so it is asked as soon as the request is seen; nothing is written for
/// the claim until the follower indexes it at `chain.confirmations`, when the answer is written as
/// if it had just arrived (a request a reorg removed leaves an answer nobody takes, dropped after
/// `earlyAnswerLifetimeMilliseconds`). A verdict can then go on-chain one block after the request is
/// confirmed, instead of after the exchange's round trips.
extension ClaimPipeline {
    /// How long an answer for a request not yet indexed is kept.
    static let earlyAnswerLifetimeMilliseconds: Int64 = 600_000

    /// Starts verifying the claims of `requests` (`ClaimRequested` logs above the confirmed block)
    /// that are not indexed, answered or being verified yet, while workers are free; claims of a
    /// trader with no key wait for the follower, like any other.
    public func preverify(_ requests: [Log]) throws(KeeperError) {
        dropStaleEarlyAnswers()
        for log in requests {
            guard workers.hasRoom else { return }
            let event = try IndexedEvent(log: log)
            guard let request = event.claim else { continue }
            let claim: Claim
            do {
                claim = try Claim(requested: request, chainID: settings.chainID, block: log.blockNumber, txHash: log.transactionHash, logIndex: log.logIndex)
            } catch {
                continue  // a request the follower will index and judge (a malformed one fails there, with its reason)
            }
            if workers.isRunning(claim.subject) || earlyAnswers[claim.subject]?.finished.claim.isSameRequest(as: claim) == true { continue }
            if try ledger.claim(user: claim.user, orderID: claim.orderID) != nil { continue }
            guard case .found(let credentials) = verifier.key(for: claim) else { continue }
            workers.start(claim, verifier: verifier, credentials: credentials, claimedPositions: try ledger.claimedPositions(except: claim))
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
