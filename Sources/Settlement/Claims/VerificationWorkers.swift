import Indexer
import OKX
import Synchronization

/// The claims being verified on OKX right now, each in its own task, and the answers waiting to be
/// written. Workers only ask OKX and seal evidence; every state change is written by the pipeline's
/// pass, on the keeper's one writer, when it takes the answers (`takeFinished`). One slow or failing
/// trader holds one slot, never the others; OKX's per-user and per-IP limits are kept by the shared
/// `OKXRateLimiter`, which spaces a burst instead of letting it earn a 50011.
final class VerificationWorkers: Sendable {
    /// One finished verification: the claim as it was when the worker started, and what came back.
    struct Finished: Sendable {
        let claim: Claim
        let result: Result<VerificationAttempt, KeeperError>
    }

    let capacity: Int
    /// Where the workers run: their blocking parts (the evidence files and rows) stay off Swift's
    /// cooperative pool when an executor is given.
    private let executor: (any TaskExecutor)?
    private let state = Mutex<(running: Set<String>, finished: [Finished])>(([], []))
    /// Called (from the worker's thread) when an answer is waiting, so that the loop can take it at once.
    private let wake: @Sendable () -> Void

    init(capacity: Int, executor: (any TaskExecutor)? = nil, wake: @escaping @Sendable () -> Void = {}) {
        self.capacity = max(1, capacity)
        self.executor = executor
        self.wake = wake
    }

    var runningCount: Int { state.withLock { $0.running.count } }
    var hasFinished: Bool { state.withLock { !$0.finished.isEmpty } }
    var hasRoom: Bool { state.withLock { $0.running.count < capacity } }

    /// Whether the claim (`user/orderId`) is being verified.
    func isRunning(_ subject: String) -> Bool { state.withLock { $0.running.contains(subject) } }

    /// Starts verifying `claim` unless it is already being verified or every slot is taken; true when started.
    @discardableResult
    func start(_ claim: Claim, verifier: any ClaimVerifying, credentials: OKXCredentials, claimedPositions: Set<String>) -> Bool {
        let admitted = state.withLock { state -> Bool in
            guard state.running.count < capacity, !state.running.contains(claim.subject) else { return false }
            state.running.insert(claim.subject)
            return true
        }
        guard admitted else { return false }
        let work: @Sendable () async -> Void = { [self] in
            let result: Result<VerificationAttempt, KeeperError>
            do throws(KeeperError) {
                result = .success(try await verifier.verify(claim, credentials: credentials, claimedPositions: claimedPositions))
            } catch {
                result = .failure(error)
            }
            state.withLock { state in
                state.running.remove(claim.subject)
                state.finished.append(Finished(claim: claim, result: result))
            }
            wake()
        }
        if let executor {
            Task(executorPreference: executor) { await work() }
        } else {
            Task { await work() }
        }
        return true
    }

    /// The answers that came back since the last call, oldest first.
    func takeFinished() -> [Finished] {
        state.withLock { state in
            defer { state.finished.removeAll() }
            return state.finished
        }
    }

    /// Waits until no worker is running (tests, and a stop that lets answers land before it ends).
    func drain() async {
        while runningCount > 0 { try? await Task.sleep(for: .milliseconds(10)) }  // cancellation only ends the wait early
    }
}
