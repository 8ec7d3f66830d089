/// ActiveconnectUnit.swift: Activeconnect as one unit — its `roster.toml` section, its Lua module, its
/// emulated API and its demo account's keys.
import Bindings
import Emulator
import Vendors

extension VendorUnit {
    /// Activeconnect, as every layer sees it.
    public static let activeconnect = VendorUnit(
        settings: ActiveconnectSettings.self, module: ActiveconnectModule.self, emulatedAPI: ActiveconnectAPI.self,
        demoKeys: [
            ("application_id", .text(ActiveconnectAPI.applicationID)),
            ("application_secret", .secret(file: "activeconnect.secret", value: ActiveconnectAPI.applicationSecret)),
        ])
}

/// `[tenants.NAME.activeconnect]`
public struct ActiveconnectSettings: VendorSettings {
    public var baseURL: String?
    public var applicationID: String
    public var applicationSecret: SecretReference

    static let keys = ["base_url", "application_id", "application_secret"]

    public init(_ section: ConfigurationSection) throws(ConfigurationError) {
        try section.requireOnly(Self.keys)
        baseURL = try section.url("base_url")
        applicationID = try section.pathSegment("application_id", required: true, example: "APP123")!
        applicationSecret = try section.secret("application_secret", required: true)!
    }

    public var target: String { "\(baseURL ?? "default"), application \(applicationID), secret from \(applicationSecret.origin)" }

    /// A wrong id fails the signature as a wrong secret does, and so does a clock that is off
    /// (each signature holds the time it was made).
    public var credentialCheck: String {
        "application_id '\(applicationID)' and \(applicationSecret.place), and that this machine's clock is within 5 minutes of the vendor's"
    }

    public func configuration(_ environment: [String: String]) throws(ConfigurationError) -> any VendorConfiguration {
        let secret = try applicationSecret.resolve(environment: environment)
        return baseURL.map { ActiveconnectConfiguration(baseURL: $0, applicationID: applicationID, applicationSecret: secret) }
            ?? ActiveconnectConfiguration(applicationID: applicationID, applicationSecret: secret)
    }
}
