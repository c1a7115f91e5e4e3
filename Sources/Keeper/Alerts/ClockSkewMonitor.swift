import OKX
import Synchronization

/// The clock skew the OKX clients measured after a 50102 ("Timestamp request expired": this host's
/// clock, not the key), kept until the service's next round raises `okx_clock_skew` for it. The
/// clients already correct their timestamps; the alert tells the operator to fix the host's clock.
public final class ClockSkewMonitor: Sendable {
    private let measured = Mutex<Int64?>(nil)

    public init() {}

    /// An observer for `OKXClient` that keeps each measured skew, and passes every record on to `next`.
    public func observer(passingTo next: (@Sendable (OKXRequestRecord) -> Void)?) -> @Sendable (OKXRequestRecord) -> Void {
        { record in
            if let skew = record.clockSkewMilliseconds { self.measured.withLock { $0 = skew } }
            next?(record)
        }
    }

    /// The skew measured since the last call (OKX's time minus this host's, ms), if any.
    public func take() -> Int64? {
        measured.withLock { value in
            defer { value = nil }
            return value
        }
    }
}
