import Wire

/// What to read from `GET /api/v5/account/positions-history`; every filter optional.
public struct OKXPositionsHistoryQuery: Sendable, Equatable {
    public var instrumentID: String?
    /// `SWAP`, `FUTURES`, `MARGIN` or `OPTION`; derived from `instrumentID` when nil.
    public var instrumentType: String?
    /// `cross` or `isolated`.
    public var marginMode: String?
    public var closeType: OKXPositionHistory.CloseType?
    public var positionID: String?
    /// Earliest `uTime` wanted, inclusive (epoch ms).
    public var from: Int64?
    /// Latest `uTime` wanted, inclusive (epoch ms).
    public var to: Int64?
    /// Records per request: OKX allows at most 100.
    public var pageSize: Int
    /// A bound on requests for one read; reaching it marks the response incomplete.
    public var maximumPages: Int

    public init(instrumentID: String? = nil, instrumentType: String? = nil, marginMode: String? = nil,
                closeType: OKXPositionHistory.CloseType? = nil, positionID: String? = nil,
                from: Int64? = nil, to: Int64? = nil, pageSize: Int = 100, maximumPages: Int = 50) {
        self.instrumentID = instrumentID
        self.instrumentType = instrumentType
        self.marginMode = marginMode
        self.closeType = closeType
        self.positionID = positionID
        self.from = from
        self.to = to
        self.pageSize = min(max(pageSize, 1), 100)
        self.maximumPages = max(maximumPages, 1)
    }
}

/// What to read from `GET /api/v5/trade/fills` (last 3 days) or `/fills-history` (3 months).
public struct OKXFillsQuery: Sendable, Equatable {
    public var instrumentID: String?
    /// Required by fills-history; derived from `instrumentID` when nil.
    public var instrumentType: String?
    public var orderID: String?
    /// Use fills-history (3 months, 10 / 2 s) rather than fills (3 days, 60 / 2 s).
    public var history: Bool
    public var pageSize: Int
    public var maximumPages: Int

    public init(instrumentID: String? = nil, instrumentType: String? = nil, orderID: String? = nil,
                history: Bool = true, pageSize: Int = 100, maximumPages: Int = 20) {
        self.instrumentID = instrumentID
        self.instrumentType = instrumentType
        self.orderID = orderID
        self.history = history
        self.pageSize = min(max(pageSize, 1), 100)
        self.maximumPages = max(maximumPages, 1)
    }
}

extension OKXClient: Exchange {
    public var exchangeName: String { "okx" }

    /// `GET /api/v5/trade/order`: the order, if it belongs to this key's account. OKX answers
    /// 51603 for an unknown order, a wrong instId and another account's order alike; trade/order
    /// also stops serving old orders (its retention is not documented), so a 51603 is checked
    /// against `orders-history-archive`, which keeps completed orders for 3 months
    /// (https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-history-last-3-months).
    /// Found in neither: NOT_FOUND.
    public func order(id: String, instrumentID: String) async throws(OKXError) -> ExchangeResponse<OKXOrder> {
        try Self.check(orderID: id, endpoint: .order)
        try Self.check(instrumentID: instrumentID, endpoint: .order)
        let raw: RawExchangeResponse
        do {
            raw = try await get(.order, [("ordId", id), ("instId", instrumentID)])
        } catch where error.okxCode == "51603" {
            return try await archivedOrder(id: id, instrumentID: instrumentID, notFound: error)
        }
        let orders = try Self.decode(raw, as: OKXOrder.init(json:)).filter { $0.ordId == id && $0.instId == instrumentID }
        guard !orders.isEmpty else {
            throw Self.notFound("51603", msg: "Order does not exist.", endpoint: .order,
                                request: ["ordId": id, "instId": instrumentID])
        }
        return ExchangeResponse(items: orders, pages: [raw])
    }

    public func positionsHistory(instrumentID: String, from: Int64?, to: Int64?) async throws(OKXError) -> ExchangeResponse<OKXPositionHistory> {
        try Self.check(instrumentID: instrumentID, endpoint: .positionsHistory)
        return try await positionsHistory(OKXPositionsHistoryQuery(instrumentID: instrumentID, from: from, to: to))
    }

