import Foundation
import Wire

/// What `GET /api/v5/account/config` says about the requesting API key and its account
/// (https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration).
public struct OKXAccountConfig: Sendable, Equatable {
    /// "Account ID of current request": the OKX user ID that private endpoints are rate-limited by.
    public let uid: String
    /// "Main Account ID of current request": equal to `uid` for a main account ("" if OKX leaves it out).
    public let mainUid: String
    /// What the key may do: `perm`, "The permission of the current requesting API key or Access
    /// token `read_only`: Read `trade`: Trade `withdraw`: Withdraw", comma-separated when several.
    public let permissions: Set<OKXKeyPermission>
    /// `perm` as OKX sent it, e.g. `read_only,trade`.
    public let perm: String
    /// "API key note of current request API key" (the trader's text: data, not to be trusted).
    public let label: String
    /// The IP addresses the key is bound to (`ip`); empty when it is bound to none.
    public let ipWhitelist: [String]
    /// Account mode (`acctLv`): `1` spot, `2` futures, `3` multi-currency margin, `4` portfolio margin.
    public let accountLevel: String
    /// `long_short_mode` or `net_mode` (`posMode`).
    public let positionMode: String

    /// True only when the key can read and nothing else: `perm` is exactly `read_only`. A key that can
    /// trade or withdraw, or whose `perm` names a word this client does not know, is not read-only.
    public var isReadOnly: Bool { permissions == [.readOnly] }

    /// What the key may do beyond reading, in words ("trade and withdraw"); nil for a read-only key.
    public var powersBeyondReading: String? {
        guard !isReadOnly else { return nil }
        let words = permissions.filter { $0 != .readOnly }.map(\.word).sorted()
        return words.isEmpty ? "do more than read" : words.joined(separator: " and ")
    }

    /// True for a sub-account's key (`uid` differs from `mainUid`).
    public var isSubAccount: Bool { !mainUid.isEmpty && uid != mainUid }

    /// A configuration as OKX would answer it, e.g. for a test double; `perm` lists the words sorted.
    public init(uid: String, mainUid: String? = nil, permissions: Set<OKXKeyPermission>, label: String = "",
                ipWhitelist: [String] = [], accountLevel: String = "2", positionMode: String = "long_short_mode") {
        self.uid = uid
        self.mainUid = mainUid ?? uid
        self.permissions = permissions
        self.perm = permissions.map(\.word).sorted().joined(separator: ",")
        self.label = label
        self.ipWhitelist = ipWhitelist
        self.accountLevel = accountLevel
        self.positionMode = positionMode
    }

    /// Decodes the one element of the answer's `data`.
    public init(json: JSON) throws(OKXDecodingError) {
        let f = try OKXFields(json, record: "account config")
        uid = try f.identifier("uid")
        mainUid = try f.string("mainUid", required: false)
        perm = try f.identifier("perm")
        let words = perm.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !words.isEmpty else {
            throw OKXDecodingError(record: "account config", field: "perm", reason: "names no permission: \"\(perm)\"")
        }
        permissions = Set(words.map(OKXKeyPermission.init(word:)))
        label = try f.string("label", required: false)
        ipWhitelist = try f.string("ip", required: false).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        accountLevel = try f.string("acctLv", required: false)
        positionMode = try f.string("posMode", required: false)
    }
}

/// One word of account/config's `perm`. OKX may add words: an unknown one is kept as `other`, so
/// that a key naming it is never taken for read-only.
public enum OKXKeyPermission: Sendable, Hashable, CustomStringConvertible {
    /// `read_only`: Read.
    case readOnly
    /// `trade`: Trade.
    case trade
    /// `withdraw`: Withdraw.
    case withdraw
    /// A word this client does not know, exactly as OKX sent it.
    case other(String)

    public init(word: String) {
        switch word {
        case "read_only": self = .readOnly
        case "trade": self = .trade
        case "withdraw": self = .withdraw
        default: self = .other(word)
        }
    }

    /// The word as OKX writes it in `perm`.
    public var word: String {
        switch self {
        case .readOnly: "read_only"
        case .trade: "trade"
        case .withdraw: "withdraw"
        case .other(let word): word
        }
    }

    public var description: String { word }
}
