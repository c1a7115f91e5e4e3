import Foundation
import Synchronization
import Testing
import TestSupport

/// The tests' way of running children: nothing inherited beyond the standard streams, and exits
/// read from the kernel — Foundation's `Process` let a server started by one test keep another
/// test's child "running" for ever (see `Subprocess`).
@Suite struct SubprocessTests {
    /// The descriptors open in a child, as its /proc/self/fd lists them (`ls` adds the one it reads with).
    static func descriptorsOfAChild() throws -> Set<Int32> {
        let listed = try Subprocess.run("/bin/ls", ["/proc/self/fd"])
        try #require(listed.termination == .exited(0))
        return Set(String(decoding: listed.stdout, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) })
    }

    @Test func aChildInheritsOnlyItsStandardStreams() throws {
        // A pipe made by other code of this process, not close-on-exec: what Foundation's Process
        // leaked into children spawned meanwhile.
        var leaky: [Int32] = [-1, -1]
        try #require(pipe(&leaky) == 0)
        defer { close(leaky[0]); close(leaky[1]) }
        try #require(fcntl(leaky[1], F_GETFD) & FD_CLOEXEC == 0)
        let inherited = try Self.descriptorsOfAChild()
        #expect(inherited.isDisjoint(with: leaky), "the child holds \(inherited.intersection(leaky))")
        #expect(inherited.isSuperset(of: [0, 1, 2]))
        #expect(inherited.count <= 4, "only its standard streams and ls's own directory: \(inherited.sorted())")
    }

    /// The way CI hung, re-enacted: one thread starts long-lived children (as suites start servers)
    /// while another runs short ones to their end. With Foundation's `Process` a short child's end
    /// went unnoticed within a few hundred (the 366th of 2,000 here: a server held its exit socket).
    /// Both loops run on threads of their own: a test that blocks one of the two threads Swift's
    /// pool has on this machine for minutes starves every other test running beside it.
    @Test(.timeLimit(.minutes(2))) func shortChildrenEndWhileAnotherThreadStartsServers() async throws {
        let servers = Mutex<[Subprocess]>([])
        let starting = Atomic<Bool>(true)
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            defer { stopped.signal() }
            while starting.load(ordering: .relaxed), servers.withLock({ $0.count }) < 60 {
                guard let server = try? Subprocess("/bin/sleep", ["600"]) else { return }
                servers.withLock { $0.append(server) }
            }
        }.start()
        let endings: [Subprocess.Termination?] = await withCheckedContinuation { done in
            Thread {
                done.resume(returning: (0..<400).map { _ in (try? Subprocess("/bin/true"))?.waitUntilExit() })
            }.start()
        }
        starting.store(false, ordering: .relaxed)
        stopped.wait()
        servers.withLock { for server in $0 { server.send(SIGKILL); server.waitUntilExit() } }
        #expect(endings.allSatisfy { $0 == .exited(0) }, "\(endings.filter { $0 != .exited(0) }.count) of 400 did not start or end well")
        #expect(servers.withLock { $0.count } > 0, "servers were started meanwhile")
    }

    @Test func exitStatusAndSignalAreReported() throws {
        #expect(try Subprocess.run("/bin/sh", ["-c", "exit 7"]).termination == .exited(7))
        let sleeper = try Subprocess("/bin/sleep", ["30"])
        #expect(sleeper.isRunning)
        sleeper.send(SIGKILL)
        #expect(sleeper.waitUntilExit() == .killed(signal: SIGKILL))
        #expect(!sleeper.isRunning)
        #expect(sleeper.termination == .killed(signal: SIGKILL), "asked again after the reap")
    }

    /// SIGTERM reaches the child even if this process ignores it (a test runner may), as `exec` keeps an ignored signal.
    @Test func aChildTakesSIGTERMEvenIfTheRunnerIgnoresIt() throws {
        let previous = signal(SIGTERM, SIG_IGN)
        defer { signal(SIGTERM, previous) }
        let sleeper = try Subprocess("/bin/sleep", ["30"])
        sleeper.terminate()
        #expect(sleeper.waitUntilExit() == .killed(signal: SIGTERM))
    }

    @Test func manyThreadsWaitingForOneChildAllSeeItsEnd() async throws {
        let child = try Subprocess("/bin/sh", ["-c", "sleep 0.3; exit 3"])
        let seen = try await withThrowingTaskGroup(of: Subprocess.Termination.self) { group in
            for _ in 0..<4 {
                group.addTask { await withCheckedContinuation { done in Thread { done.resume(returning: child.waitUntilExit()) }.start() } }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(seen == Array(repeating: .exited(3), count: 4))
    }

    /// Both outputs far beyond a pipe's 64 KiB: read at once, so neither side blocks.
    @Test func largeOutputOnBothStreamsIsCollectedWhole() throws {
        let script = "import sys; sys.stdout.write('o' * 300000); sys.stderr.write('e' * 300000); sys.stdout.write(sys.stdin.read())"
        let ended = try Subprocess.run(ReferencePython.interpreter, ["-c", script], input: Data("tail".utf8))
        #expect(ended.termination == .exited(0))
        #expect(ended.stdout.count == 300_004 && ended.stdout.suffix(4) == Data("tail".utf8))
        #expect(ended.stderr.count == 300_000)
    }

    @Test func environmentAndWorkingDirectoryAreTheChildsOnly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-sub-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ended = try Subprocess.run("/bin/sh", ["-c", "pwd; echo \"$ONLY\"; env | wc -l"], environment: ["ONLY": "this"], workingDirectory: directory)
        let lines = String(decoding: ended.stdout, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path } == URL(fileURLWithPath: directory).resolvingSymlinksInPath().path)
        #expect(lines.dropFirst().first == "this")
        #expect(lines.last.flatMap { Int($0) }.map { $0 <= 3 } == true, "sh adds PWD (and perhaps SHLVL) to the one variable given: \(lines)")
        #expect(throws: Subprocess.Failure.self) { try Subprocess("/nonexistent/lgk-binary") }
    }
}
