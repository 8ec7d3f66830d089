/// EncoreUnit.swift: Encore as one unit — its `roster.toml` section, its Lua module, its
/// emulated API and its demo account's keys.
import Bindings
import Emulator
import Vendors

extension VendorUnit {
    /// Encore, as every layer sees it.
    public static let encore = VendorUnit(
        settings: EncoreSettings.self, module: EncoreModule.self, emulatedAPI: EncoreAPI.self,
        demoKeys: [("subscription_key", .secret(file: "encore.key", value: EncoreAPI.subscriptionKey))])
}

/// `[tenants.NAME.encore]`
public struct EncoreSettings: VendorSettings {
    public var baseURL: String?
    public var subscriptionKey: SecretReference
    public var apiVersion: Int?

    static let keys = ["base_url", "subscription_key", "api_version"]

    public init(_ section: ConfigurationSection) throws(ConfigurationError) {
        try section.requireOnly(Self.keys)
        baseURL = try section.url("base_url")
        subscriptionKey = try section.secret("subscription_key", required: true)!
        apiVersion = try section.integer("api_version", in: 1...1_000)
    }

    public var target: String { "\(baseURL ?? "default"), key from \(subscriptionKey.origin)" }

    public var credentialCheck: String { subscriptionKey.place }

    public func configuration(_ environment: [String: String]) throws(ConfigurationError) -> any VendorConfiguration {
        var configuration = EncoreConfiguration(subscriptionKey: try subscriptionKey.resolve(environment: environment), apiVersion: apiVersion)
        if let baseURL { configuration.baseURL = baseURL }
        return configuration
    }
}
