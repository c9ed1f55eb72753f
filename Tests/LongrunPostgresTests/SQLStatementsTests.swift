import Testing

@testable import LongrunPostgres

@Suite struct SQLStatementsTests {
    @Test func splitsOnSemicolonsOutsideQuotesAndComments() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'it''s; fine');
            /* block; /* nested; */ still comment; */
            CREATE TABLE "b;c" (y int);
            CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;
            DO $$ BEGIN PERFORM 1; END $$;
            -- trailing comment only
            """
        let statements = SQLStatements.split(sql)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("DEFAULT 'it''s; fine')"))
        #expect(statements[1].contains("CREATE TABLE \"b;c\" (y int)"))
        #expect(statements[2].hasSuffix("$body$ SELECT 1; $body$ LANGUAGE sql"))
        #expect(statements[3] == "DO $$ BEGIN PERFORM 1; END $$")
    }

    @Test func aDollarSignInsideAnIdentifierIsNoQuote() {
        #expect(SQLStatements.split("SELECT 1 AS a$b; SELECT 2") == ["SELECT 1 AS a$b", "SELECT 2"])
    }

    @Test func emptyInputHasNoStatements() {
        #expect(SQLStatements.split("  \n-- nothing\n ; ;").isEmpty)
    }
}
