/// Every LISTEN/NOTIFY channel of Longrun and what its payloads carry, in one place.
///
/// NOTIFY is a wake-up hint, never the carrier of truth: listeners re-read the tables,
/// and a slow fallback poll covers lost notifications. Processes send them after their
/// transaction commits, coalesced (one `pg_notify` per channel every few milliseconds
/// per process), because a NOTIFY inside a transaction serialises the commits of every
/// notifying transaction in the cluster. A cancel, which is rare, notifies inside its
/// own transaction so the worker hears of it the moment it commits.
public enum NotificationChannel: String, Sendable, CaseIterable {
    /// New or newly due work. Payload: the queue names, comma-separated.
    case work = "longrun_work"
    /// Running operations were cancelled. Payload: their ids, comma-separated.
    case cancel = "longrun_cancel"
    /// Operations changed: status, progress or log lines. Payload: their ids. What
    /// waiters and event streams of the API nodes listen to; sent only while an API node
    /// has some (see ``NotificationSource/keepChangesAnnounced(for:)``).
    case changed = "longrun_changed"
    /// Webhook deliveries became due. Payload: the ids of the operations they report on.
    case deliveries = "longrun_deliveries"

    /// PostgreSQL's limit on a payload is 8000 bytes; payloads are cut below it.
    public static let payloadLimit = 7900
}

/// What LISTEN delivers, as the store hands it on.
public enum StoreNotification: Sendable, Hashable {
    /// Listening (again): anything announced before may have been missed.
    case subscribed
    /// A notification and its payload items (queue names or operation ids).
    case received(NotificationChannel, [String])
}

/// A store that forwards LISTEN to the processes that wait on it (workers, notifiers).
public protocol NotificationSource: Sendable {
    /// Runs `body` with the notifications of `channels`. The stream starts with
    /// ``StoreNotification/subscribed`` and repeats it after every reconnection, because
    /// what was sent while nobody listened is lost: a consumer re-reads on it.
    func withNotifications<Result: Sendable>(
        on channels: Set<NotificationChannel>,
        _ body: (AsyncStream<StoreNotification>) async throws -> Result
    ) async throws -> Result

    /// Makes every process send ``NotificationChannel/changed`` for at least `duration`,
    /// counted from the call. Publishers skip that channel while no API node has a
    /// waiter, so a waiter calls this before it reads the operation it waits on: any
    /// change its read missed is then announced.
    func keepChangesAnnounced(for duration: Duration) async throws
}

/// How a process learns that something changed: LISTEN for NOTIFY (the default: wake-ups
/// within milliseconds), or re-reading on a timer, for deployments where LISTEN cannot
/// work (a pooler in transaction mode) or to measure what notifications cost. Polling
/// processes send no NOTIFY either; their listeners' streams repeat
/// ``StoreNotification/subscribed`` every `interval`, which every consumer already
/// answers by re-reading.
public enum NotificationMode: Sendable, Hashable {
    case listen
    case poll(every: Duration)
}
