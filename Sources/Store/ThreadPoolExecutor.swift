import Foundation
import Threads

/// A `TaskExecutor` (SE-0417) over threads of its own. Code run under
/// `withTaskExecutorPreference(executor)` — with the nonisolated async functions it calls and the
/// child tasks it starts — runs on these threads, so it may block on SQLite or the file system
/// without holding a thread of Swift's cooperative pool. One thread is a serial queue (GRDB's
/// writer queue); more are a pool for blocking work. The threads, which hold the executor, live
/// until `shutdown()`; the keeper's own executors are never shut down.
public final class ThreadPoolExecutor: TaskExecutor, @unchecked Sendable {
    /// The threads' name prefix: one thread is named `name`, several `name-1` … `name-N`.
    public let name: String
    private let condition = NSCondition()
    /// Work not yet started, from `next` on; guarded by `condition`.
    private var pending = [Work]()
    private var next = 0
    private var stopping = false
    /// Set once, before any thread starts; read-only afterwards.
    private var threads = [Thread]()

    private enum Work {
        case job(UnownedJob)
        case closure(@Sendable () -> Void)
    }

    /// Starts `threads` threads (at least one) named after `name` (Linux shows 15 characters of it).
    public init(name: String, threads count: Int = 1) {
        self.name = name
        let count = max(1, count)
        threads = (1...count).map { index in
            let threadName = count == 1 ? name : "\(name)-\(index)"
            // Weak, so that the Thread objects do not keep the executor once its threads have ended.
            let thread = Thread { [weak self] in
                ThreadName.set(threadName)
                self?.work()
            }
            thread.stackSize = 1 << 20
            return thread
        }
        threads.forEach { $0.start() }
    }

    public var threadCount: Int { threads.count }

    /// True on one of this executor's threads.
    public var isCurrent: Bool {
        let current = Thread.current
        return threads.contains { $0 === current }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    /// Runs `body` on one of the threads, without waiting for it.
    public func execute(_ body: @escaping @Sendable () -> Void) {
        submit(.closure(body))
    }

    /// Runs the blocking `body` on one of the threads and returns its result; the caller's task is
    /// suspended meanwhile (its thread is free) and resumes on its own executor.
    public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            execute { continuation.resume(returning: Result { () throws(E) in try body() }) }
        }
        return try result.get()
    }

    /// Lets the threads end once the work already queued is done. Only for an executor no task
    /// prefers any more: work submitted afterwards is a programming error.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func submit(_ work: Work) {
        condition.lock()
        precondition(!stopping, "work submitted to \(name) after its shutdown")
        pending.append(work)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while next == pending.count {
                if stopping {
                    condition.unlock()
                    return
                }
                condition.wait()
            }
            let work = pending[next]
            next += 1
            if next == pending.count {
                pending.removeAll(keepingCapacity: true)
                next = 0
            } else if next >= 4_096 {
                pending.removeFirst(next)
                next = 0
            }
            condition.unlock()
            switch work {
            case .job(let job): job.runSynchronously(on: executor)
            case .closure(let body): body()
            }
        }
    }
}
