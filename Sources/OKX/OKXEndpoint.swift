/// An OKX v5 REST endpoint the keeper reads, with OKX's published rate limit for it.
public struct OKXEndpoint: Sendable, Hashable {
    /// The path, e.g. `/api/v5/trade/order`.
    public let path: String
    /// The published limit: at most `limit.requests` per `limit.window` per subject.
    public let limit: OKXRateLimit
    /// True when requests are signed with the account's key.
    public let isPrivate: Bool

    /// `GET /api/v5/public/time`: 10 / 2 s per IP.
    public static let time = OKXEndpoint(path: "/api/v5/public/time", limit: .init(requests: 10, scope: .ip), isPrivate: false)
    /// `GET /api/v5/public/instruments`: 20 / 2 s per IP and instrument type.
    public static let instruments = OKXEndpoint(path: "/api/v5/public/instruments",
                                                limit: .init(requests: 20, scope: .ipAndInstrumentType), isPrivate: false)
    /// `GET /api/v5/trade/order`: 60 / 2 s per user and instrument.
    public static let order = OKXEndpoint(path: "/api/v5/trade/order",
                                          limit: .init(requests: 60, scope: .userAndInstrument), isPrivate: true)
    /// `GET /api/v5/account/positions-history`: 10 / 2 s per user.
    public static let positionsHistory = OKXEndpoint(path: "/api/v5/account/positions-history",
                                                     limit: .init(requests: 10, scope: .user), isPrivate: true)
    /// `GET /api/v5/trade/orders-history` (last 7 days): 40 / 2 s per user
    /// (https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-history-last-7-days).
    public static let ordersHistory = OKXEndpoint(path: "/api/v5/trade/orders-history",
                                                  limit: .init(requests: 40, scope: .user), isPrivate: true)
    /// `GET /api/v5/trade/orders-history-archive` (last 3 months): 20 / 2 s per user
    /// (https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-history-last-3-months).
    public static let ordersHistoryArchive = OKXEndpoint(path: "/api/v5/trade/orders-history-archive",
                                                         limit: .init(requests: 20, scope: .user), isPrivate: true)
    /// `GET /api/v5/trade/fills` (last 3 days): 60 / 2 s per user.
    public static let fills = OKXEndpoint(path: "/api/v5/trade/fills", limit: .init(requests: 60, scope: .user), isPrivate: true)
    /// `GET /api/v5/account/config`: "Rate Limit: 5 requests per 2 seconds", "Rate limit rule: User ID"
    /// (https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration).
    public static let accountConfig = OKXEndpoint(path: "/api/v5/account/config",
                                                  limit: .init(requests: 5, scope: .user), isPrivate: true)
    /// `GET /api/v5/trade/fills-history` (last 3 months): 10 / 2 s per user.
    public static let fillsHistory = OKXEndpoint(path: "/api/v5/trade/fills-history",
                                                 limit: .init(requests: 10, scope: .user), isPrivate: true)
}

/// One of OKX's published rate limits (shared/OKX.md, "Rate limits").
public struct OKXRateLimit: Sendable, Hashable {
    /// Whose budget a request spends: private endpoints are limited per user ID (each
    /// sub-account its own), public ones per IP.
    public enum Scope: Sendable, Hashable {
        case ip, ipAndInstrumentType, user, userAndInstrument
    }

    public let requests: Int
    public let window: Duration
    public let scope: Scope

    public init(requests: Int, window: Duration = .seconds(2), scope: Scope) {
        self.requests = max(1, requests)
        self.window = window
        self.scope = scope
    }
}
