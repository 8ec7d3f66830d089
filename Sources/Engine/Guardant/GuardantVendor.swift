/// GuardantVendor.swift: Guardant as one unit — its `roster.toml` section, its Lua module, its
/// emulated API and its demo account.
import Bindings
import Emulator
import Vendors

/// Guardant, as every layer sees it.
public enum GuardantVendor: VendorUnit {
    public typealias Settings = GuardantSettings
    public static let vendor = Vendor.guardant
    public static let module: any VendorModule.Type = GuardantModule.self
    public static let emulatedAPI: any EmulatedAPI.Type = GuardantAPI.self

    public static func emulatorConfiguration(baseURL: String) -> any VendorConfiguration {
        GuardantConfiguration(baseURL: baseURL, token: Secret(GuardantAPI.token))
    }

    public static func demoSection(baseURL: String) -> DemoSection {
        DemoSection(keys: [("base_url", DemoSection.string(baseURL)), ("token", DemoSection.secretFile("guardant.token"))],
                    secretFiles: [("guardant.token", GuardantAPI.token)])
    }
}

/// `[tenants.NAME.guardant]`
public struct GuardantSettings: VendorSettings {
    public var settings: HeaderCredentialSettings

    public init(_ section: ConfigurationSection) throws(ConfigurationError) {
        settings = try HeaderCredentialSettings(section, credentialKey: "token")
    }

    public func configuration(_ environment: [String: String]) throws(ConfigurationError) -> any VendorConfiguration {
        var configuration = GuardantConfiguration(token: try settings.credential.resolve(environment: environment))
        settings.apply(to: &configuration, \.baseURL, \.authHeader, \.authPrefix)
        return configuration
    }
}
