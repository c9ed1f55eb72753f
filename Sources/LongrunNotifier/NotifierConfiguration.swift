import LongrunCore

/// How a notifier sends: how many at once, how long it waits for a receiver, when it
/// tries again, and where it may send.
public struct NotifierConfiguration: Sendable {
    /// Sends in flight at once.
    public var concurrency: Int
    /// Retry delays after failed attempts; the delivery is dead after the last.
    public var retrySchedule: DeliveryRetrySchedule
    /// The longest wait for a receiver's answer (the contract's 30 s).
    public var sendTimeout: Duration
    /// Fallback poll for deliveries whose NOTIFY was missed.
    public var pollInterval: Duration
    /// Time given to in-flight sends at SIGTERM before they are released.
    public var shutdownGrace: Duration
    /// Send to loopback and private addresses (development and tests).
    public var allowPrivateCallbacks: Bool
    /// Forward Ouro log lines, when set.
    public var ouro: OuroLogForwarding?

    public init(
        concurrency: Int = 64, retrySchedule: DeliveryRetrySchedule = .standard, sendTimeout: Duration = .seconds(30),
        pollInterval: Duration = .seconds(2), shutdownGrace: Duration = .seconds(30),
        allowPrivateCallbacks: Bool = false,
        ouro: OuroLogForwarding? = nil
    ) {
        self.concurrency = concurrency
        self.retrySchedule = retrySchedule
        self.sendTimeout = sendTimeout
        self.pollInterval = pollInterval
        self.shutdownGrace = shutdownGrace
        self.allowPrivateCallbacks = allowPrivateCallbacks
        self.ouro = ouro
    }

    /// How long a claimed delivery stays held: the send timeout, half again for the
    /// resolution and the write of the result, and a second. A notifier that dies holds
    /// its deliveries no longer than this.
    var claimHold: Duration { sendTimeout + sendTimeout / 2 + .seconds(1) }

    /// The formats this notifier sends: log forwards only when Ouro is configured.
    var formats: Set<WebhookDelivery.Format> { ouro == nil ? [.standard, .ouro] : [.standard, .ouro, .ouroLog] }
}
