import Foundation

/// Where whole lines go. The standard one writes each line and its newline to stderr in one `write(2)`,
/// so that lines from several threads never interleave.
public struct LogSink: Sendable {
    let write: @Sendable (String) -> Void
    let isDiscard: Bool

    /// A sink that hands each line (without its newline) to `write`; tests collect lines this way.
    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
        isDiscard = false
    }

    private init(discard: Void) {
        write = { _ in }
        isDiscard = true
    }

    public static let discard = LogSink(discard: ())

    /// Standard error, one `write(2)` per line (retried on a short write).
    public static let standardError = LogSink { line in
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