    /// `GET /api/v5/account/positions-history`, every page: newest first by `uTime`, paged with
    /// `after` (records older than) and bounded by `before` (records newer than). Consecutive
    /// pages overlap at the oldest `uTime` so that records sharing it are not skipped; the
    /// overlap is removed by `posId` and `uTime`.
    public func positionsHistory(_ query: OKXPositionsHistoryQuery) async throws(OKXError) -> ExchangeResponse<OKXPositionHistory> {
        var fixed: [(name: String, value: String)] = []
        let type = query.instrumentType ?? query.instrumentID.map(OKXInstrument.type(of:)).flatMap { $0 == "SPOT" ? "MARGIN" : $0 }
        if let type { fixed.append(("instType", type)) }
        if let instrumentID = query.instrumentID { fixed.append(("instId", instrumentID)) }
        if let marginMode = query.marginMode { fixed.append(("mgnMode", marginMode)) }
        if let closeType = query.closeType { fixed.append(("type", closeType.rawValue)) }
        if let positionID = query.positionID { fixed.append(("posId", positionID)) }

        var upper = query.to.map { $0 + 1 }     // `after`: uTime < upper
        let lower = query.from.map { $0 - 1 }   // `before`: uTime > lower
        var items: [OKXPositionHistory] = []
        var seen = Set<String>()
        var pages: [RawExchangeResponse] = []
        while pages.count < query.maximumPages {
            var parameters = fixed
            if let upper { parameters.append(("after", String(upper))) }
            if let lower { parameters.append(("before", String(lower))) }
            parameters.append(("limit", String(query.pageSize)))
            let raw = try await get(.positionsHistory, parameters)
            pages.append(raw)
            let page = try Self.decode(raw, as: OKXPositionHistory.init(json:))
            var added = 0
            for record in page where seen.insert("\(record.posId)/\(record.uTime)/\(record.type.rawValue)").inserted {
                items.append(record)
                added += 1
            }
            guard page.count >= query.pageSize, let oldest = page.map(\.uTime).min() else {
                return ExchangeResponse(items: items, pages: pages)
            }
            // Overlap by one millisecond while that makes progress; if a whole page shared one
            // uTime, step past it.
            upper = added > 0 ? oldest + 1 : oldest
        }
        return ExchangeResponse(items: items, pages: pages, isComplete: false)
    }

    /// `GET /api/v5/public/instruments` for one instrument (unsigned; limited per IP).
    /// An unknown or delisted instrument is NOT_FOUND. For an option `instFamily` is sent too:
    /// "If instType is `OPTION`, `instFamily` is required"
    /// (https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments).
    public func instrument(id: String) async throws(OKXError) -> ExchangeResponse<OKXInstrument> {
        try Self.check(instrumentID: id, endpoint: .instruments)
        let type = OKXInstrument.type(of: id)
        var query: [(name: String, value: String)] = [("instType", type)]
        if type == "OPTION", let family = OKXInstrument.family(of: id) { query.append(("instFamily", family)) }
        query.append(("instId", id))
        let cacheKey = "\(configuration.baseURL) \(id)"
        let raw: RawExchangeResponse
        if let cached = publicCache?.answer(cacheKey, now: clock()) {
            raw = cached
        } else {
            raw = try await get(.instruments, query)
        }
        let instruments = try Self.decode(raw, as: OKXInstrument.init(json:)).filter { $0.instId == id }
        guard !instruments.isEmpty else {
            throw Self.notFound("51001", msg: "Instrument ID, Instrument ID code or Spread ID doesn't exist.", endpoint: .instruments, request: ["instId": id])
        }
        if raw.attempts > 0 { publicCache?.store(raw, as: cacheKey) }
        return ExchangeResponse(items: instruments, pages: [raw])
    }

