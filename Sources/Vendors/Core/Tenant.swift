/// Tenant.swift: one customer's vendor accounts, ready for the clients.

/// A tenant ready to use: each configured vendor's client configuration, secrets inside
/// `Secret` values.
public struct Tenant: Sendable {
    public var name: String
    public var activeconnect: ActiveconnectConfiguration?
    public var encore: EncoreConfiguration?
    public var guardant: GuardantConfiguration?
    public var active911: Active911Configuration?
    public var allthenticate: AllthenticateConfiguration?

    public init(name: String, activeconnect: ActiveconnectConfiguration? = nil, encore: EncoreConfiguration? = nil,
                guardant: GuardantConfiguration? = nil, active911: Active911Configuration? = nil,
                allthenticate: AllthenticateConfiguration? = nil) {
        self.name = name
        self.activeconnect = activeconnect
        self.encore = encore
        self.guardant = guardant
        self.active911 = active911
        self.allthenticate = allthenticate
    }

    /// Every secret value the tenant holds, for scrubbing text that comes back from vendors.
    public var secretValues: [String] {
        [activeconnect?.applicationSecret, encore?.subscriptionKey, guardant?.token,
         active911?.refreshToken, allthenticate?.apiKey].compactMap { $0?.reveal() }
    }

    /// The vendors this tenant configures.
    public var vendors: [Vendor] {
        var vendors: [Vendor] = []
        if activeconnect != nil { vendors.append(.activeconnect) }
        if encore != nil { vendors.append(.encore) }
        if guardant != nil { vendors.append(.guardant) }
        if active911 != nil { vendors.append(.active911) }
        if allthenticate != nil { vendors.append(.allthenticate) }
        return vendors
    }
}
