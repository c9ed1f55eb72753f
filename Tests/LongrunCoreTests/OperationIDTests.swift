import Foundation
import LongrunCore
import Testing

@Suite struct OperationIDTests {
    @Test func isVersion7WithTheRFCVariant() {
        let id = OperationID.make()
        #expect(id.uuid.6 >> 4 == 7)
        #expect(id.uuid.8 >> 6 == 0b10)
    }

    @Test func carriesItsCreationMillisecond() {
        let date = Date(timeIntervalSince1970: 1_764_000_000.123)
        let id = OperationID.make(at: date)
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        let milliseconds = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(milliseconds == 1_764_000_000_123)
    }

    @Test func sortsByCreationTime() {
        let start = Date(timeIntervalSince1970: 1_764_000_000)
        let ids = (0..<200).map { OperationID.make(at: start.addingTimeInterval(Double($0) / 100)) }
        #expect(ids.map(\.uuidString.localizedLowercase) == ids.map(\.uuidString.localizedLowercase).sorted())
        #expect(Set(ids).count == ids.count)
    }
}

@Suite struct UUIDTextTests {
    @Test func lowercasedTextIsFoundationsTextInLowercase() {
        for _ in 0..<100 {
            let id = UUID()
            #expect(id.lowercasedText == id.uuidString.lowercased())
        }
        #expect(OperationID.make().lowercasedText.count == 36)
    }
}
