/// VendorConnection.swift: where a run's vendor calls go — the configured tenant's vendors,
/// or the built-in emulator started in this process.
import Emulator
import Foundation
import Vendors

/// The tenant a run talks to, and the in-process emulator behind it when there is one.
public final class VendorConnection: Sendable {
    public let tenant: Tenant
    /// The emulator serving `tenant`, when the run is against the emulator (started by the
    /// run's first vendor request).
    public let emulator: LazyEmulator?
    /// The configuration file read, when there was one.
    public let configurationFile: String?
    /// The configuration's `journal`, when it names one, and its password.
    public let journal: String?
    public let journalPassword: SecretReference?
    /// How the run's requests are sent (`--trace` traces them).
    public let http: VendorHTTP
    /// The tenant's settings for each plugin (`[tenants.NAME.plugins.PLUGIN]`).
    public let pluginSettings: [String: PluginSettingValues]
    /// Where each vendor's calls go, and as which account (`VendorSettings.target`); the
    /// built-in emulator is one target whatever port it listens on.
    public let targets: [Vendor: String]
    /// What to check when a vendor refuses the tenant's credentials (`VendorSettings.credentialCheck`);
    /// none on the emulator, whose demo credentials are built in.
    let credentialChecks: [Vendor: String]

    init(tenant: Tenant, emulator: LazyEmulator?, configurationFile: String?, journal: String? = nil, journalPassword: SecretReference? = nil,
         http: VendorHTTP = .shared,
         pluginSettings: [String: PluginSettingValues] = [:], targets: [Vendor: String] = [:], credentialChecks: [Vendor: String] = [:]) {
        self.pluginSettings = pluginSettings
        self.credentialChecks = credentialChecks
        self.targets = emulator == nil ? targets : Dictionary(uniqueKeysWithValues: tenant.configurations.map {
            (type(of: $0).vendor, "the built-in emulator")
        })
        self.tenant = tenant
        self.emulator = emulator
        self.configurationFile = configurationFile
        self.journal = journal
        self.journalPassword = journalPassword
        self.http = http
    }

    /// Opens the connection a command asked for: the emulator with `useEmulator`, else the
    /// configuration found (`ConfigurationLocation`), else the emulator (`environment`:
    /// the variables configurations read, nil for this process's). `notice` gets the
    /// one line saying the emulator is in use. A configuration mistake throws before any
    /// emulator starts.
    public static func open(
        configuration explicit: String?, tenant name: String?, useEmulator: Bool, registry: VendorRegistry = .standard,
        environment: [String: String]? = nil, http: VendorHTTP = .shared,
        notice: (String) -> Void
    ) async throws -> VendorConnection {
        // `environment` nil: this process's, built as a dictionary only when a configuration
        // needs it (its secrets); a run on the emulator reads a variable or two.
        if !useEmulator, let path = try ConfigurationLocation.find(explicit: explicit, environment: environment) {
            let configuration = try RosterConfiguration.load(path: path, registry: registry)
            let variables = environment ?? ProcessInfo.processInfo.environment
            let tenant = try configuration.tenant(named: name, environment: variables)
            let proxies: VendorProxies?
            do {
                proxies = try VendorProxies.resolve(configured: configuration.proxy?.resolve(environment: variables), environment: variables)
            } catch let error as VendorProxyError {
                throw ConfigurationError(file: "the environment", problem: error.description,
                                         fix: "give it as http://HOST:PORT, or set proxy in \(configuration.file)")
            }
            return configured(tenant, of: configuration, file: UserFile.absolutePath(path), http: http.proxied(by: proxies))
        }
        // A tenant named with no configuration to find it in is a mistake (the wrong folder,
        // say), not a run on the emulator the admin would take for their tenant's.
        if !useEmulator, let name, !name.isEmpty, name != VendorRegistry.emulatorTenantName {
            let searched = ConfigurationLocation.candidates(currentDirectory: FileManager.default.currentDirectoryPath, environment: environment)
            throw ConfigurationError(file: "roster.toml", problem: "not found (looked for \(searched.joined(separator: ", "))), so --tenant '\(name)' names no tenant",
                                     fix: "run where roster.toml is, or pass --config FILE (without --tenant, a run uses the built-in emulator)")
        }
        let emulator = try LazyEmulator(registry.emulatorConfiguration())
        notice(useEmulator
            ? "roster: using the built-in emulator (\(emulator.origin)) with its demo data"
            : "roster: no roster.toml found; using the built-in emulator (\(emulator.origin)) with its demo data")
        let served = http.waiting { request throws(VendorError) in
            do {
                _ = try await emulator.running()
            } catch {
                throw VendorError(vendor: request.vendor, operation: request.operation, status: nil,
                                  message: "the built-in emulator could not start: \(error)", retryable: false)
            }
        }
        return VendorConnection(tenant: try registry.emulatorTenant(origin: emulator.origin), emulator: emulator, configurationFile: nil, http: served)
    }

