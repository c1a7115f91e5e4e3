import Testing
import Wire
@testable import OKX

@Suite struct OKXErrorTests {
    // OKX's table in shared/OKX.md → the seed's classes.
    @Test(arguments: [
        ("50111", 401, OKXError.Code.authError), ("50113", 401, .authError), ("50105", 401, .authError),
        ("50102", 401, .authError), ("50110", 401, .authError), ("50119", 401, .authError), ("50120", 401, .authError),
        ("50101", 401, .authError), ("50101", 200, .authError), ("51603", 200, .notFound), ("51001", 200, .notFound),
        ("50011", 200, .rateLimit), ("50011", 429, .rateLimit), ("50013", 429, .rateLimit), ("50001", 503, .remote5xx),
        ("50026", 500, .remote5xx), ("50004", 400, .timeout), ("51000", 400, .remote4xx), ("50014", 400, .remote4xx),
        ("59999", 503, .remote5xx), ("59999", 400, .remote4xx),
    ])
    func okxCodesMapToTheSeedsClasses(okxCode: String, status: Int, expected: OKXError.Code) {
        #expect(OKXError.classify(okxCode: okxCode, httpStatus: status) == expected)
    }

    @Test(arguments: [(401, OKXError.Code.authError), (403, .authError), (429, .rateLimit), (404, .remote4xx),
                      (400, .remote4xx), (500, .remote5xx), (502, .remote5xx), (504, .remote5xx)])
    func statusesWithoutAnOKXCode(status: Int, expected: OKXError.Code) {
        #expect(OKXError.classify(okxCode: nil, httpStatus: status) == expected)
    }

    @Test func rawValuesAreTheSeedsStrings() {
        #expect(OKXError.Code.allCases.map(\.rawValue) == ["AUTH_ERROR", "NOT_FOUND", "RATE_LIMIT", "REMOTE_4XX", "REMOTE_5XX", "TIMEOUT"])
    }

    @Test func onlyTransientClassesAreRetryable() {
        for code in OKXError.Code.allCases {
            let error = OKXError(code: code, okxCode: nil, httpStatus: nil, msg: "", hint: "", endpoint: "/")
            #expect(error.isRetryable == [.rateLimit, .remote5xx, .timeout].contains(code))
        }
    }

    @Test(arguments: [
        ("50102", "check the host clock / NTP; OKX refuses timestamps more than 30 s off"), ("50105", "passphrase"),
        ("50113", "secret key"), ("50120", "Read permission"), ("50110", "whitelist"), ("50101", "demo"),
        ("50119", "new read-only key"), ("51603", "order 42 for BTC-USDT-SWAP"), ("51001", "instrument BTC-USDT-SWAP"),
    ])
    func hintsSayWhatToDo(okxCode: String, phrase: String) {
        let error = OKXError.answer(status: 401, okxCode: okxCode, msg: "m", endpoint: "/api/v5/trade/order",
                                    request: ["ordId": "42", "instId": "BTC-USDT-SWAP"])
        #expect(error.hint.contains(phrase))
    }

    @Test func everyClassHasAHint() {
        for code in OKXError.Code.allCases {
            #expect(!OKXError.hint(code: code, okxCode: nil, status: 400, request: [:]).isEmpty)
        }
        #expect(OKXError.hint(code: .remote4xx, okxCode: nil, status: 404, request: [:]).contains("baseURL"))
    }

    @Test(arguments: [(HTTPError.Code.timeout, OKXError.Code.timeout, true), (.connectFailed, .remote5xx, true),
                      (.connectionLost, .remote5xx, true), (.tls, .remote5xx, false), (.invalidRequest, .remote4xx, false)])
    func transportFailures(transport: HTTPError.Code, expected: OKXError.Code, retryable: Bool) {
        let error = OKXError.transport(HTTPError(transport, "request to http://127.0.0.1:1 failed"), endpoint: "/api/v5/trade/order")
        #expect(error.code == expected && error.isRetryable == retryable && error.okxCode == nil && !error.hint.isEmpty)
    }

    @Test func descriptionNamesClassCodeStatusEndpointAndHint() {
        let error = OKXError.answer(status: 401, okxCode: "50113", msg: "Invalid Sign", endpoint: "/api/v5/trade/order", request: [:])
            .after(attempts: 1)
        #expect(error.description.hasPrefix("AUTH_ERROR, OKX 50113, HTTP 401 on /api/v5/trade/order: Invalid Sign — "))
    }

    @Test func credentialsDescribeThemselvesRedacted() {
        let credentials = OKXCredentials(apiKey: "key-abcdef", secretKey: "SECRET-123456", passphrase: "pass-phrase-9")
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [credentials.description, credentials.debugDescription, dumped, "\(credentials)"] {
            #expect(!text.contains("key-abcdef") && !text.contains("SECRET-123456") && !text.contains("pass-phrase-9"))
            #expect(text.contains(credentials.fingerprint))
        }
        #expect(credentials.fingerprint.count == 16)
    }

    @Test func credentialsMustBeHeaderSafe() {
        #expect(OKXCredentials(apiKey: "k", secretKey: "s", passphrase: "p").isWellFormed)
        #expect(!OKXCredentials(apiKey: "k", secretKey: "s", passphrase: "").isWellFormed)
        #expect(!OKXCredentials(apiKey: "k\n", secretKey: "s", passphrase: "p").isWellFormed)
        #expect(OKXCredentials(apiKey: "k", secretKey: "s", passphrase: "p", uid: "").uid == nil)
    }
}
