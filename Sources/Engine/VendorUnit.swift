/// VendorUnit.swift: a vendor as one unit — what each layer needs of it, declared in the
/// vendor's folders and tied together here: its name, its `roster.toml` section, its
/// client (through the configuration the section becomes), its Lua module, its emulated
/// API and the demo account `--write-config` writes.
import Bindings
import Emulator
import Vendors

/// One vendor, as every layer of Roster sees it. Each vendor declares its unit once, in
/// `Engine/<Vendor>/` (`extension VendorUnit { static let encore = VendorUnit(...) }`);
/// `VendorRegistry` lists them.
public struct VendorUnit: Sendable {
    /// The vendor's Lua module (whose vendor names the unit).
    public let module: any VendorModule.Type
    /// The vendor's API as the emulator serves it.
    public let emulatedAPI: any EmulatedAPI.Type
    /// The keys of a section for the emulator's demo account, after `base_url` (which is
    /// the emulator's). Read like any section: how the in-process emulator's tenant is
    /// built, and what `roster emulator --write-config` writes.
    public let demoKeys: [DemoKey]
    /// Reads `[tenants.NAME.<vendor>]`.
    let readSettings: @Sendable (ConfigurationSection) throws(ConfigurationError) -> any VendorSettings

    public init<Settings: VendorSettings>(settings: Settings.Type, module: any VendorModule.Type, emulatedAPI: any EmulatedAPI.Type,
                                          demoKeys: [DemoKey]) {
        self.module = module
        self.emulatedAPI = emulatedAPI
        self.demoKeys = demoKeys
        readSettings = { section throws(ConfigurationError) in try Settings(section) }
    }

    public var vendor: Vendor { module.vendor }
}

/// A vendor's section of a tenant, as read from `roster.toml`.
public protocol VendorSettings: Sendable {
    /// Reads and checks the section: every key, every type. Secrets are not read yet.
    init(_ section: ConfigurationSection) throws(ConfigurationError)
    /// Reads the secrets and builds the client configuration.
    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> any VendorConfiguration
    /// Where the vendor's calls go and as which account, with no secret in it: the base URL
    /// (as configured, `default` when not), the account's public ids, and where its secret is
    /// read from. A saved plan keeps it: an apply sends only where the plan was made.
    var target: String { get }
    /// What to check when the vendor refuses the account's credentials (HTTP 401): the keys
    /// that hold them and where each secret is read from, never a secret.
    var credentialCheck: String { get }
}

/// One key of a demo section.
public typealias DemoKey = (key: String, value: DemoValue)

/// A value in a demo section.
public enum DemoValue: Sendable {
    case text(String)
    /// The vendor's base URL on the emulator (Active911's token service is there too).
    case baseURL
    /// A secret: `{ file = "secrets/<file>" }` when written, held in memory in-process.
    case secret(file: String, value: String)
}
