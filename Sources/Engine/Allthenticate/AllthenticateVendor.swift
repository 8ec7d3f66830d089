/// AllthenticateVendor.swift: Allthenticate as one unit — its `roster.toml` section, its Lua module, its
/// emulated API and its demo account's keys.
import Bindings
import Emulator
import Vendors

/// Allthenticate, as every layer sees it.
public enum AllthenticateVendor: VendorUnit {
    public typealias Settings = AllthenticateSettings
    public static let module: any VendorModule.Type = AllthenticateModule.self
    public static let emulatedAPI: any EmulatedAPI.Type = AllthenticateAPI.self
    public static let demoKeys: [DemoKey] = [("api_key", .secret(file: "allthenticate.key", value: AllthenticateAPI.apiKey))]
}

/// `[tenants.NAME.allthenticate]`
public struct AllthenticateSettings: VendorSettings {
    public var settings: HeaderCredentialSettings

    public init(_ section: ConfigurationSection) throws(ConfigurationError) {
        settings = try HeaderCredentialSettings(section, credentialKey: "api_key")
    }

    public func configuration(_ environment: [String: String]) throws(ConfigurationError) -> any VendorConfiguration {
        var configuration = AllthenticateConfiguration(apiKey: try settings.resolve(environment))
        if let baseURL = settings.baseURL { configuration.baseURL = baseURL }
        return configuration
    }
}
