import LongrunCore
import LongrunPostgres
import Testing

struct DatabaseURLTests {
    @Test func readsEveryPartOfTheURL() throws {
        let configuration = try DatabaseURL("postgres://ann:s%40cret@db.example:6543/my%20db?sslmode=disable")
            .clientConfiguration
        #expect(configuration.host == "db.example")
        #expect(configuration.port == 6543)
        #expect(configuration.username == "ann")
        #expect(configuration.password == "s@cret")
        #expect(configuration.database == "my db")
    }

    @Test func aSocketFolderSelectsAUnixSocket() throws {
        let configuration = try DatabaseURL("postgresql://ann@/longrun?host=/run/postgresql").clientConfiguration
        #expect(configuration.unixSocketPath == "/run/postgresql/.s.PGSQL.5432")
        #expect(configuration.host == nil)
    }

    @Test(arguments: ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])
    func acceptsLibpqsSSLModes(mode: String) throws {
        _ = try DatabaseURL("postgres://ann@127.0.0.1/longrun?sslmode=\(mode)")
    }

    @Test(arguments: [
        "postgres://ann@127.0.0.1/longrun?sslmode=sometimes", "mysql://ann@127.0.0.1/longrun", "not a url",
    ])
    func refusesWhatItCannotHonour(url: String) {
        #expect(throws: LongrunError.self) { try DatabaseURL(url) }
    }
}
