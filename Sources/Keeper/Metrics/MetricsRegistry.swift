import Foundation
import Synchronization

/// Prometheus metric families kept in memory and rendered in the text exposition format 0.0.4:
/// HELP and TYPE for every family, label values escaped, families and series in a stable order.
public final class MetricsRegistry: Sendable {
    public enum Kind: String, Sendable {
        case counter
        case gauge
        case histogram
    }

    struct Family: Sendable {
        let name: String
        let help: String
        let kind: Kind
        let labelNames: [String]
        let buckets: [Double]
        var series: [[String]: Series] = [:]
    }

    struct Series: Sendable {
        var value: Double = 0
        var bucketCounts: [UInt64] = []
        var count: UInt64 = 0
        var sum: Double = 0
    }

    private let families = Mutex<[String: Family]>([:])

    public init() {}

    /// Declares a family. Declaring the same name twice with a different shape is a defect.
    public func declare(_ name: String, _ kind: Kind, help: String, labels: [String] = [], buckets: [Double] = []) {
        precondition(Self.isValidName(name), "metric name \(name)")
        precondition(labels.allSatisfy { Self.isValidName($0) && $0 != "le" }, "label names of \(name)")
        precondition(kind != .histogram || !buckets.isEmpty, "a histogram needs buckets")
        families.withLock { families in
            if let existing = families[name] {
                precondition(existing.kind == kind && existing.labelNames == labels, "metric \(name) declared twice with different shapes")
                return
            }
            families[name] = Family(name: name, help: help, kind: kind, labelNames: labels, buckets: buckets.sorted())
        }
    }

    /// Adds `amount` (≥ 0) to a counter.
    public func increment(_ name: String, _ labels: [String] = [], by amount: Double = 1) {
        precondition(amount >= 0, "a counter only goes up")
        update(name, labels, expecting: .counter) { $0.value += amount }
    }

    public func set(_ name: String, _ labels: [String] = [], to value: Double) {
        update(name, labels, expecting: .gauge) { $0.value = value }
    }

    /// Replaces every series of a gauge family at once (e.g. claims by state), so that series
    /// that no longer exist disappear.
    public func replaceAll(_ name: String, with values: [[String]: Double]) {
        families.withLock { families in
            guard var family = families[name] else { preconditionFailure("metric \(name) is not declared") }
            precondition(family.kind == .gauge, "\(name) is not a gauge")
            family.series = values.mapValues { Series(value: $0) }
            families[name] = family
        }
    }

    public func observe(_ name: String, _ labels: [String] = [], _ value: Double) {
        families.withLock { families in
            guard var family = families[name] else { preconditionFailure("metric \(name) is not declared") }
            precondition(family.kind == .histogram && labels.count == family.labelNames.count, "observe \(name)")
            var series = family.series[labels] ?? Series(bucketCounts: Array(repeating: 0, count: family.buckets.count))
            for (index, bound) in family.buckets.enumerated() where value <= bound { series.bucketCounts[index] += 1 }
            series.count += 1
            series.sum += value
            family.series[labels] = series
            families[name] = family
        }
    }

    /// The value of one counter or gauge series, for tests and health checks.
    public func value(_ name: String, _ labels: [String] = []) -> Double? {
        families.withLock { $0[name]?.series[labels]?.value }
    }

    private func update(_ name: String, _ labels: [String], expecting kind: Kind, _ change: (inout Series) -> Void) {
        families.withLock { families in
            guard var family = families[name] else { preconditionFailure("metric \(name) is not declared") }
            precondition(family.kind == kind && labels.count == family.labelNames.count, "metric \(name) used as \(kind) with \(labels.count) labels")
            var series = family.series[labels] ?? Series()
            change(&series)
            family.series[labels] = series
            families[name] = family
        }
    }

    // MARK: Exposition

    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Every family, sorted by name; every series sorted by its label values.
    public func render() -> String {
        let snapshot = families.withLock { $0 }
        var out = ""
        for family in snapshot.values.sorted(by: { $0.name < $1.name }) {
            out += "# HELP \(family.name) \(Self.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for (labels, series) in family.series.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                let pairs = zip(family.labelNames, labels).map { "\($0)=\"\(Self.escapeLabel($1))\"" }
                switch family.kind {
                case .counter, .gauge:
                    out += "\(family.name)\(Self.braces(pairs)) \(Self.format(series.value))\n"
                case .histogram:
                    for (index, bound) in family.buckets.enumerated() {
                        out += "\(family.name)_bucket\(Self.braces(pairs + ["le=\"\(Self.format(bound))\""])) \(series.bucketCounts[index])\n"
                    }
                    out += "\(family.name)_bucket\(Self.braces(pairs + ["le=\"+Inf\""])) \(series.count)\n"
                    out += "\(family.name)_sum\(Self.braces(pairs)) \(Self.format(series.sum))\n"
                    out += "\(family.name)_count\(Self.braces(pairs)) \(series.count)\n"
                }
            }
        }
        return out
    }

    static func braces(_ pairs: [String]) -> String { pairs.isEmpty ? "" : "{" + pairs.joined(separator: ",") + "}" }

    static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first == ":" || CharacterSet.letters.contains(first) && first.isASCII else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0 == ":" || CharacterSet.alphanumerics.contains($0)) }
    }
}
