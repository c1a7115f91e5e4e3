import Dispatch
import Foundation
import Synchronization
import Testing
import Threads
@testable import Store

/// Where code runs under `withTaskExecutorPreference`: on the executor's own threads, through
/// awaits, actor calls, continuations resumed elsewhere and child tasks.
@Suite struct ThreadPoolExecutorTests {
    static let writer = ThreadPoolExecutor(name: "lgk-test-writer")
    static let pool = ThreadPoolExecutor(name: "lgk-test-io", threads: 4)

    actor Counter {
        var value = 0
        func increment() -> Int { value += 1; return value }
    }

    static func threadName() -> String? { ThreadName.current }

    /// A nonisolated async function: it runs wherever the task's executor preference says.
    static func onWriter() async -> Bool { writer.isCurrent }

    static func nested() async -> Bool {
        try? await Task.sleep(for: .milliseconds(1))
        return await onWriter() && writer.isCurrent
    }

    @Test func codeUnderThePreferenceRunsOnTheExecutorsThread() async {
        #expect(!Self.writer.isCurrent)
        await withTaskExecutorPreference(Self.writer) {
            #expect(Self.writer.isCurrent)
            #expect(Self.threadName() == "lgk-test-writer")
            #expect(await Self.onWriter())
            #expect(await Self.nested())
            #expect(Self.writer.isCurrent, "after awaiting a nonisolated function")
            _ = await Counter().increment()
            #expect(Self.writer.isCurrent, "after an actor call")
            // A continuation resumed on a dispatch queue (libcurl's transfers, HTTPClient) comes back here.
            await withCheckedContinuation { continuation in DispatchQueue.global().async { continuation.resume() } }
            #expect(Self.writer.isCurrent, "after a continuation resumed on another thread")
            let children = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { await Self.onWriter() } }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(children == Array(repeating: true, count: 8), "child tasks inherit the preference")
            async let child = Self.onWriter()
            #expect(await child)
        }
        #expect(!Self.writer.isCurrent)
    }

    @Test func childTasksCanPreferThePoolAndTheParentComesBack() async {
        await withTaskExecutorPreference(Self.writer) {
            let names = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<16 {
                    group.addTask(executorPreference: Self.pool) {
                        usleep(2_000)  // blocking, as a vault open or an evidence write is
                        return Self.pool.isCurrent ? Self.threadName() : nil
                    }
                }
                return await group.reduce(into: Set<String?>()) { $0.insert($1) }
            }
            #expect(!names.contains(nil))
            #expect(names.isSubset(of: Set((1...4).map { "lgk-test-io-\($0)" })))
            #expect(Self.writer.isCurrent)
            let inside = await withTaskExecutorPreference(Self.pool) { Self.pool.isCurrent }
            #expect(inside)
            #expect(Self.writer.isCurrent, "back on the writer once the pool's scope ends")
        }
    }

    @Test func oneThreadRunsJobsOneAtATime() async {
        final class Tally: Sendable {
            let running = Atomic<Int>(0)
            let overlapped = Atomic<Bool>(false)
        }
        let tally = Tally()
        await withTaskExecutorPreference(Self.writer) {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        if tally.running.add(1, ordering: .sequentiallyConsistent).newValue > 1 { tally.overlapped.store(true, ordering: .sequentiallyConsistent) }
                        usleep(500)
                        tally.running.subtract(1, ordering: .sequentiallyConsistent)
                        await Task.yield()
                    }
                }
            }
        }
        let sawOverlap = tally.overlapped.load(ordering: .sequentiallyConsistent)
        #expect(!sawOverlap)
    }

    @Test func thePoolRunsBlockingWorkSideBySide() async throws {
        final class Peak: Sendable {
            let running = Atomic<Int>(0)
            let peak = Atomic<Int>(0)
        }
        let peak = Peak()
        // Driven from a thread of its own: the cooperative pool may be busy with other suites' blocking tests.
        try await withTaskExecutorPreference(ThreadPoolExecutor(name: "lgk-test-driver")) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask(executorPreference: nil) {
                        try await Self.pool.run { () throws(DatabaseError) in
                            let now = peak.running.add(1, ordering: .sequentiallyConsistent).newValue
                            peak.peak.max(now, ordering: .sequentiallyConsistent)
                            // Blocks until all four run at once (or 30 s pass), not for a fixed time: on a loaded
                            // machine a thread can start its call after another's fixed sleep has ended.
                            for _ in 0..<3_000 where peak.peak.load(ordering: .sequentiallyConsistent) < 4 { usleep(10_000) }
                            peak.running.subtract(1, ordering: .sequentiallyConsistent)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let most = peak.peak.load(ordering: .sequentiallyConsistent)
        #expect(most == 4, "four blocking calls on four threads at once")
        #expect(Self.pool.threadCount == 4)
    }

    /// The names of this process's threads (Linux).
    static func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }
    }

    @Test func shutdownFinishesTheQueuedWorkAndEndsTheThreads() async throws {
        try #require(FileManager.default.fileExists(atPath: "/proc/self/task"), "Linux only")
        let executor = ThreadPoolExecutor(name: "lgk-test-stop", threads: 3)
        #expect(await executor.run { ThreadName.current.hasPrefix("lgk-test-stop-") })
        // Each thread names itself once it runs; on a loaded machine the last may start later.
        for _ in 0..<1_000 where Self.threadNames().filter({ $0.hasPrefix("lgk-test-stop-") }).count < 3 { usleep(10_000) }
        #expect(Self.threadNames().filter { $0.hasPrefix("lgk-test-stop-") }.count == 3)
        let finished = Atomic<Int>(0)
        for _ in 0..<6 { executor.execute { usleep(10_000); finished.add(1, ordering: .sequentiallyConsistent) } }
        executor.shutdown()
        for _ in 0..<200 where !Self.threadNames().filter({ $0.hasPrefix("lgk-test-stop-") }).isEmpty { usleep(10_000) }
        #expect(Self.threadNames().filter { $0.hasPrefix("lgk-test-stop-") }.isEmpty)
        let done = finished.load(ordering: .sequentiallyConsistent)
        #expect(done == 6)
    }

    @Test func runReturnsTheValueAndTheErrorOfTheBody() async {
        #expect(await Self.pool.run { Self.pool.isCurrent })
        await #expect(throws: DatabaseError.self) {
            try await Self.pool.run { () throws(DatabaseError) -> Int in throw DatabaseError(extendedCode: 1, message: "no") }
        }
    }
}
