import Foundation
import Synchronization

/// A child process of the test run: spawned so that it inherits nothing but its standard streams,
/// and waited for with `waitid`/`waitpid`.
///
/// Foundation's `Process` is not used for children. On Linux it learns that a child ended when a
/// socket shared with the child reaches end of file, and it spawns with a list of descriptors to
/// close that it took before the spawn. A child that another thread spawns in between inherits the
/// first child's socket (and pipes); when that child is a server shared by the whole test run, the
/// first child's exit is never noticed and `waitUntilExit` waits until the run is killed — as CI's
/// did (stop 23: a keeper's `terminate()` and a devnet's `stop()` waiting for 90 minutes). Here each
/// child closes every descriptor above 2 as it starts (`posix_spawn_file_actions_addclosefrom_np`),
/// our own pipes are close-on-exec, and the exit is read from the kernel.
public final class Subprocess: @unchecked Sendable {
    /// Where a standard stream of the child goes.
    public enum Stream: Sendable {
        /// /dev/null.
        case null
        /// The test process's own stream.
        case inherit
        /// A pipe whose other end the parent reads (or, for standard input, writes): `output`, `errors`, `input`.
        case pipe
        /// A file, opened for appending and made (0600) if missing (standard input: for reading).
        case file(String)
    }

    /// How a child ended: its exit status, or the signal that killed it.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case killed(signal: Int32)

        /// The exit status, or the number of the signal, as Foundation's `terminationStatus`.
        public var status: Int32 {
            switch self {
            case .exited(let status): status
            case .killed(let signal): signal
            }
        }

