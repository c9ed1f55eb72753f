/// Which network addresses a webhook may be sent to.
///
/// A callback URL is the client's choice, so without a guard it points the notifier
/// at the operator's own network (server-side request forgery). Only public unicast
/// addresses pass: loopback, private, link-local, CGNAT, unique-local, multicast,
/// unspecified, documentation and other reserved ranges are refused, and IPv6 forms
/// that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that
/// address. Hosts are judged after DNS resolution, by every address they resolve to.
public enum CallbackAddressPolicy {
    /// Whether `address` (4 or 16 bytes, network order) may receive webhooks.
    public static func isPublic(_ address: [UInt8]) -> Bool {
        switch address.count {
        case 4: return isPublicIPv4(address)
        case 16: return isPublicIPv6(address)
        default: return false
        }
    }

    private static func isPublicIPv4(_ a: [UInt8]) -> Bool {
        let refused: [(prefix: [UInt8], bits: Int)] = [
            ([0, 0, 0, 0], 8),  // "this network", unspecified
            ([10, 0, 0, 0], 8),  // private
            ([100, 64, 0, 0], 10),  // CGNAT
            ([127, 0, 0, 0], 8),  // loopback
            ([169, 254, 0, 0], 16),  // link-local (cloud metadata lives here)
            ([172, 16, 0, 0], 12),  // private
            ([192, 0, 0, 0], 24),  // IETF protocol assignments
            ([192, 0, 2, 0], 24),  // documentation
            ([192, 88, 99, 0], 24),  // 6to4 relay anycast
            ([192, 168, 0, 0], 16),  // private
            ([198, 18, 0, 0], 15),  // benchmarking
            ([198, 51, 100, 0], 24),  // documentation
            ([203, 0, 113, 0], 24),  // documentation
            ([224, 0, 0, 0], 4),  // multicast
            ([240, 0, 0, 0], 4),  // reserved, broadcast
        ]
        return !refused.contains { matches(a, prefix: $0.prefix, bits: $0.bits) }
    }

    private static func isPublicIPv6(_ a: [UInt8]) -> Bool {
        // Forms that carry an IPv4 address are judged by it.
        if a[0..<10].allSatisfy({ $0 == 0 }), a[10] == 0xFF, a[11] == 0xFF {
            return isPublicIPv4(Array(a[12..<16]))  // ::ffff:a.b.c.d, IPv4-mapped
        }
        if a[0..<12].allSatisfy({ $0 == 0 }) {
            return false  // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
        }
        if matches(a, prefix: [0x00, 0x64, 0xFF, 0x9B], bits: 32) {
            return isPublicIPv4(Array(a[12..<16]))  // 64:ff9b::/96 NAT64 (and the /48 local-use range)
        }
        if a[0] == 0x20, a[1] == 0x02 {
            return isPublicIPv4(Array(a[2..<6]))  // 2002::/16, 6to4
        }
        let refused: [(prefix: [UInt8], bits: Int)] = [
            ([0x01, 0x00], 64),  // discard-only
            ([0x20, 0x01, 0x00, 0x00], 32),  // Teredo
            ([0x20, 0x01, 0x0D, 0xB8], 32),  // documentation
            ([0x3F, 0xFF], 20),  // documentation
            ([0x5F, 0x00], 16),  // segment routing
            ([0xFC, 0x00], 7),  // unique-local
            ([0xFE, 0x80], 10),  // link-local
            ([0xFE, 0xC0], 10),  // site-local (deprecated)
            ([0xFF, 0x00], 8),  // multicast
        ]
        return !refused.contains { matches(a, prefix: $0.prefix, bits: $0.bits) }
    }

    private static func matches(_ address: [UInt8], prefix: [UInt8], bits: Int) -> Bool {
        for bit in 0..<bits {
            let byte = bit / 8
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            let expected = byte < prefix.count ? prefix[byte] & mask : 0
            if address[byte] & mask != expected { return false }
        }
        return true
    }
}
