import Foundation

/// Where the machine's PostgreSQL server programs live.
struct PostgresBinaries: Sendable {
    /// The folder holding `initdb`, `pg_ctl` and `postgres`.
    let folder: URL

    var initdb: String { folder.appendingPathComponent("initdb").path }
    var pgbench: String { folder.appendingPathComponent("pgbench").path }
    var pgCtl: String { folder.appendingPathComponent("pg_ctl").path }

    /// `initdb` on PATH first (resolving links, since `pg_ctl` must sit beside the
    /// server it starts), then the newest of Debian's `/usr/lib/postgresql/*/bin`.
    static func locate(path: String? = ProcessInfo.processInfo.environment["PATH"]) -> PostgresBinaries? {
        let fileManager = FileManager.default
        let onPath = (path ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        for folder in onPath where fileManager.isExecutableFile(atPath: folder.appendingPathComponent("initdb").path) {
            let resolved = folder.appendingPathComponent("initdb").resolvingSymlinksInPath().deletingLastPathComponent()
            if fileManager.isExecutableFile(atPath: resolved.appendingPathComponent("pg_ctl").path) {
                return PostgresBinaries(folder: resolved)
            }
        }
        let debianRoot = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? fileManager.contentsOfDirectory(atPath: debianRoot.path)) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let folder = debianRoot.appendingPathComponent(version).appendingPathComponent("bin")
            if fileManager.isExecutableFile(atPath: folder.appendingPathComponent("initdb").path) {
                return PostgresBinaries(folder: folder)
            }
        }
        return nil
    }
}