    /// Fills, newest first, every page (paged with `after` on `billId`). Liquidation and ADL
    /// fills are recognisable by `OKXFill.isForced`.
    public func fills(_ query: OKXFillsQuery) async throws(OKXError) -> ExchangeResponse<OKXFill> {
        let endpoint: OKXEndpoint = query.history ? .fillsHistory : .fills
        var fixed: [(name: String, value: String)] = []
        if let type = query.instrumentType ?? query.instrumentID.map(OKXInstrument.type(of:)) {
            fixed.append(("instType", type))
        } else if query.history {
            fixed.append(("instType", "SWAP"))
        }
        if let instrumentID = query.instrumentID {
            try Self.check(instrumentID: instrumentID, endpoint: endpoint)
            fixed.append(("instId", instrumentID))
        }
        if let orderID = query.orderID {
            try Self.check(orderID: orderID, endpoint: endpoint)
            fixed.append(("ordId", orderID))
        }
        var after: String?
        var items: [OKXFill] = []
        var pages: [RawExchangeResponse] = []
        while pages.count < query.maximumPages {
            var parameters = fixed
            if let after { parameters.append(("after", after)) }
            parameters.append(("limit", String(query.pageSize)))
            let raw = try await get(endpoint, parameters)
            pages.append(raw)
            let page = try Self.decode(raw, as: OKXFill.init(json:))
            items += page
            guard page.count >= query.pageSize, let last = page.last else { return ExchangeResponse(items: items, pages: pages) }
            after = last.billId
        }
        return ExchangeResponse(items: items, pages: pages, isComplete: false)
    }

    /// `GET /api/v5/account/config`: the requesting key's permissions (`perm`) and its account's
    /// uid, e.g. to refuse a key that can trade or withdraw before it is stored. A refused key fails as
    /// every signed read does: AUTH_ERROR with OKX's code (50105 passphrase, 50113 secret, 50111, 50119…).
    public func accountConfig() async throws(OKXError) -> OKXAccountConfig {
        let raw = try await get(.accountConfig, [])
        let configs = try Self.decode(raw, as: OKXAccountConfig.init(json:))
        guard configs.count == 1, let config = configs.first else {
            throw OKXError.malformed("account/config answered \(configs.count) records, not 1", status: raw.status,
                                     endpoint: OKXEndpoint.accountConfig.path)
        }
        return config
    }

    /// `GET /api/v5/public/time`: OKX's clock in epoch milliseconds, to measure this host's skew.
    public func serverTime() async throws(OKXError) -> Int64 {
        let raw = try await get(.time, [])
        guard let text = raw.json["data"]?[0]?["ts"]?.stringValue, let ts = Int64(text) else {
            throw OKXError.malformed("public/time has no ts", status: raw.status, endpoint: OKXEndpoint.time.path)
        }
        return ts
    }

    // MARK: Helpers

    package static func decode<T>(_ raw: RawExchangeResponse, as make: (JSON) throws(OKXDecodingError) -> T) throws(OKXError) -> [T] {
        let data = raw.json["data"]?.arrayValue ?? []
        do {
            return try data.map { item throws(OKXDecodingError) in try make(item) }
        } catch {
            throw OKXError.malformed(error.description, status: raw.status, endpoint: raw.endpoint)
        }
    }

    static func notFound(_ okxCode: String, msg: String, endpoint: OKXEndpoint, request: [String: String]) -> OKXError {
        OKXError(code: .notFound, okxCode: okxCode, httpStatus: 200, msg: msg,
                 hint: OKXError.hint(code: .notFound, okxCode: okxCode, status: 200, request: request),
                 endpoint: endpoint.path)
    }

    /// OKX order IDs are decimal digits.
    static func check(orderID: String, endpoint: OKXEndpoint) throws(OKXError) {
        guard !orderID.isEmpty, orderID.count <= 32, orderID.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw invalid("ordId must be OKX's numeric order ID", endpoint: endpoint)
        }
    }

    /// OKX instrument IDs are letters, digits, dashes and underscores, e.g. `BTC-USDT-SWAP` and the
    /// USD-margined `BTC-USD_UM-SWAP` (https://www.okx.com/docs-v5/en/#overview-general-info).
    static func check(instrumentID: String, endpoint: OKXEndpoint) throws(OKXError) {
        let allowed = instrumentID.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == 0x2D || byte == 0x5F
        }
        guard !instrumentID.isEmpty, instrumentID.count <= 64, allowed else {
            throw invalid("instId must look like BTC-USDT-SWAP", endpoint: endpoint)
        }
    }

    private static func invalid(_ reason: String, endpoint: OKXEndpoint) -> OKXError {
        OKXError(code: .remote4xx, okxCode: nil, httpStatus: nil, msg: reason,
                 hint: "Check the claim's ordId (digits) and instId (e.g. BTC-USDT-SWAP); nothing was sent to OKX.",
                 endpoint: endpoint.path, attempts: 0)
    }
}
