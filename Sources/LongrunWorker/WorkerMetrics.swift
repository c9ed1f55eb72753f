import CoreMetrics
import LongrunCore
import Synchronization

/// What a worker counts, for `/metrics`. Handles are made once per kind and event and
/// kept: looking one up in the metrics registry on every operation showed in profiles.
final class WorkerMetrics: Sendable {
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

    private struct Handles {
        var counters: [String: [Event: Counter]] = [:]
        var timers: [String: Timer] = [:]
    }

    private let handles = Mutex(Handles())
    private let busy = Gauge(label: "longrun_worker_busy_slots")
    private let lag = Gauge(label: "longrun_worker_heartbeat_lag_seconds")

    func count(_ event: Event, kind: String, by amount: Int = 1) {
        let counter = handles.withLock { handles in
            if let counter = handles.counters[kind]?[event] { return counter }
            let counter = Counter(
                label: "longrun_worker_operations_total", dimensions: [("kind", kind), ("event", event.rawValue)])
            handles.counters[kind, default: [:]][event] = counter
            return counter
        }
        counter.increment(by: amount)
    }

    func runTime(_ duration: Duration, kind: String) {
        let timer = handles.withLock { handles in
            if let timer = handles.timers[kind] { return timer }
            let timer = Timer(label: "longrun_worker_run_duration_seconds", dimensions: [("kind", kind)])
            handles.timers[kind] = timer
            return timer
        }
        let (seconds, attoseconds) = duration.components
        timer.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    func busySlots(_ count: Int) {
        busy.record(count)
    }

    /// How late the last heartbeat finished against its schedule: near zero when healthy;
    /// leases are lost when it nears the lease length.
    func heartbeatLag(_ duration: Duration) {
        lag.record(duration.inSeconds)
    }
}
