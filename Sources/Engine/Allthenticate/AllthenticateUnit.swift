/// AllthenticateUnit.swift: Allthenticate as one unit — its `roster.toml` section, its Lua module, its
/// emulated API and its demo account's keys.
import Bindings
import Emulator
import Vendors

extension VendorUnit {
    /// Allthenticate, as every layer sees it.
    public static let allthenticate = VendorUnit(
        settings: HeaderCredentialSettings<AllthenticateConfiguration>.self, module: AllthenticateModule.self, emulatedAPI: AllthenticateAPI.self,
        demoKeys: [("api_key", .secret(file: "allthenticate.key", value: AllthenticateAPI.apiKey))])
}

/// `[tenants.NAME.allthenticate]`: `base_url`, `api_key`, `auth_header`, `auth_prefix`.
extension AllthenticateConfiguration: HeaderCredentialConfiguration {
    public static let credentialKey = "api_key"

    public init(credential: HeaderCredential, baseURL: String?) {
        self.init(apiKey: credential)
        if let baseURL { self.baseURL = baseURL }
    }
}
