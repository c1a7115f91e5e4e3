import Synchronization

/// How far OKX's clock is ahead of this host's, per base URL, as measured after a 50102.
///
/// OKX refuses a request whose `OK-ACCESS-TIMESTAMP` differs from its time by more than 30 s:
/// "The server rejects requests where this differs from server time by more than 30 seconds
/// (error 50102) … Synchronise with GET /api/v5/public/time"
/// (https://www.okx.com/docs-v5/en/#overview-rest-authentication). Every client of one host
/// shares the offset, so one measurement corrects them all until the next 50102.
public final class OKXClockOffset: Sendable {
    /// The process-wide offsets.
    public static let shared = OKXClockOffset()

    private let offsets = Mutex<[String: Int64]>([:])

    public init() {}

    /// OKX's time minus this host's, in milliseconds (0 until a skew was measured).
    public func milliseconds(for baseURL: String) -> Int64 {
        offsets.withLock { $0[baseURL] ?? 0 }
    }

    /// Records a measurement for `baseURL`.
    public func set(_ milliseconds: Int64, for baseURL: String) {
        offsets.withLock { $0[baseURL] = milliseconds }
    }
}
