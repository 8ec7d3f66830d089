/// RosterConfiguration.swift: `roster.toml` — tenants and their vendors — found, read and
/// checked whole; a tenant's secrets are read only when that tenant is used.
import Foundation
import Journal
import LuaHost
import Vendors

/// A checked `roster.toml`.
public struct RosterConfiguration: Sendable {
    /// The file as the user named it (or as Roster found it).
    public let file: String
    public let defaultTenant: String?
    public let tenants: [String: TenantSettings]
    /// `journal = "path"` (relative to the file's folder) or `"postgres://USER@HOST:PORT/DB"`:
    /// where runs are journaled.
    public let journal: String?
    /// `journal_password = { env = ... }` or `{ file = ... }`: a PostgreSQL journal's password.
    public let journalPassword: SecretReference?
    /// `journal_keep = "400d"`: how long runs stay in the journal; workers delete the older
    /// settled ones (`roster runs prune`). Nil: kept for ever.
    public let journalKeep: Double?
    /// `[plugins] trusted_publishers`: whose signed plugins may be installed and run.
    public let trustedPublishers: [TrustedPublisher]
    /// `[schedules.NAME]`: scripts workers queue on a cron schedule, by name.
    public let schedules: [ScheduleSettings]
    /// `proxy`, `proxy_password`, `no_proxy`: the HTTP proxy vendor requests go through.
    public let proxy: ProxySettings?

    /// Reads and checks `path`: syntax, every key, every type. Secrets are not read yet.
    public static func load(path: String, registry: VendorRegistry = .standard) throws(ConfigurationError) -> RosterConfiguration {
        let document = try ConfigurationDocument(
            contentsOf: path,
            fix: "check the path, or run `roster emulator --write-config \(path)` to write one for the emulator")
        return try RosterConfiguration(document, registry: registry)
    }

    /// Checks `document`; a tenant's sections may name the vendors of `registry`.
    public init(_ document: ConfigurationDocument, registry: VendorRegistry = .standard) throws(ConfigurationError) {
        let root = ConfigurationSection(document: document, path: [], fields: document.root)
        try root.requireOnly(["default_tenant", "tenants", "journal", "journal_password", "journal_keep", "plugins", "schedules", "proxy", "proxy_password", "no_proxy"])
        file = document.file
        trustedPublishers = try Self.trustedPublishers(root)
        guard let tenantTables = try root.table("tenants"), !tenantTables.fields.isEmpty else {
            throw document.error(at: ["tenants"], "no tenant is configured",
                                 fix: "add a [tenants.NAME.VENDOR] section (see the README), or run without a configuration for the emulator")
        }
        var tenants: [String: TenantSettings] = [:]
        for name in tenantTables.fields.keys.sorted() {
            tenants[name] = try TenantSettings(name: name, section: tenantTables.table(name)!, registry: registry)
        }
        self.tenants = tenants
        journal = try root.string("journal", example: "journal.sqlite").map { path throws(ConfigurationError) in
            // A password in the address would be copied wherever the address goes (a worker
            // hands its journal to each run it starts, on the command line others can read).
            if PostgresJournalStore.isURL(path), URLComponents(string: path)?.password != nil {
                throw document.error(at: ["journal"], "the address holds a password",
                                     fix: "write journal = \"postgres://USER@HOST:PORT/DATABASE\" and keep the password in journal_password = { env = \"...\" } or { file = \"...\" }")
            }
            if PostgresJournalStore.isURL(path) || path.hasPrefix("/") { return path }
            guard !path.contains("://") else {
                throw document.error(at: ["journal"], "'\(JournalLocation.shown(path))' is not a journal Roster can use", fix: "give a file path, or postgres://USER@HOST:PORT/DATABASE")
            }
            return document.folder.appendingPathComponent(path).path
        }
        journalPassword = try root.secret("journal_password", required: false)
        // A password beside a journal file would protect nothing: said, not silently ignored.
        if journalPassword != nil, let journal, !PostgresJournalStore.isURL(journal) {
            throw document.error(at: ["journal_password"], "a password applies only to a PostgreSQL journal, and journal is a file (SQLite, protected by its mode 0600)",
                                 fix: "remove journal_password, or set journal = \"postgres://USER@HOST:PORT/DATABASE\"")
        }
        journalKeep = try root.age("journal_keep", example: "400d")
        defaultTenant = try root.string("default_tenant", example: tenants.keys.sorted().first ?? "acme")
        if let defaultTenant, tenants[defaultTenant] == nil {
            throw document.error(at: ["default_tenant"], "no tenant named '\(defaultTenant)'",
                                 fix: Self.fix(forTenant: defaultTenant, among: tenants.keys.sorted(), "use one of: "))
        }
        var schedules: [ScheduleSettings] = []
        if let tables = try root.table("schedules") {
            for name in tables.fields.keys.sorted() {
                schedules.append(try ScheduleSettings(name: name, section: tables.table(name)!, tenants: tenants.keys.sorted()))
            }
        }
        self.schedules = schedules
        proxy = try ProxySettings(root)
    }

