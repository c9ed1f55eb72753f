import LongrunCore
import Testing

@Suite struct CallbackAddressPolicyTests {
    static func v4(_ text: String) -> [UInt8] { text.split(separator: ".").map { UInt8($0)! } }

    /// A full IPv6 address from eight groups of hex digits.
    static func v6(_ groups: [UInt16]) -> [UInt8] { groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }

    @Test(arguments: [
        "0.0.0.0", "10.0.0.1", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.255.255.255", "169.254.169.254",
        "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.2.1", "192.168.1.1", "198.18.0.1", "198.51.100.7",
        "203.0.113.9", "224.0.0.1", "239.255.255.255", "240.0.0.1", "255.255.255.255",
    ])
    func refusesNonPublicIPv4(address: String) {
        #expect(!CallbackAddressPolicy.isPublic(Self.v4(address)))
    }

    @Test(arguments: [
        "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.255.255", "172.32.0.1", "93.184.216.34",
    ])
    func acceptsPublicIPv4(address: String) {
        #expect(CallbackAddressPolicy.isPublic(Self.v4(address)))
    }

    @Test func refusesNonPublicIPv6AndEmbeddedPrivateIPv4() {
        let refused: [[UInt16]] = [
            [0, 0, 0, 0, 0, 0, 0, 0],  // ::
            [0, 0, 0, 0, 0, 0, 0, 1],  // ::1
            [0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 0x0001],  // ::ffff:127.0.0.1
            [0, 0, 0, 0, 0, 0xFFFF, 0x0A00, 0x0001],  // ::ffff:10.0.0.1
            [0, 0, 0, 0, 0, 0, 0x7F00, 0x0001],  // ::127.0.0.1 (IPv4-compatible)
            [0x0064, 0xFF9B, 0, 0, 0, 0, 0xA9FE, 0xA9FE],  // NAT64 of 169.254.169.254
            [0x2002, 0xC0A8, 0x0101, 0, 0, 0, 0, 1],  // 6to4 of 192.168.1.1
            [0xFC00, 0, 0, 0, 0, 0, 0, 1], [0xFD12, 0x3456, 0, 0, 0, 0, 0, 1],  // unique-local
            [0xFE80, 0, 0, 0, 0, 0, 0, 1],  // link-local
            [0xFF02, 0, 0, 0, 0, 0, 0, 1],  // multicast
            [0x2001, 0x0DB8, 0, 0, 0, 0, 0, 1],  // documentation
            [0x0100, 0, 0, 0, 0, 0, 0, 1],  // discard-only
        ]
        for groups in refused {
            #expect(!CallbackAddressPolicy.isPublic(Self.v6(groups)), "\(groups)")
        }
    }

    @Test func acceptsPublicIPv6AndEmbeddedPublicIPv4() {
        #expect(CallbackAddressPolicy.isPublic(Self.v6([0x2606, 0x4700, 0, 0, 0, 0, 0, 0x1111])))
        #expect(CallbackAddressPolicy.isPublic(Self.v6([0, 0, 0, 0, 0, 0xFFFF, 0x0808, 0x0808])))  // ::ffff:8.8.8.8
        #expect(CallbackAddressPolicy.isPublic(Self.v6([0x0064, 0xFF9B, 0, 0, 0, 0, 0x0808, 0x0808])))
    }

    @Test func refusesAnythingThatIsNotAnAddress() {
        #expect(!CallbackAddressPolicy.isPublic([]))
        #expect(!CallbackAddressPolicy.isPublic([8, 8, 8]))
    }
}
