/// HostAddress.swift: a host as a connection takes it and as a message shows it.

/// A URL brackets an IPv6 address (`http://[::1]:8089`); a connection takes it bare (`::1`),
/// and a message shows `host:port` bracketed again, or `::1:8089` reads as another address.
public enum HostAddress {
    /// `host` without a URL's brackets: `[::1]` is `::1`; a name is as it is.
    public static func bare(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// `host:port` (`host` alone without a port), an IPv6 address in brackets.
    public static func shown(_ host: String, port: Int?) -> String {
        let host = bare(host)
        let written = host.contains(":") ? "[\(host)]" : host
        return port.map { "\(written):\($0)" } ?? written
    }
}
