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

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("5s", .seconds(5)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("2d", .seconds(172_800)), ("1.5s", .milliseconds(1500)), ("30", .seconds(30)),
    ])
    func readsTheUnitsOperatorsWrite(text: String, duration: Duration) {
        #expect(DurationText.parse(text) == duration)
    }

    @Test(arguments: ["", "s", "-1s", "fast", "1w", "1e400s", "400d"])
    func refusesAnythingElse(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
