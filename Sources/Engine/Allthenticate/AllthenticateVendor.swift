/// AllthenticateVendor.swift: Allthenticate as one unit — its `roster.toml` section, its Lua module, its
/// emulated API and its demo account.
import Bindings
import Emulator
import Vendors

/// Allthenticate, as every layer sees it.
public enum AllthenticateVendor: VendorUnit {
    public typealias Settings = AllthenticateSettings
    public static let vendor = Vendor.allthenticate
    public static let module: any VendorModule.Type = AllthenticateModule.self
    public static let emulatedAPI: any EmulatedAPI.Type = AllthenticateAPI.self

    public static func emulatorConfiguration(baseURL: String) -> any VendorConfiguration {
        AllthenticateConfiguration(baseURL: baseURL, apiKey: Secret(AllthenticateAPI.apiKey))
    }

    public static func demoSection(baseURL: String) -> DemoSection {
        DemoSection(keys: [("base_url", DemoSection.string(baseURL)), ("api_key", DemoSection.secretFile("allthenticate.key"))],
                    secretFiles: [("allthenticate.key", AllthenticateAPI.apiKey)])
    }
}

/// `[tenants.NAME.allthenticate]`
public struct AllthenticateSettings: VendorSettings {
    public var settings: HeaderCredentialSettings

    public init(_ section: ConfigurationSection) throws(ConfigurationError) {
        settings = try HeaderCredentialSettings(section, credentialKey: "api_key")
    }

    public func configuration(_ environment: [String: String]) throws(ConfigurationError) -> any VendorConfiguration {
        var configuration = AllthenticateConfiguration(apiKey: try settings.credential.resolve(environment: environment))
        settings.apply(to: &configuration, \.baseURL, \.authHeader, \.authPrefix)
        return configuration
    }
}
