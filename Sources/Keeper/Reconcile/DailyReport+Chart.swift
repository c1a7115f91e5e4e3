import Ethereum
import Foundation

/// The report as a chart a person reads at a glance (`report --format svg`): claims by outcome per
/// day requested (stacked bars), and payouts per day in pool units against the daily limit (a line),
/// each with a labelled, scaled axis and a legend.
extension DailyReport {
    static let colors: [Outcome: String] = [.paid: "#2e7d32", .notLiquidated: "#9e9e9e", .waiting: "#f9a825", .other: "#c62828"]
    static let payoutColor = "#1f6fbf", limitColor = "#c62828"

    public var svg: String {
        let width = 800.0, height = 600.0
        var chart = SVGChart(left: 84, right: width - 30, days: days)
        let period = from == to ? "\(from)" : "\(from) to \(to)"
        let requested = claims.filter { $0.requestDay.map { $0 >= from && $0 <= to } ?? false }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
            <title>LeverageGuard settlement report, \(period) (UTC)</title>
            <rect width="100%" height="100%" fill="white"/>
            <text x="20" y="32" font-size="18" font-weight="bold">LeverageGuard settlement report, \(period) (UTC)</text>
            <text x="20" y="54" fill="#555">\(requested.count) claim\(requested.count == 1 ? "" : "s") requested; \(payouts.count) paid, \(units(total)) \(currency) in total\(dailyLimit.map { "; daily limit \(units($0)) \(currency)" } ?? "")</text>

            """

        // Claims by outcome, stacked per day of request.
        var counts = [[Outcome: Int]](repeating: [:], count: days.count)
        for claim in requested {
            guard let day = claim.requestDay else { continue }
            counts[Int(day.ordinal - from.ordinal)][claim.outcome, default: 0] += 1
        }
        let countScale = AxisScale(maximum: Double(counts.map { $0.values.reduce(0, +) }.max() ?? 0), wholeSteps: true)
        svg += chart.heading("Claims by outcome, per day requested", y: 90)
        svg += chart.legend(Outcome.allCases.map { (.box(Self.colors[$0]!), $0.rawValue) }, y: 110)
        chart.top = 124; chart.bottom = 284
        svg += chart.axes(countScale, unit: "claims")
        for (index, byOutcome) in counts.enumerated() {
            var base = 0.0
            for outcome in Outcome.allCases {
                let count = Double(byOutcome[outcome] ?? 0)
                guard count > 0 else { continue }
                svg += chart.bar(index, from: base, to: base + count, scale: countScale, color: Self.colors[outcome]!,
                                 title: "\(days[index]): \(Int(count)) \(outcome.rawValue)")
                base += count
            }
            if base > 0 { svg += chart.valueLabel(index, at: base, scale: countScale, text: "\(Int(base))") }
        }
        if requested.isEmpty { svg += chart.note("no claims requested in the period") }
        svg += chart.dayLabels(y: chart.bottom + 16)

        // Payouts per day of payment, against the daily limit.
        var paid = [Double](repeating: 0, count: days.count)
        for payout in payouts {
            guard let day = payout.day, day >= from, day <= to else { continue }
            paid[Int(day.ordinal - from.ordinal)] += Double(units(payout.amount)) ?? 0
        }
        let limit = dailyLimit.flatMap { Double(units($0)) }
        let payoutScale = AxisScale(maximum: max(paid.max() ?? 0, limit ?? 0), wholeSteps: false)
        svg += chart.heading("Payouts per day (\(currency)), against the daily limit", y: 336)
        var keys: [(SVGChart.Swatch, String)] = [(.box(Self.payoutColor), "paid out")]
        if let dailyLimit { keys.append((.line(Self.limitColor), "daily limit (\(units(dailyLimit)) \(currency))")) }
        svg += chart.legend(keys, y: 356)
        chart.top = 370; chart.bottom = 530
        svg += chart.axes(payoutScale, unit: currency)
        for (index, value) in paid.enumerated() where value > 0 {
            svg += chart.bar(index, from: 0, to: value, scale: payoutScale, color: Self.payoutColor,
                             title: "\(days[index]): \(payoutScale.label(value)) \(currency) paid")
            svg += chart.valueLabel(index, at: value, scale: payoutScale, text: AxisScale.grouped(value))
        }
        if let limit {
            let y = chart.y(limit, payoutScale)
            svg += "<line x1=\"\(chart.left)\" y1=\"\(f(y))\" x2=\"\(chart.right)\" y2=\"\(f(y))\" stroke=\"\(Self.limitColor)\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"
        }
        if payouts.isEmpty { svg += chart.note("no payouts in the period") }
        svg += chart.dayLabels(y: chart.bottom + 16)
        svg += "<text x=\"\(f((chart.left + chart.right) / 2))\" y=\"\(f(chart.bottom + 42))\" text-anchor=\"middle\" fill=\"#333\">day (UTC)</text>\n"
        return svg + "</svg>\n"
    }
}

/// A y axis from 0 to a round number above the largest value (so that neither a bar nor the limit
/// line touches the top), in about 5 round steps (1, 2, 2.5 or 5 × 10ⁿ).
struct AxisScale {
    let top: Double
    let step: Double

    init(maximum: Double, wholeSteps: Bool) {
        guard maximum > 0 else { top = 1; step = wholeSteps ? 1 : 0.25; return }
        let rough = maximum * 1.05 / 5
        let magnitude = pow(10, floor(log10(rough)))
        let normalized = rough / magnitude
        var step = (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 2.5 ? 2.5 : normalized <= 5 ? 5 : 10) * magnitude
        if wholeSteps { step = max(1, step.rounded(.up)) }
        self.step = step
        top = (maximum * 1.05 / step).rounded(.up) * step
    }

    var ticks: [Double] { stride(from: 0, through: top + step / 2, by: step).map { $0 } }

    /// A tick's value, thousands grouped: `2,500`, `0.25`.
    func label(_ value: Double) -> String { Self.grouped(value) }

    /// `value` with the decimals it has (up to 6), thousands grouped.
    static func grouped(_ value: Double) -> String {
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        let parts = text.split(separator: ".", maxSplits: 1)
        var whole = String(parts[0])
        var grouped = ""
        while whole.count > 3 { grouped = "," + whole.suffix(3) + grouped; whole = String(whole.dropLast(3)) }
        return whole + grouped + (parts.count > 1 ? "." + parts[1] : "")
    }
}

/// Drawing helpers for one panel: the plot's box and the days along x.
struct SVGChart {
    enum Swatch { case box(String), line(String) }

    let left: Double
    let right: Double
    let days: [ReportDay]
    var top = 0.0
    var bottom = 0.0

    init(left: Double, right: Double, days: [ReportDay]) {
        self.left = left
        self.right = right
        self.days = days
    }

    var slot: Double { (right - left) / Double(max(days.count, 1)) }

    func y(_ value: Double, _ scale: AxisScale) -> Double { bottom - value / scale.top * (bottom - top) }

    func heading(_ text: String, y: Double) -> String {
        "<text x=\"20\" y=\"\(f(y))\" font-size=\"14\" font-weight=\"bold\">\(escape(text))</text>\n"
    }

    /// Keys left to right from the plot's left edge.
    func legend(_ keys: [(Swatch, String)], y: Double) -> String {
        var x = left, out = ""
        for (swatch, text) in keys {
            switch swatch {
            case .box(let color): out += "<rect x=\"\(f(x))\" y=\"\(f(y - 10))\" width=\"12\" height=\"12\" fill=\"\(color)\"/>\n"
            case .line(let color): out += "<line x1=\"\(f(x))\" y1=\"\(f(y - 4))\" x2=\"\(f(x + 18))\" y2=\"\(f(y - 4))\" stroke=\"\(color)\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"
            }
            let offset: Double = if case .line = swatch { 24 } else { 18 }
            out += "<text x=\"\(f(x + offset))\" y=\"\(f(y))\">\(escape(text))</text>\n"
            x += offset + Double(text.count) * 7 + 24
        }
        return out
    }

    /// Grid lines and tick labels at each step, the axis lines, and the unit along the y axis.
    func axes(_ scale: AxisScale, unit: String) -> String {
        var out = ""
        for tick in scale.ticks {
            let y = y(tick, scale)
            out += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(right))\" y2=\"\(f(y))\" stroke=\"#e0e0e0\"/>\n"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(scale.label(tick))</text>\n"
        }
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(bottom))\" stroke=\"#333\"/>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(bottom))\" x2=\"\(f(right))\" y2=\"\(f(bottom))\" stroke=\"#333\"/>\n"
        let middle = (top + bottom) / 2
        out += "<text x=\"22\" y=\"\(f(middle))\" text-anchor=\"middle\" transform=\"rotate(-90 22 \(f(middle)))\">\(escape(unit))</text>\n"
        return out
    }

    func bar(_ index: Int, from low: Double, to high: Double, scale: AxisScale, color: String, title: String) -> String {
        let width = min(slot * 0.7, 48)
        let x = left + Double(index) * slot + (slot - width) / 2
        let yTop = y(high, scale), yBottom = y(low, scale)
        return "<rect x=\"\(f(x))\" y=\"\(f(yTop))\" width=\"\(f(width))\" height=\"\(f(yBottom - yTop))\" fill=\"\(color)\"><title>\(escape(title))</title></rect>\n"
    }

    /// The days under the bars: `MM-DD`, thinned so that labels never overlap; a single day in full.
    func dayLabels(y: Double) -> String {
        let every = max(1, Int((44 / slot).rounded(.up)))
        var out = ""
        for (index, day) in days.enumerated() where index % every == 0 {
            let x = left + (Double(index) + 0.5) * slot
            out += "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"middle\">\(days.count == 1 ? day.description : day.monthAndDay)</text>\n"
        }
        return out
    }

    /// A bar's value just above it.
    func valueLabel(_ index: Int, at value: Double, scale: AxisScale, text: String) -> String {
        let x = left + (Double(index) + 0.5) * slot
        return "<text x=\"\(f(x))\" y=\"\(f(y(value, scale) - 4))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">\(escape(text))</text>\n"
    }

    func note(_ text: String) -> String {
        "<text x=\"\(f((left + right) / 2))\" y=\"\(f((top + bottom) / 2))\" text-anchor=\"middle\" fill=\"#777\">\(escape(text))</text>\n"
    }
}

/// One decimal: coordinates stay short and stable for tests.
fileprivate func f(_ value: Double) -> String { String(format: "%.1f", value) }

/// Text content for SVG (XML).
fileprivate func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
