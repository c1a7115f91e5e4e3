/// One deadline for a whole round of work against the node: once it has passed, a failed read is
/// not retried, by the client or by its callers, so a hung node costs one request timeout, not the
/// product of every layer's retries (issue 14). Calls still start after it: only retries stop.
public enum RPCDeadline {
    /// The running task's deadline; nil outside a round (start-up checks, one-off commands).
    @TaskLocal public static var current: ContinuousClock.Instant?

    /// True when the running task has a deadline and it has passed.
    public static var hasPassed: Bool { current.map { ContinuousClock.now >= $0 } ?? false }
}
