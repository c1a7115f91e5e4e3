import Foundation
import Testing
@testable import OKX

@Suite struct OKXSignerTests {
    // Known answers from OKX's documentation as recorded in shared/OKX.md.
    let signer = OKXSigner(secretKey: "22582BD0CFF14C41EDBF1AB98506286D")
    let timestamp = "2020-12-08T09:08:57.715Z"

    @Test func balanceExampleIncludesTheQueryString() {
        #expect(signer.signature(timestamp: timestamp, method: "GET", requestPath: "/api/v5/account/balance?ccy=BTC")
                == "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY=")
    }

    @Test func orderExample() {
        #expect(signer.signature(timestamp: timestamp, method: "get",
                                 requestPath: "/api/v5/trade/order?ordId=680800019749904384&instId=BTC-USDT")
                == "/OJUZK6ukjVJUGx9U0OheAtOmW2GkdJ7clAs8OK5fds=")
    }

    @Test func signatureDependsOnEveryPart() {
        let base = signer.signature(timestamp: timestamp, method: "GET", requestPath: "/api/v5/account/balance?ccy=BTC")
        #expect(signer.signature(timestamp: timestamp, method: "GET", requestPath: "/api/v5/account/balance") != base)
        #expect(signer.signature(timestamp: timestamp, method: "POST", requestPath: "/api/v5/account/balance?ccy=BTC") != base)
        #expect(signer.signature(timestamp: timestamp, method: "GET", requestPath: "/api/v5/account/balance?ccy=BTC", body: "{}") != base)
    }

    @Test func timestampHasMillisecondsAndZ() {
        // 2020-12-08T09:08:57.715Z is 1607418537715 ms after the epoch.
        #expect(OKXSigner.timestamp(for: Date(timeIntervalSince1970: 1_607_418_537.715_4)) == "2020-12-08T09:08:57.715Z")
        #expect(OKXSigner.timestamp(for: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }
}
