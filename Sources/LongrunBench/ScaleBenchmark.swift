import ArgumentParser
import Foundation
import Logging
import LongrunCore
import LongrunPostgres

/// Does claiming stay cheap as the table grows? The worker's own statements (one claim
/// of a batch, one completion of that batch) timed on a table holding a pending backlog
/// of each given size, and then beside a large finished history. Rows a round takes are
/// put back, untimed, so the backlog holds its size.
struct ScaleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Claim + complete cost with growing pending backlogs and a large finished history."
    )

    @OptionGroup var database: BenchmarkDatabase

    @Option(help: "Pending backlogs to measure at, comma-separated.")
    var pending = "10000,100000,1000000"

    @Option(help: "Finished operations present for the last measurement (beside the smallest backlog).")
    var finished = 10_000_000

    @Option(help: "Operations per claim and per completion.")
    var batch = 100

    @Option(help: "Timed rounds per series.")
    var rounds = 200

    @Option(help: "Timed series per point; a point's figure is their median.")
    var series = 3

    func run() async throws {
        var logger = Logger(label: "longrun.bench")
        logger.logLevel = .warning
        let backlogs = pending.split(separator: ",").compactMap { Int($0) }
        guard !backlogs.isEmpty, backlogs.allSatisfy({ $0 >= batch }) else {
            throw ValidationError("--pending needs sizes of at least one batch, e.g. 10000,100000")
        }
        guard series >= 1 else { throw ValidationError("--series needs at least 1") }
        let points = try await database.withURL(logger: logger) { url in
            try await withPostgresStore(url: url, logger: logger) { store in
                try await store.migrate()
                let tenant = try await store.ensureTenant(named: "bench")
                var points: [ScalePoint] = []
                for backlog in backlogs {
                    try await BenchmarkFixtures.deleteAllOperations(store: store)
                    try await BenchmarkFixtures.prefill(
                        store: store, tenantID: tenant.id, kind: "demo.noop", count: backlog)
                    points.append(
                        ScalePoint(
                            pending: backlog, finished: 0, rate: try await medianRate(store, tenantID: tenant.id)))
                }
                try await BenchmarkFixtures.deleteAllOperations(store: store)
                try await BenchmarkFixtures.prefillFinished(
                    store: store, tenantID: tenant.id, kind: "demo.noop", count: finished)
                try await BenchmarkFixtures.prefill(
                    store: store, tenantID: tenant.id, kind: "demo.noop", count: backlogs[0])
                points.append(
                    ScalePoint(
                        pending: backlogs[0], finished: finished, rate: try await medianRate(store, tenantID: tenant.id)
                    ))
                return points
            }
        }
        let base = points[0].rate
        print(
            "scale: claim \(batch) + complete \(batch), one connection; "
                + "the median of \(series) series of \(rounds) rounds per point")
        for point in points {
            print(
                "  \(String(format: "%9d", point.pending)) pending, \(String(format: "%9d", point.finished)) finished"
                    + "   \(String(format: "%8.0f", point.rate)) operations/s   "
                    + "(cost \(String(format: "%.2f", base / point.rate)) × the first)")
        }
        for point in points {
            print(
                jsonObject([
                    ("scenario", "\"scale\""), ("pending", "\(point.pending)"), ("finished", "\(point.finished)"),
                    ("batch", "\(batch)"), ("series", "\(series)"),
                    ("operations_per_second", String(format: "%.1f", point.rate)),
                    ("cost_ratio_to_first", String(format: "%.3f", base / point.rate)),
                ]))
        }
    }

    /// The median of `series` timed series: one slow stretch of a shared machine, timed
    /// once, moved a point's ratio by a tenth.
    private func medianRate(_ store: PostgresStore, tenantID: Int64) async throws -> Double {
        var rates: [Double] = []
        for _ in 0..<series { rates.append(try await measure(store, tenantID: tenantID)) }
        return rates.sorted()[rates.count / 2]
    }

    /// Operations per second of the timed claim + complete statements.
    private func measure(_ store: PostgresStore, tenantID: Int64) async throws -> Double {
        let request = ClaimRequest(
            workerID: UUID(), slots: batch, queues: ["default"], kinds: ["demo.noop"], lease: .seconds(60))
        var timed = Duration.zero
        var done = 0
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            let claimed = try await store.claim(request)
            let finished = try await store.leave(
                claimed.map { Departure(id: $0.id, leaseToken: $0.leaseToken, outcome: .succeeded(.emptyObject)) })
            timed += ContinuousClock.now - start
            done += finished.count
            try await BenchmarkFixtures.insertPending(
                store: store, tenantID: tenantID, kind: "demo.noop", count: claimed.count)
        }
        guard done == batch * rounds else {
            throw CleanExit.message("only \(done) of \(batch * rounds) claims completed")
        }
        return Double(done) / timed.inSeconds
    }
}

private struct ScalePoint {
    var pending: Int
    var finished: Int
    var rate: Double
}
