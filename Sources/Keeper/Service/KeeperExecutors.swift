import Store

/// The keeper's own threads, where blocking SQLite and file I/O run instead of Swift's cooperative
/// pool (README, "Concurrency model").
public enum KeeperExecutors {
    /// The one writer (GRDB's writer queue): `lg-keeper` runs every command — `run`'s loop included —
    /// under `withTaskExecutorPreference(writer)`, so the loop, the nonisolated async functions it
    /// awaits and their child tasks run on this thread, and the keeper's writes are serial.
    public static let writer = ThreadPoolExecutor(name: "lgk-writer")

    /// Sixteen threads for the blocking I/O of concurrent work (a verification writing its evidence
    /// file with fsync and its row, which waits for SQLite's write lock while the writer commits): run
    /// it under `withTaskExecutorPreference(blockingIO)`, or add it to a task group with
    /// `executorPreference: blockingIO`. With four, a cascade's verifications queued behind evidence
    /// writes waiting for the lock (BENCHMARKS.md, liquidation cascade).
    public static let blockingIO = ThreadPoolExecutor(name: "lgk-io", threads: 16)
}
