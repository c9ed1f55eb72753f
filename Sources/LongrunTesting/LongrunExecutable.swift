import Foundation
import Subprocess

/// The `longrun` binary this test run built, for tests that need real processes
/// (concurrent migrations, `longrun dev` and its signals). SwiftPM puts it beside the
/// test bundle.
public enum LongrunExecutable {
    public static var path: String {
        get throws { try sibling("longrun") }
    }

    /// Another executable of the package (`longrun-bench`), built beside the tests too.
    public static func sibling(_ name: String) throws -> String {
        let folders = [
            Bundle.main.executableURL?.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ]
        for case let folder? in folders {
            let candidate = folder.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestSupportError("the \(name) binary was not built beside the tests; run `swift build --build-tests`")
    }

    /// The environment for a child `longrun`: this one without `DATABASE_URL` (so only
    /// what a test passes counts), quiet logs, and `extra`.
    public static func environment(_ extra: [String: String] = [:]) -> Subprocess.Environment {
        .custom(
            .init(
                uniqueKeysWithValues: variables(extra).compactMap { name, value in
                    Subprocess.Environment.Key(rawValue: name).map { ($0, value) }
                })
        )
    }

    /// ``environment(_:)`` as a dictionary.
    public static func variables(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = nil
        environment["LONGRUN_LOG_LEVEL"] = "warning"
        environment.merge(extra) { _, new in new }
        return environment
    }
}
