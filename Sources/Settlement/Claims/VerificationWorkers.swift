import Indexer
import OKX
import Synchronization

/// The claims being verified on OKX right now, each in its own task, the claims queued for the next
/// free worker, and the answers waiting to be written. Workers only ask OKX and seal evidence; every
/// state change is written by the pipeline's pass, on the keeper's one writer, when it takes the
/// answers (`takeFinished`). A worker that finishes takes the next queued claim at once, so that
/// `capacity` verifications stay in flight however long the loop's round takes. One slow or failing
/// trader holds one worker, never the others; OKX's per-user and per-IP limits are kept by the shared
/// `OKXRateLimiter`, which spaces a burst instead of letting it earn a 50011.
final class VerificationWorkers: Sendable {
    /// One finished verification: the claim as it was when it was queued, and what came back.
    struct Finished: Sendable {
        let claim: Claim
        let result: Result<VerificationAttempt, KeeperError>
    }

    /// A claim to verify, with what its worker needs.
    private struct Job: Sendable {
        let claim: Claim
        let verifier: any ClaimVerifying
        let credentials: OKXCredentials
        let claimedPositions: Set<String>
    }

    private struct State {
        var running = Set<String>()
        var queued: [Job] = []
        var finished: [Finished] = []
        /// Being verified, queued, or answered and not yet taken: a claim is never asked twice at once.
        func contains(_ subject: String) -> Bool {
            running.contains(subject) || queued.contains { $0.claim.subject == subject } || finished.contains { $0.claim.subject == subject }
        }
    }

    /// Verifications in flight at most.
    let capacity: Int
    /// Claims waiting for a worker at most: four times `capacity`, so that workers finishing while the
    /// loop waits on the node (a pass sending a batch) still find work.
    var queueCapacity: Int { 4 * capacity }
    /// Where the workers run: their blocking parts (the vault, the evidence files and rows) stay off
    /// Swift's cooperative pool when an executor is given.
    private let executor: (any TaskExecutor)?
    private let state = Mutex(State())
    /// Called (from the worker's thread) when an answer is waiting, so that the loop can take it at once.
    private let wake: @Sendable () -> Void

    init(capacity: Int, executor: (any TaskExecutor)? = nil, wake: @escaping @Sendable () -> Void = {}) {
        self.capacity = max(1, capacity)
        self.executor = executor
        self.wake = wake
    }

    /// Claims being verified or queued.
    var runningCount: Int { state.withLock { $0.running.count + $0.queued.count } }
    var hasFinished: Bool { state.withLock { !$0.finished.isEmpty } }
    /// Whether another claim may be handed over now (to a worker, or to the queue).
    var hasRoom: Bool { state.withLock { $0.running.count + $0.queued.count < capacity + queueCapacity } }
    /// How many more claims may be handed over now.
    var room: Int { state.withLock { max(0, capacity + queueCapacity - $0.running.count - $0.queued.count) } }

    /// Whether the claim (`user/orderId`) is being verified, waits for a worker, or has an answer not yet taken.
    func isRunning(_ subject: String) -> Bool { state.withLock { $0.contains(subject) } }

    /// Hands `claim` over: a free worker starts it, else it waits in the queue. False, and nothing
    /// done, when it is already handed over or there is no room.
    @discardableResult
    func start(_ claim: Claim, verifier: any ClaimVerifying, credentials: OKXCredentials, claimedPositions: Set<String>) -> Bool {
        let job = Job(claim: claim, verifier: verifier, credentials: credentials, claimedPositions: claimedPositions)
        let startNow = state.withLock { state -> Bool? in
            guard !state.contains(claim.subject), state.running.count + state.queued.count < capacity + queueCapacity else { return nil }
            guard state.running.count < capacity else {
                state.queued.append(job)
                return false
            }
            state.running.insert(claim.subject)
            return true
        }
        guard let startNow else { return false }
        if startNow { launch(job) }
        return true
    }

    /// Runs `job`, then each queued job in turn while there is one.
    private func launch(_ job: Job) {
        let work: @Sendable () async -> Void = { [self] in
            var next: Job? = job
            while let job = next {
                let result: Result<VerificationAttempt, KeeperError>
                do throws(KeeperError) {
                    result = .success(try await job.verifier.verify(job.claim, credentials: job.credentials, claimedPositions: job.claimedPositions))
                } catch {
                    result = .failure(error)
                }
                next = state.withLock { state -> Job? in
                    state.running.remove(job.claim.subject)
                    state.finished.append(Finished(claim: job.claim, result: result))
                    guard !state.queued.isEmpty else { return nil }
                    let following = state.queued.removeFirst()
                    state.running.insert(following.claim.subject)
                    return following
                }
                wake()
            }
        }
        if let executor {
            Task(executorPreference: executor) { await work() }
        } else {
            Task { await work() }
        }
    }

    /// The answers that came back since the last call, oldest first.
    func takeFinished() -> [Finished] {
        state.withLock { state in
            defer { state.finished.removeAll() }
            return state.finished
        }
    }

    /// Waits until no claim is being verified or queued (tests, and a stop that lets answers land).
    func drain() async {
        while runningCount > 0 { try? await Task.sleep(for: .milliseconds(10)) }  // cancellation only ends the wait early
    }
}
