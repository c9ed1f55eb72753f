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

    /// However a URL, or anything holding one, is printed, the password stays out.
    @Test func printingNeverShowsThePassword() throws {
        let url = try DatabaseURL("postgres://ann:s3cr3t-pw@db.example:6543/longrun")
        struct Holder { let url: DatabaseURL }
        var dumped = ""
        dump(Holder(url: url), to: &dumped)
        for text in [
            "\(url)", String(reflecting: url), "\(Holder(url: url))", String(reflecting: Holder(url: url)), dumped,
        ] {
            #expect(!text.contains("s3cr3t"), "\(text)")
            #expect(text.contains("ann") && text.contains("db.example:6543"), "\(text)")
        }
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
