import Foundation
import LongrunCore

/// Latencies of one measurement, and their percentiles in milliseconds.
struct Samples {
    private let sorted: [Duration]

    init(_ samples: [Duration]) {
        sorted = samples.sorted()
    }

    var count: Int { sorted.count }

    /// The smallest sample at or above `fraction` of all (nearest rank); 1 gives the maximum.
    func milliseconds(at fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((Double(sorted.count) * fraction).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))].inSeconds * 1000
    }

    /// `p50 1.23 ms   p99 4.56 ms   max 7.89 ms`
    var summary: String {
        "p50 \(format(milliseconds(at: 0.5))) ms   p99 \(format(milliseconds(at: 0.99))) ms   "
            + "max \(format(milliseconds(at: 1))) ms"
    }

    /// `"<name>_p50_ms": …, "<name>_p99_ms": …, "<name>_max_ms": …`
    func jsonFields(_ name: String) -> [(String, String)] {
        [
            ("\(name)_p50_ms", format(milliseconds(at: 0.5))), ("\(name)_p99_ms", format(milliseconds(at: 0.99))),
            ("\(name)_max_ms", format(milliseconds(at: 1))),
        ]
    }

    private func format(_ value: Double) -> String { String(format: "%.3f", value) }
}

/// One JSON object from ordered fields whose values are already JSON.
func jsonObject(_ fields: [(String, String)]) -> String {
    "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
}
