import HTTPServer

/// Latency histograms in fixed nanosecond buckets, many series in one block of atomic counters:
/// per series, one counter per bucket (not cumulative), one for +Inf, and the sum in nanoseconds.
struct LatencyHistograms: Sendable {
    /// Upper bounds, in nanoseconds: 0.5 ms to 10 s.
    static let bounds: [UInt64] = [
        500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000, 10_000_000_000,
    ]
    static let boundLabels = bounds.map { PrometheusText.seconds($0) }
    private static let stride = bounds.count + 2  // buckets, +Inf, sum

    let counters: AtomicCounters

    init(series: Int) {
        counters = AtomicCounters(count: series * Self.stride)
    }

    func observe(_ series: Int, nanos: UInt64) {
        var bucket = 0
        while bucket < Self.bounds.count, nanos > Self.bounds[bucket] { bucket += 1 }
        let base = series * Self.stride
        counters.add(base + bucket)
        counters.add(base + Self.bounds.count + 1, Int(truncatingIfNeeded: nanos))
    }

    func count(_ series: Int) -> Int {
        let base = series * Self.stride
        return (0...Self.bounds.count).reduce(0) { $0 + counters.load(base + $1) }
    }

    /// Writes `name_bucket`, `name_sum` and `name_count` for one series, with its labels.
    func render(_ series: Int, name: String, labels: String, into text: inout String) {
        let base = series * Self.stride
        let separator = labels.isEmpty ? "" : ","
        var cumulative = 0
        for (i, le) in Self.boundLabels.enumerated() {
            cumulative += counters.load(base + i)
            text += "\(name)_bucket{\(labels)\(separator)le=\"\(le)\"} \(cumulative)\n"
        }
        cumulative += counters.load(base + Self.bounds.count)
        text += "\(name)_bucket{\(labels)\(separator)le=\"+Inf\"} \(cumulative)\n"
        let braces = labels.isEmpty ? "" : "{\(labels)}"
        text += "\(name)_sum\(braces) \(PrometheusText.seconds(UInt64(max(0, counters.load(base + Self.bounds.count + 1)))))\n"
        text += "\(name)_count\(braces) \(cumulative)\n"
    }
}

enum PrometheusText {
    /// Nanoseconds as decimal seconds, without Foundation's formatters: 2500000 → "0.0025".
    static func seconds(_ nanos: UInt64) -> String {
        let whole = nanos / 1_000_000_000
        var fraction = String(nanos % 1_000_000_000)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(whole)" : "\(whole).\(fraction)"
    }

    static func header(_ name: String, _ type: String, _ help: String, into text: inout String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }
}
