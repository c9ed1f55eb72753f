#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP port on 127.0.0.1 that nobody listened on a moment ago (the kernel's choice
/// for port 0). Another process may take it before the server does; the launcher
/// retries with a new one when the start fails.
public func freeLoopbackPort() throws(LocalPostgresError) -> Int {
    guard let port = bindLoopback(port: 0) else {
        throw LocalPostgresError("cannot bind a socket on 127.0.0.1 to find a free port")
    }
    return port
}

/// Whether nobody listens on `port` of 127.0.0.1 at this moment.
public func loopbackPortIsFree(_ port: Int) -> Bool {
    bindLoopback(port: port) != nil
}

/// Binds a socket to `port` on 127.0.0.1 and closes it again: the bound port, or nil.
private func bindLoopback(port: Int) -> Int? {
    #if canImport(Glibc)
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }

    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
            bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
        }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
}
