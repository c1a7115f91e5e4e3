import Foundation
import TestSupport

/// A child process of a test (lg-keeper, lg-bench), run to its end.
enum ChildProcess {
    /// Runs a process to its end.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let ended = try Subprocess.run(executable, arguments)
        return (ended.termination.status, String(decoding: ended.stdout, as: UTF8.self), String(decoding: ended.stderr, as: UTF8.self))
    }
}
