import Crypto
import Foundation
import LongrunCore

/// One numbered file of `sql/`, as bundled into the binary.
public struct Migration: Sendable, Hashable {
    public var version: Int
    /// The file name, e.g. `0003_operations.sql`.
    public var name: String
    public var sql: String

    /// SHA-256 of the file, recorded when applied so a later edit is caught.
    public var checksum: [UInt8] { Array(SHA256.hash(data: Array(sql.utf8))) }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// The migrations bundled with this build, in order.
    public static func bundled() throws(LongrunError) -> [Migration] {
        guard let folder = Bundle.module.url(forResource: "sql", withExtension: nil) else {
            throw LongrunError(.environment, "the bundled sql/ folder is missing from this build")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw LongrunError(.environment, "cannot list \(folder.path): \(error)")
        }
        var migrations: [Migration] = []
        for name in names where name.hasSuffix(".sql") {
            guard let version = Int(name.prefix(while: \.isNumber)), name.first?.isNumber == true else {
                throw LongrunError(.schemaMismatch, "migration \(name) does not start with its number")
            }
            guard let sql = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else {
                throw LongrunError(.environment, "cannot read migration \(name)")
            }
            migrations.append(Migration(version: version, name: name, sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (index, migration) in migrations.enumerated() where migration.version != index + 1 {
            throw LongrunError(.schemaMismatch, "migrations must be numbered 1, 2, 3…; found \(migration.name)")
        }
        return migrations
    }
}
