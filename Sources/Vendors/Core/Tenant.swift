/// Tenant.swift: one customer's vendor accounts, ready for the clients.

/// A tenant ready to use: each configured vendor's client configuration, secrets inside
/// `Secret` values.
public struct Tenant: Sendable {
    public var name: String
    /// On a terminal, a run of more changes than this asks first even when none is
    /// destructive (`confirm_over`).
    public var confirmOver = 10
    /// A run planning more changes than this is refused before it sends anything, unless
    /// `--max-changes` raises it for that run (`max_changes`; nil: no limit).
    public var maxChanges: Int?
    /// One configuration per vendor, in the registry's order.
    public private(set) var configurations: [any VendorConfiguration]

    public init(name: String, _ configurations: [any VendorConfiguration] = []) {
        self.name = name
        self.configurations = []
        for configuration in configurations { set(configuration) }
    }

    /// The configuration of `type`'s vendor, if the tenant has one.
    public subscript<Configuration: VendorConfiguration>(_ kind: Configuration.Type) -> Configuration? {
        get { configurations.first { type(of: $0).vendor == Configuration.vendor } as? Configuration }
        set {
            configurations.removeAll { type(of: $0).vendor == Configuration.vendor }
            if let newValue { configurations.append(newValue) }
        }
    }

    /// Adds `configuration`, replacing any of the same vendor.
    public mutating func set(_ configuration: any VendorConfiguration) {
        let vendor = type(of: configuration).vendor
        if let index = configurations.firstIndex(where: { type(of: $0).vendor == vendor }) {
            configurations[index] = configuration
        } else {
            configurations.append(configuration)
        }
    }

    /// Every secret value the tenant holds, for scrubbing text that comes back from vendors.
    public var secretValues: [String] { configurations.flatMap(\.secretValues) }

    /// The vendors this tenant configures.
    public var vendors: [Vendor] { configurations.map { type(of: $0).vendor } }
}