    /// `tenant` of `configuration`, read from `file`: its vendors, what to check when one
    /// refuses its credentials, and its plugins' settings.
    private static func configured(_ tenant: Tenant, of configuration: RosterConfiguration, file: String, http: VendorHTTP) -> VendorConnection {
        let vendors = configuration.tenants[tenant.name]?.vendors ?? []
        return VendorConnection(tenant: tenant, emulator: nil, configurationFile: file, journal: configuration.journal,
                                journalPassword: configuration.journalPassword, http: http,
                                pluginSettings: configuration.tenants[tenant.name]?.plugins ?? [:],
                                targets: Dictionary(uniqueKeysWithValues: vendors.map { ($0.vendor, $0.settings.target) }),
                                credentialChecks: Dictionary(uniqueKeysWithValues: vendors.map { ($0.vendor, $0.settings.credentialCheck) }))
    }

    /// Another tenant of this connection's configuration, read again (the REPL's `:tenant`),
    /// reached the way this one is (its proxy, `--trace`). Nil on the built-in emulator,
    /// which has one tenant; throws when the configuration has no such tenant (`instruction`
    /// names what chooses one).
    public func switching(toTenant name: String, instruction: String, registry: VendorRegistry = .standard) throws -> VendorConnection? {
        guard let configurationFile else { return nil }
        let configuration = try RosterConfiguration.load(path: configurationFile, registry: registry)
        let tenant = try configuration.tenant(named: name, environment: ProcessInfo.processInfo.environment, instruction: instruction)
        return Self.configured(tenant, of: configuration, file: configurationFile, http: http)
    }

    /// The tenants of this connection's configuration, sorted (the built-in emulator's one
    /// when there is none).
    public func tenantNames(registry: VendorRegistry = .standard) throws -> [String] {
        guard let configurationFile else { return [tenant.name] }
        return try RosterConfiguration.load(path: configurationFile, registry: registry).tenants.keys.sorted()
    }

    /// `encore refused the credentials of tenant 'acme' (HTTP 401): check subscription_key at
    /// roster.toml:12 (file secrets/encore.key)`: said after a run that `failure` ended,
    /// when the vendor refused the credentials; nil otherwise.
    public func credentialAdvice(_ failure: VendorError) -> String? {
        guard failure.status == 401, let check = credentialChecks[failure.vendor] else { return nil }
        return "\(failure.vendor.rawValue) refused the credentials of tenant '\(tenant.name)' (HTTP 401): check \(check)"
    }

    /// `targets` as the journal keeps them, by vendor name.
    public var journaledTargets: [String: String] {
        Dictionary(uniqueKeysWithValues: targets.map { ($0.key.rawValue, $0.value) })
    }

    /// The first vendor of `made` (targets as journaled with a run or a plan) this connection
    /// reaches elsewhere. A vendor no longer configured is not: a call to it fails, saying so.
    public func moved(from made: [String: String]?) -> (vendor: String, made: String, now: String)? {
        for (vendor, target) in (made ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let now = targets[Vendor(rawValue: vendor)], now != target { return (vendor, target, now) }
        }
        return nil
    }

    /// Stops the in-process emulator, if any.
    public func close() async {
        await emulator?.stop()
    }
}
