/// VendorProxyTests.swift: vendor requests through an HTTP proxy — tunnelled with CONNECT,
/// with the proxy's Basic authorization; a proxy's refusal is one line, not retried; hosts
/// on `no_proxy` and loopback are reached directly.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import Vendors

@Suite struct VendorProxyTests {
    @Test func aRequestIsTunnelledThroughTheProxyWithItsAuthorization() async throws {
        let proxy = try FakeProxy(authorization: "Basic b3BzOmh1bnRlcjI=") // ops:hunter2
        defer { proxy.stop() }
        let settings = try VendorProxy(url: "http://ops@127.0.0.1:\(proxy.port)").authorized(password: "hunter2")
        let http = VendorHTTP(timeout: .seconds(10), retry: .none).proxied(by: VendorProxies(http: settings, https: settings))
        let response = try await http.send(VendorRequest(vendor: .encore, operation: "get_user", method: .GET,
                                                         url: "http://vendor.invalid/users/1", idempotent: true))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"UserName":"via-proxy"}"#)
        #expect(proxy.seen == ["CONNECT vendor.invalid:80 HTTP/1.1 (authorized)", "GET /users/1 HTTP/1.1"])
        // Printed or dumped, the proxy never shows its password.
        var dumped = ""
        dump(settings, to: &dumped)
        for text in ["\(settings)", String(reflecting: settings), dumped] { #expect(!text.contains("hunter2"), "\(text)") }
    }

    @Test func aProxyThatAsksForAPasswordIsOneLineAndNotRetried() async throws {
        let proxy = try FakeProxy(authorization: "Basic b3BzOmh1bnRlcjI=")
        defer { proxy.stop() }
        let settings = try VendorProxy(url: "http://127.0.0.1:\(proxy.port)")
        let http = VendorHTTP(timeout: .seconds(10)).proxied(by: VendorProxies(http: settings, https: settings))
        do throws(VendorError) {
            _ = try await http.send(VendorRequest(vendor: .encore, operation: "get_user", method: .GET, url: "http://vendor.invalid/users/1", idempotent: true))
            Issue.record("sent without the proxy's password")
        } catch {
            #expect(error.message == #"the proxy asks for a user and password (proxy = "http://USER@HOST:PORT" and proxy_password in roster.toml)"#)
            #expect(!error.retryable && !error.outcomeUnknown)
        }
    }

    /// A proxy that cannot be reached is named as the one that could not be: the vendor
    /// behind it was never tried. An IPv6 proxy is connected to, not looked up as a name.
    @Test func aProxyThatCannotBeReachedIsNamed() async throws {
        let refusing = try LoopbackListener(listening: false)
        defer { refusing.close() }
        for (address, shown) in [("http://127.0.0.1:\(refusing.port)", "http://127.0.0.1:\(refusing.port)"), ("http://[::1]:\(refusing.port)", "http://[::1]:\(refusing.port)")] {
            let settings = try VendorProxy(url: address)
            let http = VendorHTTP(timeout: .seconds(60), retry: .none).proxied(by: VendorProxies(http: settings, https: settings))
            do throws(VendorError) {
                _ = try await http.send(VendorRequest(vendor: .encore, operation: "get_user", method: .GET, url: "http://vendor.invalid/users/1", idempotent: true))
                Issue.record("answered through a proxy that is not there")
            } catch {
                #expect(error.message.hasPrefix("could not connect to vendor.invalid through the proxy \(shown) ("), "\(error.message)")
                #expect(!error.message.contains("not found"), "\(error.message)")
            }
        }
    }

