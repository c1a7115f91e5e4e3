import Foundation

/// Where a keystore password comes from: `LGK_KEYSTORE_PASSWORD`, else a prompt on the
/// terminal with echo off. Never from argv.
enum PasswordSource {
    static let environmentVariable = "LGK_KEYSTORE_PASSWORD"

    /// - Parameter confirm: ask twice and require the same answer (for new keystores).
    static func keystorePassword(confirm: Bool) throws -> String {
        if let password = ProcessInfo.processInfo.environment[environmentVariable] {
            guard !password.isEmpty else { throw CommandFailure(.config, "\(environmentVariable) is set but empty") }
            return password
        }
        guard let first = try prompt("Keystore password: ") else {
            throw CommandFailure(.config, "no terminal to ask for the password: set \(environmentVariable)")
        }
        guard !first.isEmpty else { throw CommandFailure(.usage, "the password must not be empty") }
        if confirm {
            guard try prompt("Repeat password: ") == first else { throw CommandFailure(.usage, "the passwords do not match") }
        }
        return first
    }

    /// Reads one line from /dev/tty with echo turned off; nil when there is no terminal.
    private static func prompt(_ text: String) throws -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var original = termios()
        guard tcgetattr(fd, &original) == 0 else { return nil }
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        _ = write(fd, text, text.utf8.count)
        tcsetattr(fd, TCSAFLUSH, &silent)
        defer {
            tcsetattr(fd, TCSAFLUSH, &original)
            _ = write(fd, "\n", 1)
        }
        var bytes = [UInt8]()
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != 0x0A { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes of stdin's first line (without its newline), at most `limit`; when stdin is a terminal,
    /// `prompt` goes to stderr and the typed line is not echoed.
    static func firstLineOfStandardInput(prompt text: String, limit: Int) throws -> [UInt8] {
        let terminal = isatty(STDIN_FILENO) == 1
        var original = termios()
        if terminal, tcgetattr(STDIN_FILENO, &original) == 0 {
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            FileHandle.standardError.write(Data(text.utf8))
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        }
        defer {
            if terminal {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        var bytes = [UInt8]()
        var byte: UInt8 = 0
        while bytes.count < limit, read(STDIN_FILENO, &byte, 1) == 1, byte != 0x0A { bytes.append(byte) }
        byte = 0
        return bytes
    }
}
