import Crypto
import Foundation

/// Signs OKX v5 REST requests as OKX documents it [overview-rest-authentication]:
/// `OK-ACCESS-SIGN = base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + body))`,
/// where the request path includes the query string and the body is empty for GET.
public struct OKXSigner: Sendable {
    private let secretKey: [UInt8]

    public init(secretKey: String) {
        self.secretKey = Array(secretKey.utf8)
    }

    /// The base64 signature for one request.
    /// - Parameters:
    ///   - timestamp: as sent in `OK-ACCESS-TIMESTAMP`, e.g. `2020-12-08T09:08:57.715Z`.
    ///   - method: `GET` or `POST` (uppercased here).
    ///   - requestPath: path and query, e.g. `/api/v5/trade/order?ordId=1&instId=BTC-USDT`.
    ///   - body: the exact JSON body sent, or empty.
    public func signature(timestamp: String, method: String, requestPath: String, body: String = "") -> String {
        let prehash = timestamp + method.uppercased() + requestPath + body
        return Data(HMACSHA256.authenticate(Array(prehash.utf8), key: secretKey)).base64EncodedString()
    }

    /// OKX's timestamp format: UTC ISO-8601 with milliseconds and `Z`.
    public static func timestamp(for date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = milliseconds / 1000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                      Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(milliseconds % 1000))
    }
}
