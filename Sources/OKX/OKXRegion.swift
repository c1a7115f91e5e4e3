/// Which OKX entity a key was created under. A key works only on its own entity's host: US and
/// Australian users use `us.okx.com`, EEA users `eea.okx.com`, everyone else `www.okx.com`
/// (shared/OKX.md, "Hosts"). OKX's own page naming these hosts was not found in the 2026 read of
/// the v5 documentation; third-party SDKs also name `app.okx.com` (US) and `my.okx.com` (EEA),
/// so each host can be overridden in `okx.baseURLs`.
public enum OKXRegion: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    case www
    case us
    case eea

    /// The host OKX serves this region's keys on.
    public var defaultBaseURL: String {
        switch self {
        case .www: "https://www.okx.com"
        case .us: "https://us.okx.com"
        case .eea: "https://eea.okx.com"
        }
    }

    public var description: String { rawValue }

    /// `www`, `us` or `eea` (case-insensitive); nil otherwise.
    public init?(parsing text: String) {
        self.init(rawValue: text.lowercased())
    }
}

/// The base URL (scheme and host) of each region.
public struct OKXBaseURLs: Sendable, Equatable {
    private var urls: [OKXRegion: String]

    /// OKX's three hosts, each replaced by `overrides[region]` where given.
    public init(_ overrides: [OKXRegion: String] = [:]) {
        urls = Dictionary(uniqueKeysWithValues: OKXRegion.allCases.map { ($0, overrides[$0] ?? $0.defaultBaseURL) })
    }

    public subscript(region: OKXRegion) -> String {
        get { urls[region] ?? region.defaultBaseURL }
        set { urls[region] = newValue }
    }
}
