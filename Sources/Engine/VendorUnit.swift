/// VendorUnit.swift: a vendor as one unit — what each layer needs of it, declared in the
/// vendor's folders and tied together here: its name, its `roster.toml` section, its
/// client (through the configuration the section becomes), its Lua module, its emulated
/// API and the demo account `--write-config` writes.
import Bindings
import Emulator
import Vendors

/// One vendor, as every layer of Roster sees it. Each vendor conforms once (in
/// `Engine/<Vendor>/`); `VendorRegistry` lists them.
public protocol VendorUnit: Sendable {
    /// What `[tenants.NAME.<vendor>]` holds, read and checked (secrets not yet read).
    associatedtype Settings: VendorSettings
    static var vendor: Vendor { get }
    /// The vendor's Lua module.
    static var module: any VendorModule.Type { get }
    /// The vendor's API as the emulator serves it.
    static var emulatedAPI: any EmulatedAPI.Type { get }
    /// The client configuration for the emulator's demo account at `baseURL`.
    static func emulatorConfiguration(baseURL: String) -> any VendorConfiguration
    /// The section `roster emulator --write-config` writes for the demo account.
    static func demoSection(baseURL: String) -> DemoSection
}

/// A vendor's section of a tenant, as read from `roster.toml`.
public protocol VendorSettings: Sendable {
    /// Reads and checks the section: every key, every type. Secrets are not read yet.
    init(_ section: ConfigurationSection) throws(ConfigurationError)
    /// Reads the secrets and builds the client configuration.
    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> any VendorConfiguration
}

/// A vendor's part of the demo configuration: its keys (TOML values, written as given)
/// and the secret files beside it (`secrets/<name>`: contents).
public struct DemoSection: Sendable {
    public var keys: [(String, String)]
    public var secretFiles: [(name: String, contents: String)]

    public init(keys: [(String, String)], secretFiles: [(name: String, contents: String)]) {
        self.keys = keys
        self.secretFiles = secretFiles
    }

    /// `"text"` as a TOML string.
    public static func string(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// `{ file = "secrets/NAME" }`
    public static func secretFile(_ name: String) -> String { "{ file = \"secrets/\(name)\" }" }
}

extension VendorUnit {
    static func settings(_ section: ConfigurationSection) throws(ConfigurationError) -> any VendorSettings {
        try Settings(section)
    }
}
