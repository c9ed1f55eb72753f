import Foundation
import Logging
import LongrunPostgres
import LongrunTesting
import PostgresNIO
import Testing

@testable import LongrunLocalPostgres

@Suite struct LocalPostgresTests {
    let logger = Logger(label: "longrun.test.local-postgres")

    /// Runs `body` with a fresh folder for a server of the test's own, removed afterwards;
    /// the test holds one of the suite's slots meanwhile, as a server is a test's worth of load.
    func withServerFolder(_ body: @Sendable (URL) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("longrun-local-postgres-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await TestSlots.with { try await body(folder) }
    }

    @Test func startsReusesItsClusterAndStops() async throws {
        try await withServerFolder { folder in
            let first = try await LocalPostgres.start(.init(folder: folder, durable: false), logger: logger)
            let firstPID = try postmasterPID(dataFolder: first.dataFolder)
            try await withPostgresClient(url: first.url, logger: logger) { client in
                try await client.query("CREATE TABLE kept (value text)", logger: logger)
                try await client.query("INSERT INTO kept VALUES ('from the first start')", logger: logger)
            }
            try await first.stop()
            #expect(await hasEnded(firstPID))
            #expect(
                !FileManager.default.fileExists(atPath: first.dataFolder.appendingPathComponent("postmaster.pid").path))

            // The second start finds the cluster and its password, and the data is still there.
            let second = try await LocalPostgres.start(.init(folder: folder, durable: false), logger: logger)
            let kept = try await withPostgresClient(url: second.url, logger: logger) { client in
                try await client.query("SELECT value FROM kept", logger: logger).collect().map {
                    try $0.decode(String.self)
                }
            }
            #expect(kept == ["from the first start"])
            #expect(second.password == first.password)
            let secondPID = try postmasterPID(dataFolder: second.dataFolder)
            try await second.stop()
            #expect(await hasEnded(secondPID))
        }
    }

    @Test func aSecondLauncherCannotTakeALiveServer() async throws {
        try await withServerFolder { folder in
            let server = try await LocalPostgres.start(.init(folder: folder, durable: false), logger: logger)
            let error = await #expect(throws: LocalPostgresError.self) {
                try await LocalPostgres.start(.init(folder: folder, durable: false), logger: logger)
            }
            #expect(error?.description.contains("another running process") == true)
            try await server.stop()
        }
    }

    @Test func anOrphanedServerIsStoppedOnTheNextStart() async throws {
        try await withServerFolder { folder in
            let orphaned = try await LocalPostgres.start(.init(folder: folder, durable: false), logger: logger)
            let orphanPID = try postmasterPID(dataFolder: orphaned.dataFolder)
            // What a crashed launcher leaves: a running server and nobody holding the folder.
            orphaned.lock.release()

            let next = try await LocalPostgres.start(.init(folder: folder, durable: false), logger: logger)
            #expect(await hasEnded(orphanPID))
            let answer = try await withPostgresClient(url: next.url, logger: logger) { client in
                try await client.query("SELECT 1", logger: logger).collect().first?.decode(Int.self)
            }
            #expect(answer == 1)
            try await next.stop()
        }
    }

    @Test func findsTheServerProgramsOfThisMachine() throws {
        let binaries = try #require(PostgresBinaries.locate())
        #expect(FileManager.default.isExecutableFile(atPath: binaries.initdb))
        #expect(FileManager.default.isExecutableFile(atPath: binaries.pgCtl))
        // Without PATH, Debian's folder is still found.
        #expect(PostgresBinaries.locate(path: "") != nil)
    }
}