    @Test func loopbackAndTheBypassedHostsAreReachedDirectly() throws {
        let proxy = try VendorProxy(url: "http://proxy.example.com:3128", bypass: [".corp.example.com", "vendor.internal", " "])
        #expect(proxy.shown == "http://proxy.example.com:3128")
        for host in ["api.actsoft.com", "corp.example.com.evil.net", "xvendor.internal"] { #expect(proxy.isUsed(for: host), "\(host)") }
        for host in ["127.0.0.1", "localhost", "::1", "a.corp.example.com", "corp.example.com", "VENDOR.internal"] {
            #expect(!proxy.isUsed(for: host), "\(host)")
        }
        #expect(!(try VendorProxy(url: "http://p:1", bypass: ["*"])).isUsed(for: "api.actsoft.com"))
    }

    /// An IPv6 proxy is connected to by its bare address (a bracketed one would be looked up
    /// as a host name) and shown bracketed, as is a vendor's address in a connection error.
    @Test func anIPv6AddressIsBareToConnectAndBracketedToShow() throws {
        let proxy = try VendorProxy(url: "http://[fd00::7]:3128")
        #expect(proxy.host == "fd00::7")
        #expect(proxy.shown == "http://[fd00::7]:3128")
        #expect(!proxy.isUsed(for: "[::1]") && !proxy.isUsed(for: "::1"))
        #expect(VendorHTTP.hostAndPort("http://[::1]:8089/encore") == "[::1]:8089")
        #expect(VendorHTTP.hostAndPort("https://[fd00::1]/x") == "[fd00::1]")
        #expect(VendorHTTP.hostAndPort("http://127.0.0.1:8089/encore") == "127.0.0.1:8089")
    }

    @Test func theEnvironmentNamesAProxyPerScheme() throws {
        let environment = ["HTTPS_PROXY": "proxy.example.com:3128", "no_proxy": "vendor.internal,.corp"]
        let https = try #require(try VendorProxy.fromEnvironment(environment, scheme: "https"))
        #expect(https.host == "proxy.example.com" && https.port == 3128 && https.bypass == ["vendor.internal", ".corp"])
        #expect(try VendorProxy.fromEnvironment(environment, scheme: "http") == nil)
        #expect(try VendorProxies.resolve(configured: nil, environment: [:]) == nil)
        #expect(throws: VendorProxyError.self) { try VendorProxy.fromEnvironment(["https_proxy": "socks5://p:1080"], scheme: "https") }
        for (url, why) in [("socks5://p:1080", "is a socks5:// proxy; Roster speaks to an HTTP proxy (http://HOST:PORT), which reaches HTTPS vendors with CONNECT"),
                           ("http://p:1/path", "has a path; a proxy is http://HOST:PORT"), ("nonsense", "is not a proxy address (http://HOST:PORT)")] {
            do {
                _ = try VendorProxy(url: url)
                Issue.record("accepted \(url)")
            } catch {
                #expect(error.description == why)
            }
        }
    }
}

/// A proxy on 127.0.0.1 that accepts CONNECT with the right Proxy-Authorization (and answers
/// 407 without it), then answers the tunnelled request itself; it notes each request line.
private final class FakeProxy: Sendable {
    private let listener: LoopbackListener
    private let lines = Mutex<[String]>([])
    var port: Int { listener.port }
    var seen: [String] { lines.withLock { $0 } }

    init(authorization: String) throws {
        listener = try LoopbackListener()
        let descriptor = listener.descriptor
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(descriptor, nil, nil)
                guard connection >= 0 else { return }
                serve(connection, authorization: authorization)
                close(connection)
            }
        }
    }

    /// Ends the accepting thread (which holds the proxy until then).
    func stop() { listener.close() }

    private func serve(_ connection: Int32, authorization: String) {
        let head = readHead(connection)
        let requestLine = head.first ?? ""
        let authorized = head.contains { $0.lowercased() == "proxy-authorization: \(authorization.lowercased())" }
        lines.withLock { $0.append(requestLine + (authorized ? " (authorized)" : "")) }
        guard authorized else {
            send(connection, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            return
        }
        send(connection, "HTTP/1.1 200 Connection established\r\n\r\n")
        let inner = readHead(connection)
        lines.withLock { $0.append(inner.first ?? "") }
        let body = #"{"UserName":"via-proxy"}"#
        send(connection, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    }

    /// The lines of a request's head (up to the blank line).
    private func readHead(_ connection: Int32) -> [String] {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while !bytes.suffix(4).elementsEqual([13, 10, 13, 10]), read(connection, &byte, 1) == 1 { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    private func send(_ connection: Int32, _ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { write(connection, $0.baseAddress, $0.count - 1) }
    }
}