        public var description: String {
            switch self {
            case .exited(let status): "exited \(status)"
            case .killed(let signal): "killed by signal \(signal)"
            }
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let pid: pid_t
    /// The parent's ends of the pipes asked for (nil where the stream is not `.pipe`).
    public let input: FileHandle?
    public let output: FileHandle?
    public let errors: FileHandle?
    private let ended = Mutex<Termination?>(nil)

    /// Starts `executable` with `arguments`; `environment` nil inherits the test process's.
    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                workingDirectory: String? = nil,
                stdin: Stream = .null, stdout: Stream = .null, stderr: Stream = .inherit) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var childEnds: [Int32] = []
        defer { for fd in childEnds { close(fd) } }
        var parentEnds: [Int32: Int32] = [:]
        do {
            for (target, stream) in [(STDIN_FILENO, stdin), (STDOUT_FILENO, stdout), (STDERR_FILENO, stderr)] {
                switch stream {
                case .inherit:
                    break
                case .null:
                    posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
                case .file(let path):
                    posix_spawn_file_actions_addopen(&actions, target, path, target == STDIN_FILENO ? O_RDONLY : O_WRONLY | O_APPEND | O_CREAT, 0o600)
                case .pipe:
                    var ends: [Int32] = [-1, -1]
                    guard pipe(&ends) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
                    for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
                    let (child, parent) = target == STDIN_FILENO ? (ends[0], ends[1]) : (ends[1], ends[0])
                    childEnds.append(child)
                    parentEnds[target] = parent
                    posix_spawn_file_actions_adddup2(&actions, child, target)  // dup2 clears close-on-exec on the target
                }
            }
            guard GNUSpawn.addCloseFrom(&actions, 3) == 0 else { throw Failure(description: "posix_spawn_file_actions_addclosefrom_np failed") }
            if let workingDirectory, GNUSpawn.addChdir(&actions, workingDirectory) != 0 {
                throw Failure(description: "posix_spawn_file_actions_addchdir_np(\(workingDirectory)) failed")
            }

            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            // The default action for the signals a test stops children with (a test runner may
            // start us with some ignored, which exec would keep), and nothing blocked.
            var defaults = sigset_t(), none = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
            sigemptyset(&none)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setsigmask(&attributes, &none)
            posix_spawnattr_setpgroup(&attributes, 0)  // its own process group, as Foundation's Process
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

            let argv = ([executable] + arguments).map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
            defer { for pointer in envp ?? [] { free(pointer) } }
            var pid: pid_t = 0
            let result = argv.withUnsafeBufferPointer { argvBuffer in
                if let envp {
                    envp.withUnsafeBufferPointer { posix_spawn(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, $0.baseAddress!) }
                } else {
                    posix_spawn(&pid, executable, &actions, &attributes, argvBuffer.baseAddress!, environ)
                }
            }
            guard result == 0 else { throw Failure(description: "could not start \(executable): \(String(cString: strerror(result)))") }
            self.pid = pid
        } catch {
            for fd in parentEnds.values { close(fd) }
            throw error
        }
        input = parentEnds[STDIN_FILENO].map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
        output = parentEnds[STDOUT_FILENO].map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
        errors = parentEnds[STDERR_FILENO].map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
    }

    /// How it ended, or nil while it runs (does not wait).
    public var termination: Termination? { reap(waiting: false) }

    public var isRunning: Bool { termination == nil }

    /// Waits for the child to end.
    @discardableResult
    public func waitUntilExit() -> Termination {
        // Wait without reaping, so that any number of threads may wait; one of them then reaps.
        var info = siginfo_t()
        while ended.withLock({ $0 == nil }), waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1, errno == EINTR {}
        guard let termination = reap(waiting: true) else { fatalError("waitpid(\(pid)) did not report the exit waitid saw") }
        return termination
    }

    /// Waits up to `seconds` for the child to end; how it ended, or nil while it still runs.
    public func waitUntilExit(seconds: TimeInterval) -> Termination? {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning, Date() < deadline { usleep(10_000) }
        return termination
    }

    /// Sends `signal` unless the child has been reaped already (its pid may then be another's).
    public func send(_ signal: Int32) {
        ended.withLock { if $0 == nil { _ = kill(pid, signal) } }
    }

    /// SIGTERM.
    public func terminate() { send(SIGTERM) }

    /// Writes `data` to standard input and closes it; then reads standard output and error to
    /// their ends (both at once, so that neither pipe fills) and waits for the exit.
    public func communicate(_ data: Data? = nil) throws -> (termination: Termination, stdout: Data, stderr: Data) {
        if let input {
            if let data { try input.write(contentsOf: data) }
            try input.close()
        }
        var collected: [Int32: Data] = [:]
        var open = [output, errors].compactMap { $0?.fileDescriptor }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { throw Failure(description: "poll: \(String(cString: strerror(errno)))") }
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count > 0 { collected[entry.fd, default: Data()].append(contentsOf: buffer[0..<count]) }
                else if count == 0 || errno != EINTR { open.removeAll { $0 == entry.fd } }
            }
        }
        let termination = waitUntilExit()
        return (termination, output.flatMap { collected[$0.fileDescriptor] } ?? Data(), errors.flatMap { collected[$0.fileDescriptor] } ?? Data())
    }

    /// Runs `executable` to its end with `input` on standard input, collecting both outputs.
    public static func run(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
                           workingDirectory: String? = nil, input: Data? = nil) throws -> (termination: Termination, stdout: Data, stderr: Data) {
        let child = try Subprocess(executable, arguments, environment: environment, workingDirectory: workingDirectory,
                                   stdin: input == nil ? .null : .pipe, stdout: .pipe, stderr: .pipe)
        return try child.communicate(input)
    }

    private func reap(waiting: Bool) -> Termination? {
        ended.withLock { ended in
            if let ended { return ended }
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &status, waiting ? 0 : WNOHANG) } while result == -1 && errno == EINTR
            guard result == pid else { return nil }
            let signal = status & 0x7f
            ended = signal == 0 ? .exited((status >> 8) & 0xff) : .killed(signal: signal)
            return ended
        }
    }
}

/// glibc's `posix_spawn` extensions (2.29 and 2.34), which Swift's Glibc module, built without
/// `_GNU_SOURCE`, does not declare: looked up by name in the C library already loaded.
private enum GNUSpawn {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static let addCloseFrom: AddCloseFrom = function("posix_spawn_file_actions_addclosefrom_np")
    static let addChdir: AddChdir = function("posix_spawn_file_actions_addchdir_np")

    private static func function<F>(_ name: String) -> F {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else { fatalError("\(name) is not in this C library (glibc 2.34 or later needed)") }
        return unsafeBitCast(symbol, to: F.self)
    }
}
