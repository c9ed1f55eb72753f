import Foundation
import LongrunCore
import PostgresNIO

extension PostgresStore {
    /// Announces a worker process; a restarted process with the same id takes its row over.
    public func registerWorker(_ worker: WorkerRecord) async throws {
        try await query(
            """
            INSERT INTO workers (id, host, pid, queues, concurrency, started_at, last_heartbeat_at)
            VALUES (\(worker.id), \(worker.host), \(worker.pid), \(worker.queues), \(worker.concurrency),
                    \(worker.startedAt), \(worker.lastHeartbeatAt))
            ON CONFLICT (id) DO UPDATE SET
                host = excluded.host, pid = excluded.pid, queues = excluded.queues,
                concurrency = excluded.concurrency, started_at = excluded.started_at,
                last_heartbeat_at = excluded.last_heartbeat_at
            """
        )
    }

    public func worker(id: UUID) async throws -> WorkerRecord? {
        try await query(
            """
            SELECT id, host, pid, queues, concurrency, started_at, last_heartbeat_at
            FROM workers WHERE id = \(id)
            """
        ).first.map { row in
            let (id, host, pid, queues, concurrency, startedAt, lastHeartbeatAt) = try row.decode(
                (UUID, String, Int, [String], Int, Date, Date).self
            )
            return WorkerRecord(
                id: id, host: host, pid: pid, queues: queues, concurrency: concurrency, startedAt: startedAt,
                lastHeartbeatAt: lastHeartbeatAt
            )
        }
    }
}
