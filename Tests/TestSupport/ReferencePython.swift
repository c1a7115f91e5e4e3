import Foundation

/// Runs a Python snippet in the devnet venv, where the reference libraries live (eth-abi, rlp,
/// eth-account, web3). Cross-check tests compare our bytes with theirs.
///
/// The interpreter is `$LGK_PYTHON` (set by `make test`) or `devnet/.venv/bin/python`.
public enum ReferencePython {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The repository root, found from this file's path.
    public static let repositoryRoot: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    public static var interpreter: String {
        if let path = ProcessInfo.processInfo.environment["LGK_PYTHON"], !path.isEmpty { return path }
        return repositoryRoot.appendingPathComponent("devnet/.venv/bin/python").path
    }

    /// Runs `script` with `stdin` as standard input; returns standard output, trimmed.
    /// Throws with the script's standard error if it exits non-zero.
    public static func run(_ script: String, stdin: String = "") throws -> String {
        try execute(["-c", script], stdin: stdin)
    }

    /// Runs the Python file `devnet/<name>` with `arguments`; returns standard output, trimmed.
    public static func runDevnetScript(_ name: String, _ arguments: [String]) throws -> String {
        try execute([repositoryRoot.appendingPathComponent("devnet/\(name)").path] + arguments, stdin: "")
    }

    private static func execute(_ arguments: [String], stdin: String) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: interpreter) else {
            throw Failure(description: "no Python at \(interpreter): run `make venv` (or set LGK_PYTHON)")
        }
        let ended = try Subprocess.run(interpreter, arguments, input: Data(stdin.utf8))
        guard ended.termination == .exited(0) else {
            throw Failure(description: "python \(ended.termination): \(String(decoding: ended.stderr, as: UTF8.self))")
        }
        return String(decoding: ended.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
