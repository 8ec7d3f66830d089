/// VendorProxy.swift: the HTTP proxy a site's vendor requests must go through, and the hosts
/// that are reached directly.
import AsyncHTTPClient
import Foundation
import Synchronization

/// An HTTP proxy (`proxy = "http://proxy.example.com:3128"` in roster.toml, or the
/// `https_proxy` and `http_proxy` variables), with the hosts that bypass it (`no_proxy`).
/// An HTTPS vendor is reached through it with CONNECT, so the proxy sees only the host
/// name. Loopback addresses never go through it: nothing a proxy reaches is there.
public struct VendorProxy: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let host: String
    public let port: Int
    /// Basic proxy authorization; never shown.
    let user: String?
    let password: String?
    /// Host names (`vendor.example.com`) and domains (`.example.com`, or `example.com`,
    /// which also matches its subdomains) reached directly; `*`: every host.
    public let bypass: [String]

    /// `url` is `http://[USER[:PASSWORD]@]HOST[:PORT]` (port 80 when none is given).
    public init(url: String, bypass: [String] = []) throws(VendorProxyError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            throw VendorProxyError("is not a proxy address (http://HOST:PORT)")
        }
        guard scheme == "http" else {
            throw VendorProxyError("is a \(scheme):// proxy; Roster speaks to an HTTP proxy (http://HOST:PORT), which reaches HTTPS vendors with CONNECT")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil else {
            throw VendorProxyError("has a path; a proxy is http://HOST:PORT")
        }
        // A port past 65535 would be cut to another one where the connection is made.
        if let port = components.port, !(1...65_535).contains(port) {
            throw VendorProxyError("has port \(port), which is not from 1 to 65535")
        }
        self.host = HostAddress.bare(host) // what a connection takes; `shown` brackets it again
        port = components.port ?? 80
        user = components.user.map { $0.removingPercentEncoding ?? $0 }
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.bypass = bypass.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    private init(host: String, port: Int, user: String?, password: String?, bypass: [String]) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.bypass = bypass
    }

    /// The same proxy, authorized with `password` (for its user, or none).
    public func authorized(password: String) -> VendorProxy {
        VendorProxy(host: host, port: port, user: user ?? "", password: password, bypass: bypass)
    }

    /// The proxy the environment names for vendors at `scheme` (curl's variables:
    /// `https_proxy` or `HTTPS_PROXY` for https, `http_proxy` or `HTTP_PROXY` for http, and
    /// `no_proxy` or `NO_PROXY`, comma-separated); nil when it names none.
    public static func fromEnvironment(_ environment: [String: String], scheme: String) throws(VendorProxyError) -> VendorProxy? {
        let name = scheme.lowercased() == "https" ? "https_proxy" : "http_proxy"
        guard let url = environment[name] ?? environment[name.uppercased()], !url.isEmpty else { return nil }
        let bypass = (environment["no_proxy"] ?? environment["NO_PROXY"] ?? "").split(separator: ",").map(String.init)
        do {
            return try VendorProxy(url: url.contains("://") ? url : "http://" + url, bypass: bypass)
        } catch {
            throw VendorProxyError("\(name) \(error.description)")
        }
    }

    /// Whether a request to `host` goes through the proxy.
    public func isUsed(for host: String) -> Bool {
        let host = HostAddress.bare(host.lowercased())
        if host == "localhost" || host.hasPrefix("127.") || host == "::1" { return false }
        for entry in bypass {
            if entry == "*" { return false }
            let domain = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            if host == domain || host.hasSuffix("." + domain) { return false }
        }
        return true
    }

    /// `http://proxy.example.com:3128`: the address without its user or password.
    public var shown: String { "http://" + HostAddress.shown(host, port: port) }

    // Printed or dumped, it never shows its password.
    public var description: String { shown }
    public var debugDescription: String { shown }
    public var customMirror: Mirror { Mirror(self, children: ["shown": shown]) }

    /// The process's client through this proxy, made on first use and kept (as
    /// `VendorHTTP.vendorClient` is), with that client's settings.
    var client: HTTPClient {
        Self.clients.withLock { clients in
            if let client = clients[self] { return client }
            var configuration = VendorHTTP.clientConfiguration()
            let authorization = user.map { HTTPClient.Authorization.basic(username: $0, password: password ?? "") }
            configuration.proxy = .server(host: host, port: port, authorization: authorization)
            // The pool does not retry a connection (see `clientConfiguration`): a proxy's
            // refusal (407, 403) is its configuration's answer, the same at every attempt.
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[self] = client
            return client
        }
    }

    private static let clients = Mutex<[VendorProxy: HTTPClient]>([:])
}

/// The proxies a process's vendor requests go through, by the vendor URL's scheme.
public struct VendorProxies: Sendable {
    public var http: VendorProxy?
    public var https: VendorProxy?

    public init(http: VendorProxy?, https: VendorProxy?) {
        self.http = http
        self.https = https
    }

    /// `configured` (roster.toml's `proxy`) for every vendor, else what the environment
    /// names; nil when there is none.
    public static func resolve(configured: VendorProxy?, environment: [String: String]) throws(VendorProxyError) -> VendorProxies? {
        if let configured { return VendorProxies(http: configured, https: configured) }
        let proxies = VendorProxies(http: try VendorProxy.fromEnvironment(environment, scheme: "http"),
                                    https: try VendorProxy.fromEnvironment(environment, scheme: "https"))
        return proxies.http == nil && proxies.https == nil ? nil : proxies
    }

    /// The proxy a request to `url` goes through; nil: reached directly.
    func proxy(for url: String) -> VendorProxy? {
        guard let parsed = URL(string: url), let host = parsed.host,
              let proxy = parsed.scheme?.lowercased() == "https" ? https : http, proxy.isUsed(for: host) else { return nil }
        return proxy
    }
}

/// A proxy address that cannot be used: what is wrong with it, never the address itself
/// (it may hold a password).
public struct VendorProxyError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
