/// Vendor.swift: a vendor's name, and what each vendor's client declares of itself.

/// A vendor, by the one name it has everywhere: the Lua module, the `roster.toml` section,
/// the emulator's path prefix and the call record. Each vendor declares its own constant
/// (`Vendor.encore`) in its folder; the registry lists the vendors a build knows.
public struct Vendor: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ name: String) { self.rawValue = name }

    public var description: String { rawValue }
}

/// How to reach one account of a vendor: its base URL, its credentials (inside `Secret`
/// values) and its options. The configuration knows its client, so that a tenant's list of
/// configurations is all a session needs to build clients.
public protocol VendorConfiguration: Sendable {
    associatedtype Client: VendorClient where Client.Configuration == Self
    static var vendor: Vendor { get }
    /// The secret values this configuration holds, for scrubbing what comes back.
    var secretValues: [String] { get }
    /// This configuration's client. A requirement, not only an extension method, so each
    /// vendor's witness is compiled for its own `Client`: called through the generic
    /// extension, the runtime looked `Client` up by name, a scan of the binary's
    /// conformances per vendor at every start.
    func makeClient(http: VendorHTTP) -> any VendorClient
}

extension VendorConfiguration {
    public func makeClient(http: VendorHTTP) -> any VendorClient { Client(self, http: http) }
}

/// A vendor's async client, built from its configuration.
public protocol VendorClient: Sendable {
    associatedtype Configuration: VendorConfiguration
    init(_ configuration: Configuration, http: VendorHTTP)
    /// Secrets the client obtained itself (an access token), for scrubbing; none by default.
    var liveSecrets: [String] { get }
    /// The account the client acts on, as a name that never holds a credential (where its
    /// API lives and a digest of its secrets): calls to one account may share a request.
    var account: String { get }
}

extension VendorClient {
    public static var vendor: Vendor { Configuration.vendor }
    public var liveSecrets: [String] { [] }
}
