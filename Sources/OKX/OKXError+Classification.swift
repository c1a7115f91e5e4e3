import Wire

/// How OKX's answers map to the seed's error classes, with hints (shared/OKX.md, [error-code]).
extension OKXError {
    /// Codes of OKX's authentication family (50100–50121): key, passphrase, signature,
    /// timestamp, IP whitelist, permissions, demo/live environment.
    static let authenticationCodes: ClosedRange<Int> = 50100...50121

    /// The class of an answer that is not a success: OKX's code decides when there is one,
    /// the HTTP status otherwise.
    static func classify(okxCode: String?, httpStatus: Int) -> Code {
        switch okxCode {
        case "51603", "51001": return .notFound
        case "50011", "50013", "50061": return .rateLimit
        case "50001", "50026": return .remote5xx
        case "50004": return .timeout
        case let code? where Int(code).map(authenticationCodes.contains) == true: return .authError
        default:
            switch httpStatus {
            case 401, 403: return .authError
            case 429: return .rateLimit
            case 500...: return .remote5xx
            default: return .remote4xx
            }
        }
    }

    /// An answer with an error code or status. `request` holds the query parameters, which
    /// name the order and instrument in hints (never credentials).
    package static func answer(status: Int, okxCode: String?, msg: String, endpoint: String,
                       request: [String: String]) -> OKXError {
        let code = classify(okxCode: okxCode, httpStatus: status)
        let message = msg.isEmpty ? (okxCode == nil ? "HTTP \(status) without an OKX answer" : "OKX gave no message") : msg
        return OKXError(code: code, okxCode: okxCode, httpStatus: status, msg: message,
                        hint: hint(code: code, okxCode: okxCode, status: status, request: request), endpoint: endpoint,
                        isRetryable: okxCode == "50102" ? true : nil)
    }

    /// The same error with `note` added to its hint (e.g. why OKX's clock could not be measured).
    func noting(_ note: String) -> OKXError {
        OKXError(code: code, okxCode: okxCode, httpStatus: httpStatus, msg: msg, hint: "\(hint) (\(note))",
                 endpoint: endpoint, attempts: attempts, isRetryable: isRetryable)
    }

    /// A request that got no usable HTTP answer.
    static func transport(_ error: HTTPError, endpoint: String) -> OKXError {
        let (code, retryable, hint): (Code, Bool, String) = switch error.code {
        case .timeout:
            (.timeout, true, "OKX did not answer within the configured timeout: check the network path to OKX; "
                + "the read is safe to repeat.")
        case .connectFailed, .unresolvedHost, .connectionLost, .transport:
            (.remote5xx, true, "OKX could not be reached: check okx.baseURL, DNS, the network and any proxy.")
        case .tls:
            (.remote5xx, false, "TLS with OKX failed: check the system's CA certificates and the host clock.")
        case .responseTooLarge:
            (.remote5xx, false, "OKX's answer was larger than the client allows: check okx.baseURL points at OKX.")
        case .invalidRequest:
            (.remote4xx, false, "The request URL could not be used: check okx.baseURL (e.g. https://www.okx.com).")
        }
        return OKXError(code: code, okxCode: nil, httpStatus: nil, msg: error.message, hint: hint,
                        endpoint: endpoint, isRetryable: retryable)
    }

    /// A success status whose body is not an OKX answer (or not the records expected).
    static func malformed(_ reason: String, status: Int, endpoint: String) -> OKXError {
        OKXError(code: .remote5xx, okxCode: nil, httpStatus: status, msg: "malformed answer: \(reason)",
                 hint: "OKX's answer could not be read; if it persists, check that okx.baseURL points at OKX "
                    + "and not at a proxy or captive portal.",
                 endpoint: endpoint, isRetryable: false)
    }

    /// The request was cancelled (the caller's task) before an answer arrived.
    static func cancelled(endpoint: String) -> OKXError {
        OKXError(code: .timeout, okxCode: nil, httpStatus: nil, msg: "cancelled before OKX answered",
                 hint: "The verification was cancelled or ran out of time; it is safe to repeat.",
                 endpoint: endpoint, isRetryable: false)
    }

    static func hint(code: Code, okxCode: String?, status: Int?, request: [String: String]) -> String {
        if let okxCode, let specific = specificHint(okxCode: okxCode, request: request) { return specific }
        switch code {
        case .authError:
            return "OKX refused the credentials: check the API key, secret key and passphrase, the key's Read "
                + "permission and IP whitelist, and the host clock."
        case .notFound:
            return "OKX has no such record for this key's account."
        case .rateLimit:
            return "OKX's rate limit was exceeded and backing off did not clear it: retry later; if it persists, "
                + "another client is spending the same OKX user's request budget."
        case .remote5xx:
            return "OKX is unavailable or failing: retry later (https://www.okx.com/status)."
        case .timeout:
            return "OKX timed out; the read is safe to repeat."
        case .remote4xx:
            if status == 404 {
                return "OKX answered 404 for this path: okx.baseURL must be the host only, e.g. https://www.okx.com."
            }
            return "OKX refused the request's parameters: check the ordId (digits) and instId (e.g. BTC-USDT-SWAP)."
        }
    }

    private static func specificHint(okxCode: String, request: [String: String]) -> String? {
        let order = request["ordId"].map { "order \($0)" } ?? "the order"
        let instrument = request["instId"] ?? "the instrument"
        return switch okxCode {
        case "50100": "The API key is frozen: unfreeze it on OKX or register a new read-only key."
        case "50101": "Demo/live mismatch: a demo-trading key needs okx.simulated = true (x-simulated-trading: 1), "
            + "a live key needs it false."
        case "50102": "The request's timestamp was refused: check the host clock / NTP; OKX refuses timestamps "
            + "more than 30 s off (compare with GET /api/v5/public/time). The client measures OKX's clock and corrects "
            + "its timestamps; this is not the key's fault."
        case "50103", "50104", "50106", "50107": "The request lacked an OK-ACCESS header: a client defect, please report it."
        case "50105": "The passphrase is wrong: it is the one chosen when the API key was created, not the account's "
            + "login password."
        case "50110", "50121": "This host's IP address is not in the API key's IP whitelist: add it on OKX, or register "
            + "a key without an IP restriction."
        case "50111": "OKX does not know this API key: check that it was copied completely and is for this "
            + "environment (live or demo)."
        case "50112": "The timestamp was refused as malformed: check the host clock."
        case "50113": "The signature did not verify: check the secret key (copy it again, without spaces) and the "
            + "host clock."
        case "50119": "The API key does not exist any more (deleted, or expired: OKX deletes a key not bound to an "
            + "IP after 14 days unused), or it belongs to another region's host (www, us, eea): register a new "
            + "read-only key with `lg-keeper keys add --region`."
        case "50120": "The API key lacks the Read permission: enable Read for this key on OKX (Trade and Withdraw "
            + "are not needed)."
        case "51603": "OKX has no \(order) for \(instrument) on this key's account: check that ordId and instId belong "
            + "together, and that the key is the (sub-)account's that placed the order."
        case "51001": "OKX does not know instrument \(instrument), or it was delisted: check the instId, "
            + "e.g. BTC-USDT-SWAP."
        case "50013": "OKX is busy: retry later."
        case "50004": "OKX's endpoint timed out (the result is unknown); this read is safe to repeat."
        case "50014", "51000": "OKX refused a parameter: check the ordId (digits) and instId (e.g. BTC-USDT-SWAP)."
        default: nil
        }
    }
}