    /// `[plugins] trusted_publishers = [{ name = "...", key = "<the .pub line>" }]`.
    static func trustedPublishers(_ root: ConfigurationSection) throws(ConfigurationError) -> [TrustedPublisher] {
        guard let plugins = try root.table("plugins") else { return [] }
        try plugins.requireOnly(["trusted_publishers"])
        guard let value = plugins.fields["trusted_publishers"] else { return [] }
        let example = "trusted_publishers = [{ name = \"acme-it\", key = \"<the line of acme-it.pub>\" }]"
        guard case .array(let items) = value else {
            throw root.document.error(at: ["plugins", "trusted_publishers"], "expected a list of publishers", fix: "write " + example)
        }
        var publishers: [TrustedPublisher] = []
        for (index, item) in items.enumerated() {
            guard case .table(let fields) = item, case .string(let name)? = fields["name"], case .string(let key)? = fields["key"],
                  fields.count == 2 else {
                throw root.document.error(at: ["plugins", "trusted_publishers"], "entry \(index + 1) is not { name = ..., key = ... }", fix: "write " + example)
            }
            guard let raw = Data(base64Encoded: key), raw.count == 32 else {
                throw root.document.error(at: ["plugins", "trusted_publishers"], "the key of '\(name)' is not a publisher's public key",
                                          fix: "paste the one line of the publisher's NAME.pub (roster plugin keygen writes it)")
            }
            publishers.append(TrustedPublisher(name: name, key: key))
        }
        return publishers
    }

