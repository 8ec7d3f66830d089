/// LoopbackListener.swift: a plain listening socket on 127.0.0.1, for servers a test plays
/// by hand (one that never answers, a proxy).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A socket listening on an ephemeral port of 127.0.0.1; closed by `close()`. Bound but not
/// listening (`listening: false`), it holds a port that refuses every connection.
struct LoopbackListener {
    let descriptor: Int32
    let port: Int

    /// `backlog`: how many connections the kernel completes and holds for `accept`.
    init(listening: Bool = true, backlog: Int32 = 16) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = descriptor >= 0 && withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound, !listening || listen(descriptor, backlog) == 0 else {
            if descriptor >= 0 { Glibc.close(descriptor) }
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))"])
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Connects `count` sockets that nobody accepts, filling a small backlog: the kernel then
    /// drops further connections' SYNs, as a firewall does, and they time out. Close them.
    func fillBacklog(count: Int = 3) -> [Int32] {
        (0..<count).map { _ in
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            _ = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            return filler
        }
    }

    /// Stops listening; a thread blocked in `accept` returns.
    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        Glibc.close(descriptor)
    }
}
