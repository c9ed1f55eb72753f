import Foundation
import LongrunCore

/// Where an event stream stands: the last log line sent, and the status and progress
/// last sent. It is every event's id (`<log id>.<status>.<progress>`), so a client that
/// reconnects with `Last-Event-ID` gets exactly what it has not seen: later log lines,
/// and status or progress only if they changed since.
struct EventCursor: Sendable, Hashable {
    var logID: Int64 = 0
    var status: String?
    /// The progress and message last sent, as `<progress>~<hash of the message>`.
    var progress: String?

    init() {}

    /// Reads an id this server gave out; nil for anything else.
    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let logID = Int64(parts[0]), logID >= 0,
            parts[1] == "-" || OperationStatus(rawValue: parts[1]) != nil,
            parts[2] == "-" || parts[2].wholeMatch(of: /-?\d{1,3}~[0-9a-f]{16}/) != nil
        else { return nil }
        self.logID = logID
        status = parts[1] == "-" ? nil : parts[1]
        progress = parts[2] == "-" ? nil : parts[2]
    }

    var text: String { "\(logID).\(status ?? "-").\(progress ?? "-")" }

    /// The events that bring a client from here to `operation` with its new `logs`, in
    /// order (status, log lines, progress, then `done` once terminal), each carrying the
    /// cursor after it.
    /// With `operation` nil (more log lines to come), only the lines.
    mutating func advance(to operation: OperationRecord?, logs: [OperationLogEntry]) -> [String] {
        var events: [String] = []
        if let operation, operation.status.rawValue != status {
            status = operation.status.rawValue
            events.append(event("status", resource(operation)))
        }
        for line in logs where line.id > logID {
            logID = line.id
            let data: JSONValue = .object([
                "id": .integer(line.id), "at": .string(line.at.formatted(Timestamp.style)),
                "level": .string(line.level.rawValue), "message": .string(line.message),
            ])
            events.append(event("log", Self.json(data)))
        }
        guard let operation else { return events }
        let key = Self.progressKey(operation)
        if key != progress {
            progress = key
            let data: JSONValue = .object([
                "progress": operation.progress.map { .integer(Int64($0)) } ?? .null,
                "message": operation.message.map(JSONValue.string) ?? .null,
                "estimated_completion": operation.estimatedCompletion.map { .string($0.formatted(Timestamp.style)) }
                    ?? .null,
            ])
            events.append(event("progress", Self.json(data)))
        }
        if operation.done { events.append(event("done", resource(operation))) }
        return events
    }

    private func event(_ name: String, _ data: String) -> String {
        "id: \(text)\nevent: \(name)\ndata: \(data)\n\n"
    }

    private func resource(_ operation: OperationRecord) -> String {
        Self.text((try? ResourceJSON.encode(OperationResource(operation: operation))) ?? Array("{}".utf8))
    }

    private static func json(_ value: JSONValue) -> String {
        text((try? ResourceJSON.encode(value)) ?? Array("{}".utf8))
    }

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Nil until a progress, message or estimate was reported; 64-bit FNV-1a of the
    /// message and the estimate, so the id stays short whatever the message.
    static func progressKey(_ operation: OperationRecord) -> String? {
        guard operation.progress != nil || operation.message != nil || operation.estimatedCompletion != nil else {
            return nil
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        let estimate = operation.estimatedCompletion.map { "\($0.timeIntervalSince1970)" } ?? ""
        for byte in ((operation.message ?? "") + "\u{0}" + estimate).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\(operation.progress ?? -1)~" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