    /// The tenant to use: `name` (`instruction` says how one is chosen: `pass --tenant`), else `default_tenant`, else the
    /// only one; its secrets resolved from `environment` and the secret files.
    public func tenant(named name: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                       instruction: String = "pass --tenant") throws(ConfigurationError) -> Tenant {
        let names = tenants.keys.sorted()
        let chosen: String
        if let name {
            guard tenants[name] != nil else {
                throw ConfigurationError(file: file, key: "tenants", problem: "no tenant named '\(name)'",
                                         fix: Self.fix(forTenant: name, among: names, "\(instruction) with one of: "))
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

    /// The fix for `name`, which names no tenant: the tenant it probably meant, when one is
    /// near (`dmo` → `demo`), then `instruction` and every tenant.
    static func fix(forTenant name: String, among names: [String], _ instruction: String) -> String {
        let every = instruction + names.joined(separator: ", ")
        guard let near = NearNames.near(name, in: names, within: NearNames.limit(for: name)).first else { return every }
        return "did you mean '\(near)'? (\(every))"
    }
}

/// One plugin's settings for one tenant, as written (`[tenants.acme.plugins.acme-onboarding]`).
public struct PluginSettingValues: Sendable {
    public var document: ConfigurationDocument
    public var path: [String]
    public var values: [String: ConfigurationValue]
}

/// `[tenants.NAME]`: which vendors the tenant uses and how to reach them.
public struct TenantSettings: Sendable {
    public let name: String
    /// Each configured vendor's section, in the registry's order.
    public let vendors: [(vendor: Vendor, settings: any VendorSettings)]
    /// `confirm_over` and `max_changes`: when a run asks first, and how many changes one may plan.
    public let confirmOver: Int?
    public let maxChanges: Int?
    /// `[tenants.NAME.plugins.PLUGIN]`: each plugin's settings for this tenant, checked
    /// against the plugin's declared settings when it runs.
    public let plugins: [String: PluginSettingValues]

    init(name: String, section: ConfigurationSection, registry: VendorRegistry) throws(ConfigurationError) {
        self.name = name
        try section.requireOnly(registry.vendors.map(\.rawValue) + ["confirm_over", "max_changes", "plugins"])
        var plugins: [String: PluginSettingValues] = [:]
        if let tables = try section.table("plugins") {
            for plugin in tables.fields.keys.sorted() {
                let table = try tables.table(plugin)!
                plugins[plugin] = PluginSettingValues(document: section.document, path: table.path, values: table.fields)
            }
        }
        self.plugins = plugins
        confirmOver = try section.integer("confirm_over", in: 0...1_000_000)
        maxChanges = try section.integer("max_changes", in: 1...10_000_000)
        guard registry.vendors.contains(where: { section.fields[$0.rawValue] != nil }) else {
            throw section.document.error(at: section.path, "configures no vendor",
                                         fix: "add a [tenants.\(name).VENDOR] section, VENDOR one of: " + registry.vendors.map(\.rawValue).joined(separator: ", "))
        }
        var vendors: [(vendor: Vendor, settings: any VendorSettings)] = []
        for unit in registry.units {
            guard let table = try section.table(unit.vendor.rawValue) else { continue }
            vendors.append((unit.vendor, try unit.readSettings(table)))
        }
        self.vendors = vendors
    }

    /// The settings of `vendor`, if the tenant configures it.
    public func settings(_ vendor: Vendor) -> (any VendorSettings)? { vendors.first { $0.vendor == vendor }?.settings }

    /// Reads the secrets and builds each vendor's client configuration.
    public func resolve(environment: [String: String]) throws(ConfigurationError) -> Tenant {
        var configurations: [any VendorConfiguration] = []
        for (_, settings) in vendors { configurations.append(try settings.configuration(environment)) }
        var tenant = Tenant(name: name, configurations)
        if let confirmOver { tenant.confirmOver = confirmOver }
        tenant.maxChanges = maxChanges
        return tenant
    }
}

/// `proxy = "http://[USER@]HOST:PORT"` (its password in `proxy_password`, a secret) and
/// `no_proxy = ["HOST", ".DOMAIN"]`: the HTTP proxy every vendor request goes through but
/// those to the hosts listed. Without `proxy`, the `https_proxy`, `http_proxy` and
/// `no_proxy` variables are used, as curl uses them.
public struct ProxySettings: Sendable {
    /// The proxy as written (checked), without its password.
    public let proxy: VendorProxy
    public let password: SecretReference?

    init?(_ root: ConfigurationSection) throws(ConfigurationError) {
        let document = root.document
        guard let url = try root.string("proxy", example: "http://proxy.example.com:3128") else {
            for key in ["proxy_password", "no_proxy"] where root.fields[key] != nil {
                throw document.error(at: [key], "is set, but proxy is not", fix: "add proxy = \"http://HOST:PORT\", or remove \(key)")
            }
            return nil
        }
        guard URLComponents(string: url)?.password == nil else {
            throw document.error(at: ["proxy"], "the address holds a password", fix: "write proxy = \"http://USER@HOST:PORT\" and keep the password in proxy_password = { env = \"...\" } or { file = \"...\" }")
        }
        var bypass: [String] = []
        if let value = root.fields["no_proxy"] {
            let fix = "write no_proxy = [\"vendor.internal\", \".corp.example.com\"]"
            guard case .array(let items) = value else { throw document.error(at: ["no_proxy"], "expected a list of host names", fix: fix) }
            for item in items {
                guard case .string(let name) = item else { throw document.error(at: ["no_proxy"], "expected a list of host names", fix: fix) }
                bypass.append(name)
            }
        }
        do {
            proxy = try VendorProxy(url: url, bypass: bypass)
        } catch {
            throw document.error(at: ["proxy"], "the address \(error.description)", fix: "write proxy = \"http://HOST:PORT\"")
        }
        password = try root.secret("proxy_password", required: false)
    }

    /// The proxy, its password read now (from `environment` or its file).
    public func resolve(environment: [String: String]) throws(ConfigurationError) -> VendorProxy {
        guard let password else { return proxy }
        return proxy.authorized(password: try password.resolve(environment: environment).reveal())
    }
}
