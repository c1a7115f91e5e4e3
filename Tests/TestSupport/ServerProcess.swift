import Foundation

/// A server (a Python script of devnet/, or `lg-bench serve`) started for one test suite on a
/// free loopback port and always stopped: by `stop()` or, failing that, when the value is released.
///
/// It must print a line containing `listening on http://127.0.0.1:PORT` once it accepts
/// connections. The devnet scripts also exit when their standard input closes (see
/// `stop_with_parent` in devnet/httpfixture.py), so that a crashed test run leaves nothing behind.
public final class ServerProcess: @unchecked Sendable {
    public let baseURL: String
    public let port: Int
    /// The server; the parent's end of its standard input is its lifeline: the server exits when it closes.
    private let process: Subprocess

    /// Starts `devnet/<script>` with `arguments` and waits up to `timeout` seconds for it to listen.
    public convenience init(script: String, arguments: [String] = [], timeout: TimeInterval = 60) throws {
        let python = ReferencePython.interpreter
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ReferencePython.Failure(description: "no Python at \(python): run `make venv` (or set LGK_PYTHON)")
        }
        try self.init(executable: python, arguments: [ReferencePython.repositoryRoot.appendingPathComponent("devnet/\(script)").path] + arguments,
                      timeout: timeout)
    }

    /// Starts `executable` with `arguments` and waits up to `timeout` seconds for it to listen.
    public init(executable: String, arguments: [String], timeout: TimeInterval = 60) throws {
        let command = ([URL(fileURLWithPath: executable).lastPathComponent] + arguments).joined(separator: " ")
        let process = try Subprocess(executable, arguments, stdin: .pipe, stdout: .pipe, stderr: .inherit)
        self.process = process

        let deadline = Date().addingTimeInterval(timeout)
        var seen = ""
        let reader = process.output!
        var found: Int?
        while found == nil, Date() < deadline, process.isRunning {
            let chunk = reader.availableData
            if chunk.isEmpty { Thread.sleep(forTimeInterval: 0.02); continue }
            seen += String(decoding: chunk, as: UTF8.self)
            if let range = seen.range(of: "listening on http://127.0.0.1:") {
                let digits = seen[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), seen[range.upperBound...].count > digits.count { found = port }
            }
        }
        guard let port = found else {
            process.send(SIGKILL)
            process.waitUntilExit()
            throw ReferencePython.Failure(description: "`\(command)` did not start listening within \(Int(timeout)) s; it printed: \(seen)")
        }
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)"
        // Keep draining stdout so the child never blocks on a full pipe.
        reader.readabilityHandler = { handle in _ = handle.availableData }
    }

    /// Freezes the process (SIGSTOP): its socket still accepts connections but nothing answers, as a hung node.
    public func suspend() { process.send(SIGSTOP) }

    /// Lets a suspended process run again (SIGCONT).
    public func resume() { process.send(SIGCONT) }

    /// Sends SIGTERM, and SIGKILL if the server has not exited within five seconds.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        process.send(SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
