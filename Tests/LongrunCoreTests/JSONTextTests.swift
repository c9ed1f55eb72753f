import Foundation
import LongrunCore
import Testing

@Suite struct JSONTextTests {
    let sample = JSONValue.object([
        "text": .string("quote \" backslash \\ slash / newline \n tab \t bell \u{07} é 😀"),
        "whole": .integer(-9_007_199_254_740_993), "fraction": .number(0.1), "tiny": .number(1e-300),
        "flags": .array([.bool(true), .bool(false), .null]), "empty": .object([:]), "none": .array([]),
    ])

    @Test func textRoundTripsThroughTheParserAndFoundation() throws {
        let text = sample.jsonText
        #expect(JSONValue(jsonBytes: Array(text.utf8)) == sample)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == sample)
        #expect(JSONValue.object(["b": .integer(1), "a": .null]).jsonText == #"{"a":null,"b":1}"#)
    }

    @Test func parsesWhatOtherWritersWrite() throws {
        let written = try JSONEncoder().encode(sample)
        #expect(JSONValue(jsonBytes: written) == sample)
        #expect(
            JSONValue(jsonBytes: Array(#" { "a" : [ 1 , 2.5e3 , "\u00e9\ud83d\ude00" ] } "#.utf8))
                == .object(["a": .array([.integer(1), .number(2500), .string("é😀")])]))
        #expect(JSONValue(jsonBytes: Array("18446744073709551616".utf8)) == .number(18_446_744_073_709_551_616))
    }

    @Test(arguments: [
        "", "nul", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "-", "\"open", "\"\\x\"", "\"\u{01}\"",
        "\"\\ud800\"", "[1] 2", "{1:2}", "tru", "1e", "NaN",
    ])
    func refusesWhatIsNotOneJSONDocument(text: String) {
        #expect(JSONValue(jsonBytes: Array(text.utf8)) == nil)
    }

    @Test func refusesNestingDeeperThanItsLimit() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(JSONValue(jsonBytes: Array(deep.utf8)) == nil)
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(JSONValue(jsonBytes: Array(fine.utf8)) != nil)
    }
}
