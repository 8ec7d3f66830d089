/// GuardantVendor.swift: Guardant as one unit — its `roster.toml` section, its Lua module, its
/// emulated API and its demo account's keys.
import Bindings
import Emulator
import Vendors

/// Guardant, as every layer sees it.
public enum GuardantVendor: VendorUnit {
    public typealias Settings = GuardantSettings
    public static let module: any VendorModule.Type = GuardantModule.self
    public static let emulatedAPI: any EmulatedAPI.Type = GuardantAPI.self
    public static let demoKeys: [DemoKey] = [("token", .secret(file: "guardant.token", value: GuardantAPI.token))]
}

/// `[tenants.NAME.guardant]`
public struct GuardantSettings: VendorSettings {
    public var settings: HeaderCredentialSettings

    public init(_ section: ConfigurationSection) throws(ConfigurationError) {
        settings = try HeaderCredentialSettings(section, credentialKey: "token")
    }

    public func configuration(_ environment: [String: String]) throws(ConfigurationError) -> any VendorConfiguration {
        var configuration = GuardantConfiguration(token: try settings.resolve(environment))
        if let baseURL = settings.baseURL { configuration.baseURL = baseURL }
        return configuration
    }
}
