/// KeycardUnit.swift: the test vendor as one unit — the one thing a registry lists.
import Bindings
import Emulator
import Engine
import Vendors

extension VendorUnit {
    static let keycard = VendorUnit(settings: KeycardSettings.self, module: KeycardModule.self, emulatedAPI: KeycardAPI.self,
                                    demoKeys: [("api_key", .secret(file: "keycard.key", value: KeycardAPI.apiKey))])
}

/// `[tenants.NAME.keycard]`
struct KeycardSettings: VendorSettings {
    var baseURL: String
    var apiKey: SecretReference

    init(_ section: ConfigurationSection) throws(ConfigurationError) {
        try section.requireOnly(["base_url", "api_key"])
        baseURL = try section.url("base_url") ?? "https://keycard.example"
        apiKey = try section.secret("api_key", required: true)!
    }

    var target: String { "\(baseURL), key from \(apiKey.origin)" }

    var credentialCheck: String { apiKey.place }

    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> any VendorConfiguration {
        KeycardConfiguration(baseURL: baseURL, apiKey: try apiKey.resolve(environment: environment))
    }
}
