import Foundation

/// The `lg-keeper` executable built beside the test bundle, run as an operator would run it.
public enum KeeperBinary {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public static var path: String {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let besideBundle = bundleDirectory.appendingPathComponent("lg-keeper").path
        if FileManager.default.isExecutableFile(atPath: besideBundle) { return besideBundle }
        return ReferencePython.repositoryRoot.appendingPathComponent(".build/debug/lg-keeper").path
    }

    /// Runs `lg-keeper arguments…` with `environment` added to a minimal one and stdin closed.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try runWithInput(arguments, input: nil, environment: environment)
    }

    /// Runs `lg-keeper` with `input` on standard input (credentials, passwords); nil closes it.
    /// - Parameter workingDirectory: where it starts; nil keeps the tests' own.
    public static func runWithInput(_ arguments: [String], input: String?, environment: [String: String] = [:],
                                    workingDirectory: String? = nil) throws -> Result {
        let ended = try Subprocess.run(path, arguments, environment: minimalEnvironment(environment),
                                       workingDirectory: workingDirectory, input: input.map { Data($0.utf8) })
        return Result(status: ended.termination.status, stdout: String(decoding: ended.stdout, as: UTF8.self),
                      stderr: String(decoding: ended.stderr, as: UTF8.self))
    }

    /// A long-running `lg-keeper` (e.g. `run`); standard error goes to a file, so that a chatty
    /// keeper never blocks on a full pipe.
    public final class Running: @unchecked Sendable {
        let process: Subprocess
        let errorLog: URL
        init(process: Subprocess, errorLog: URL) { self.process = process; self.errorLog = errorLog }

        /// What the keeper has written to standard error so far.
        public var stderr: String {
            let err = (try? Data(contentsOf: errorLog)) ?? Data()  // an unreadable log reads as empty: the status still tells
            return String(decoding: err, as: UTF8.self)
        }

        /// Sends SIGTERM (unless it has exited already) and waits for the exit; a keeper still
        /// running a minute later is killed (SIGKILL, status 9) and its log says so, so that a
        /// keeper that does not stop fails its test instead of hanging the run.
        public func terminate() -> Result {
            process.terminate()
            if let ended = process.waitUntilExit(seconds: 60) { return Result(status: ended.status, stdout: "", stderr: stderr) }
            process.send(SIGKILL)
            let killed = process.waitUntilExit()
            return Result(status: killed.status, stdout: "", stderr: stderr + "\n[test] lg-keeper did not exit within 60 s of SIGTERM: killed\n")
        }

        /// Waits up to `seconds` for the process to end by itself; how it ended, or nil while it still runs.
        public func waitForExit(seconds: TimeInterval) async throws -> Subprocess.Termination? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning {
                guard Date() < deadline else { return nil }
                try await Task.sleep(for: .milliseconds(20))
            }
            return process.waitUntilExit()
        }
    }

    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Running {
        let errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("lg-keeper-\(UUID().uuidString).log")
        let process = try Subprocess(path, arguments, environment: minimalEnvironment(environment), stderr: .file(errorLog.path))
        return Running(process: process, errorLog: errorLog)
    }

    /// `environment` added to a minimal one (no inherited secrets).
    static func minimalEnvironment(_ environment: [String: String]) -> [String: String] {
        ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(environment) { _, new in new }
    }
}
