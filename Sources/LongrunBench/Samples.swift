import Foundation
import Histogram
import LongrunCore

/// Latencies of one measurement in an HdrHistogram (microsecond resolution, three
/// significant digits), and their percentiles in milliseconds.
struct Samples {
    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)

    init(_ samples: [Duration]) {
        for sample in samples {
            let microseconds = max(1, min(3_600_000_000, (sample.inSeconds * 1_000_000).rounded()))
            _ = histogram.record(UInt64(microseconds))
        }
    }

    var count: Int { Int(histogram.totalCount) }

    /// The value at `percentile` (0–100) of all samples; 100 gives the maximum.
    func milliseconds(at percentile: Double) -> Double {
        guard histogram.totalCount > 0 else { return 0 }
        let microseconds = percentile >= 100 ? histogram.max : histogram.valueAtPercentile(percentile)
        return Double(microseconds) / 1000
    }

    /// `p50 1.23 ms   p99 4.56 ms   max 7.89 ms`
    var summary: String {
        "p50 \(format(milliseconds(at: 50))) ms   p99 \(format(milliseconds(at: 99))) ms   "
            + "max \(format(milliseconds(at: 100))) ms"
    }

    /// `"<name>_p50_ms": …, "<name>_p99_ms": …, "<name>_max_ms": …`
    func jsonFields(_ name: String) -> [(String, String)] {
        [
            ("\(name)_p50_ms", format(milliseconds(at: 50))), ("\(name)_p99_ms", format(milliseconds(at: 99))),
            ("\(name)_max_ms", format(milliseconds(at: 100))),
        ]
    }

    private func format(_ value: Double) -> String { String(format: "%.3f", value) }
}

/// One JSON object from ordered fields whose values are already JSON.
func jsonObject(_ fields: [(String, String)]) -> String {
    "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
}
