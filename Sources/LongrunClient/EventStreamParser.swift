/// Reads `text/event-stream` as it arrives, in chunks cut anywhere.
struct EventStreamParser {
    struct Event: Sendable, Hashable {
        var id: String?
        var name = "message"
        var data = ""
    }

    private var pending: [UInt8] = []
    private var current = Event()
    private var hasData = false

    /// The events completed by `bytes`.
    mutating func feed(_ bytes: [UInt8]) -> [Event] {
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeSubrange(...newline)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if hasData { events.append(current) }
                current = Event()
                hasData = false
                continue
            }
            if line.hasPrefix(":") { continue }
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let field = String(parts[0])
            var value = parts.count > 1 ? String(parts[1]) : ""
            if value.hasPrefix(" ") { value.removeFirst() }
            switch field {
            case "id": current.id = value
            case "event": current.name = value
            case "data":
                current.data = hasData ? current.data + "\n" + value : value
                hasData = true
            default: break
            }
        }
        return events
    }
}
