/// LazyEmulatorTests.swift: the in-process emulator of a run without a roster.toml starts
/// with the first vendor request, once, on the port the tenant was given at the start.
import Emulator
import Engine
import Foundation
import Testing
import Vendors

@Suite struct LazyEmulatorTests {
    /// Whether something accepts TCP connections on 127.0.0.1:`port` (asked only where
    /// nothing serves: a server stopped with a connection it has just accepted trips NIO).
    static func listening(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    @Test func theEmulatorStartsWithTheFirstVendorRequestOnly() async throws {
        var notices: [String] = []
        let connection = try await VendorConnection.open(configuration: nil, tenant: nil, useEmulator: true) { notices.append($0) }
        let emulator = try #require(connection.emulator)
        // The tenant and the notice name the port before anything listens on it.
        #expect(notices == ["roster: using the built-in emulator (\(emulator.origin)) with its demo data"])
        #expect(try #require(connection.tenant[EncoreConfiguration.self]).baseURL == emulator.origin + "/encore")
        #expect(!emulator.started)
        #expect(!Self.listening(emulator.port))

        // Two first requests at once: one start, both answered.
        let encore = EncoreClient(try #require(connection.tenant[EncoreConfiguration.self]), http: connection.http)
        async let first = encore.getUser(.internal(1001))
        async let second = encore.getUser(.internal(1001))
        let answers = try await [first, second]
        #expect(answers.allSatisfy { $0["UserName"]?.string == "ada" }, "\(answers)")
        #expect(emulator.started)

        await connection.close()
        #expect(!Self.listening(emulator.port))
    }

    @Test func anEmulatorNeverStartedLetsItsPortGo() async throws {
        let connection = try await VendorConnection.open(configuration: nil, tenant: nil, useEmulator: true) { _ in }
        let emulator = try #require(connection.emulator)
        await connection.close()
        #expect(!emulator.started)
        // Nothing holds the port any more: a socket binds it without SO_REUSEADDR.
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(emulator.port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        // Another test's connection may have been given the freed port as its own local one
        // (the suite runs in parallel): that socket is listed in /proc/net/tcp, where a
        // socket that is only bound, as the hold was, is not.
        #expect(bound || Self.connectionUses(port: emulator.port), "the port is still held")
    }

    /// Whether a connected or listening TCP socket of this machine has `port` as its local port.
    static func connectionUses(port: Int) -> Bool {
        let local = ":" + String(format: "%04X", port) + " "
        return ["/proc/net/tcp", "/proc/net/tcp6"].contains { path in
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst().contains { line in
                // `sl local_address rem_address st ...`: the local address is the second column.
                line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map { ($0 + " ").hasSuffix(local) } ?? false
            }
        }
    }
}
