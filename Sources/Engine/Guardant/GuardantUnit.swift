/// GuardantUnit.swift: Guardant as one unit — its `roster.toml` section, its Lua module, its
/// emulated API and its demo account's keys.
import Bindings
import Emulator
import Vendors

extension VendorUnit {
    /// Guardant, as every layer sees it.
    public static let guardant = VendorUnit(
        settings: HeaderCredentialSettings<GuardantConfiguration>.self, module: GuardantModule.self, emulatedAPI: GuardantAPI.self,
        demoKeys: [("token", .secret(file: "guardant.token", value: GuardantAPI.token))])
}

/// `[tenants.NAME.guardant]`: `base_url`, `token`, `auth_header`, `auth_prefix`.
extension GuardantConfiguration: HeaderCredentialConfiguration {
    public static let credentialKey = "token"

    public init(credential: HeaderCredential, baseURL: String?) {
        self.init(token: credential)
        if let baseURL { self.baseURL = baseURL }
    }
}
