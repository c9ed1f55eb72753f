import Foundation
import LongrunCore
import Testing

@Suite struct JSONValueTests {
    @Test func roundTripsEveryKindOfValue() throws {
        let text = #"{"a":[1,2.5,"x",true,null,{"b":{}}],"big":9007199254740993,"neg":-12}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let again = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
        #expect(again == value)
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        // 2^53 + 1 would round as a Double; it must stay exact.
        #expect(object["big"] == .integer(9_007_199_254_740_993))
        #expect(object["neg"] == .integer(-12))
        #expect(
            object["a"]
                == .array([.integer(1), .number(2.5), .string("x"), .bool(true), .null, .object(["b": .emptyObject])]))
    }
}
