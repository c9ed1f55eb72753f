/// Durations as operators write them in flags and environment variables: `250ms`,
/// `5s`, `2m`, `1h`, `2d`, or a bare number of seconds.
public enum DurationText {
    /// The shortest text ``parse(_:)`` reads back as `duration`, to the millisecond.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.inMilliseconds
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds != 0 && milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }

    public static func parse(_ text: String) -> Duration? {
        let units: [(suffix: String, seconds: Double)] = [
            ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400),
        ]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let value = Double(text.dropLast(unit.suffix.count)) else { continue }
            return duration(seconds: value * unit.seconds)
        }
        return Double(text).flatMap { duration(seconds: $0) }
    }

    private static func duration(seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0, seconds <= 365 * 86400 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}

extension Duration {
    /// The duration in seconds, for `Date` arithmetic, SQL intervals and reports.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Whole milliseconds, rounded: the unit of flags' text and of SQL interval arithmetic.
    public var inMilliseconds: Int64 { Int64((inSeconds * 1000).rounded()) }
}
