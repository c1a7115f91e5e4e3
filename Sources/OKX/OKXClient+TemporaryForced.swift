// TEMPORARY (lead's engine branch, until the okx branch lands its implementation): delete at merge.
extension OKXClient {
    public func forcedOrders(instrumentID: String, from: Int64, to: Int64?) async throws(OKXError) -> ExchangeResponse<OKXOrder> {
        var items: [OKXOrder] = []
        var pages: [RawExchangeResponse] = []
        for category in ["full_liquidation", "partial_liquidation", "adl"] {
            let raw = try await get(.ordersHistory, [("instType", OKXInstrument.type(of: instrumentID)), ("instId", instrumentID), ("category", category)])
            pages.append(raw)
            items += try Self.decode(raw, as: OKXOrder.init(json:))
        }
        return ExchangeResponse(items: items, pages: pages)
    }

    public func fills(orderID: String, instrumentID: String) async throws(OKXError) -> ExchangeResponse<OKXFill> {
        try await fills(OKXFillsQuery(instrumentID: instrumentID, orderID: orderID, history: true))
    }
}
