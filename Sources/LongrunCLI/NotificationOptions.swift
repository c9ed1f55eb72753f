import ArgumentParser
import LongrunCore

/// How a process hears of changes: LISTEN/NOTIFY, or polling where LISTEN cannot work.
struct NotificationOptions: ParsableArguments {
    @Option(
        help: """
            listen (LISTEN/NOTIFY: wake-ups within milliseconds) or poll (no LISTEN and no NOTIFY: \
            re-read every --notification-poll-interval, for poolers in transaction mode) \
            (env: LONGRUN_NOTIFICATIONS; default listen). Give every process of a deployment the same.
            """)
    var notifications: String?

    @Option(help: "How often a polling process re-reads (env: LONGRUN_NOTIFICATION_POLL_INTERVAL; default 1s).")
    var notificationPollInterval: DurationFlag?

    func mode() throws -> NotificationMode {
        switch try Setting.resolve(notifications, environment: "LONGRUN_NOTIFICATIONS", default: "listen") {
        case "listen":
            return .listen
        case "poll":
            let interval = try Setting.resolve(
                notificationPollInterval, environment: "LONGRUN_NOTIFICATION_POLL_INTERVAL",
                default: DurationFlag(duration: .seconds(1))
            ).duration
            guard interval >= .milliseconds(10) else {
                throw ValidationError("--notification-poll-interval must be 10ms or more")
            }
            return .poll(every: interval)
        case let other:
            throw ValidationError("--notifications must be listen or poll, not \(other)")
        }
    }
}
