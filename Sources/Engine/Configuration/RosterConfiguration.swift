/// RosterConfiguration.swift: `roster.toml` — tenants and their vendors — found, read and
/// checked whole; a tenant's secrets are read only when that tenant is used.
import Foundation
import Vendors

/// A checked `roster.toml`.
public struct RosterConfiguration: Sendable {
    /// The file as the user named it (or as Roster found it).
    public let file: String
    public let defaultTenant: String?
    public let tenants: [String: TenantSettings]

    /// Reads and checks `path`: syntax, every key, every type. Secrets are not read yet.
    public static func load(path: String) throws(ConfigurationError) -> RosterConfiguration {
        let document = try ConfigurationDocument(
            contentsOf: path,
            fix: "check the path, or run `roster emulator --write-config \(path)` to write one for the emulator")
        return try RosterConfiguration(document)
    }

    public init(_ document: ConfigurationDocument) throws(ConfigurationError) {
        let root = ConfigurationSection(document: document, path: [], fields: document.root)
        try root.requireOnly(["default_tenant", "tenants"])
        file = document.file
        guard let tenantTables = try root.table("tenants"), !tenantTables.fields.isEmpty else {
            throw document.error(at: ["tenants"], "no tenant is configured",
                                 fix: "add a [tenants.NAME.VENDOR] section (see the README), or run without a configuration for the emulator")
        }
        var tenants: [String: TenantSettings] = [:]
        for name in tenantTables.fields.keys.sorted() {
            tenants[name] = try TenantSettings(name: name, section: tenantTables.table(name)!)
        }
        self.tenants = tenants
        defaultTenant = try root.string("default_tenant", example: tenants.keys.sorted().first ?? "acme")
        if let defaultTenant, tenants[defaultTenant] == nil {
            throw document.error(at: ["default_tenant"], "no tenant named '\(defaultTenant)'",
                                 fix: "use one of: " + tenants.keys.sorted().joined(separator: ", "))
        }
    }

    /// The tenant to use: `name` (from `--tenant`), else `default_tenant`, else the only
    /// one; its secrets resolved from `environment` and the secret files.
    public func tenant(named name: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> Tenant {
        let names = tenants.keys.sorted()
        let chosen: String
        if let name {
            guard tenants[name] != nil else {
                throw ConfigurationError(file: file, key: "tenants", problem: "no tenant named '\(name)'",
                                         fix: "pass --tenant with one of: " + names.joined(separator: ", "))
            }
            chosen = name
        } else if let defaultTenant {
            chosen = defaultTenant
        } else if names.count == 1 {
            chosen = names[0]
        } else {
            throw ConfigurationError(file: file, key: "default_tenant", problem: "several tenants and no default",
                                     fix: "pass --tenant (one of: \(names.joined(separator: ", "))) or set default_tenant")
        }
        return try tenants[chosen]!.resolve(environment: environment)
    }
}

/// `[tenants.NAME]`: which vendors the tenant uses and how to reach them.
public struct TenantSettings: Sendable {
    public let name: String
    public var activeconnect: ActiveconnectSettings?
    public var encore: EncoreSettings?
    public var guardant: GuardantSettings?
    public var active911: Active911Settings?
    public var allthenticate: AllthenticateSettings?

    init(name: String, section: ConfigurationSection) throws(ConfigurationError) {
        self.name = name
        try section.requireOnly(Vendor.allCases.map(\.rawValue))
        guard !section.fields.isEmpty else {
            throw section.document.error(at: section.path, "configures no vendor",
                                         fix: "add a section such as [tenants.\(name).encore]")
        }
        activeconnect = try section.table("activeconnect").map { s throws(ConfigurationError) in try ActiveconnectSettings(s) }
        encore = try section.table("encore").map { s throws(ConfigurationError) in try EncoreSettings(s) }
        guardant = try section.table("guardant").map { s throws(ConfigurationError) in try GuardantSettings(s) }
        active911 = try section.table("active911").map { s throws(ConfigurationError) in try Active911Settings(s) }
        allthenticate = try section.table("allthenticate").map { s throws(ConfigurationError) in try AllthenticateSettings(s) }
    }

    /// Reads the secrets and builds each vendor's client configuration.
    public func resolve(environment: [String: String]) throws(ConfigurationError) -> Tenant {
        Tenant(
            name: name,
            activeconnect: try activeconnect.map { s throws(ConfigurationError) in try s.configuration(environment) },
            encore: try encore.map { s throws(ConfigurationError) in try s.configuration(environment) },
            guardant: try guardant.map { s throws(ConfigurationError) in try s.configuration(environment) },
            active911: try active911.map { s throws(ConfigurationError) in try s.configuration(environment) },
            allthenticate: try allthenticate.map { s throws(ConfigurationError) in try s.configuration(environment) })
    }
}
