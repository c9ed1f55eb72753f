import CoreMetrics
import LongrunCore

/// What a worker counts, for `/metrics`.
struct WorkerMetrics: Sendable {
    enum Event: String, Sendable {
        case claimed, succeeded, failed, cancelled, retried, released, abandoned
        /// The heartbeat or a write found the lease gone.
        case leaseLost = "lease_lost"
        /// Taken back from a silent worker for another attempt.
        case rescued
        /// Taken back from a silent worker, with no attempts left.
        case rescuedAndFailed = "rescued_failed"
        /// Failed while pending: the deadline passed before any start.
        case expired
    }

    func count(_ event: Event, kind: String, by amount: Int = 1) {
        Counter(label: "longrun_worker_operations_total", dimensions: [("kind", kind), ("event", event.rawValue)])
            .increment(by: amount)
    }

    func runTime(_ duration: Duration, kind: String) {
        let (seconds, attoseconds) = duration.components
        Timer(label: "longrun_worker_run_duration_seconds", dimensions: [("kind", kind)])
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func busySlots(_ busy: Int) {
        Gauge(label: "longrun_worker_busy_slots").record(busy)
    }

    /// How late the last heartbeat finished against its schedule: near zero when healthy,
    /// and a lease is lost when it nears the lease length.
    func heartbeatLag(_ lag: Duration) {
        Gauge(label: "longrun_worker_heartbeat_lag_seconds").record(lag.inSeconds)
    }
}
