/// VendorSettings.swift: each vendor's section of a tenant, as read (secrets not yet
/// resolved), and the client configuration it becomes.
import Vendors

/// `[tenants.NAME.activeconnect]`
public struct ActiveconnectSettings: Sendable {
    public var baseURL: String?
    public var applicationID: String
    public var applicationSecret: SecretReference

    static let keys = ["base_url", "application_id", "application_secret"]

    init(_ section: ConfigurationSection) throws(ConfigurationError) {
        try section.requireOnly(Self.keys)
        baseURL = try section.url("base_url")
        applicationID = try section.string("application_id", required: true, example: "APP123")!
        applicationSecret = try section.secret("application_secret", required: true)!
    }

    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> ActiveconnectConfiguration {
        let secret = try applicationSecret.resolve(environment: environment)
        return baseURL.map { ActiveconnectConfiguration(baseURL: $0, applicationID: applicationID, applicationSecret: secret) }
            ?? ActiveconnectConfiguration(applicationID: applicationID, applicationSecret: secret)
    }
}

/// `[tenants.NAME.encore]`
public struct EncoreSettings: Sendable {
    public var baseURL: String?
    public var subscriptionKey: SecretReference
    public var apiVersion: Int?

    static let keys = ["base_url", "subscription_key", "api_version"]

    init(_ section: ConfigurationSection) throws(ConfigurationError) {
        try section.requireOnly(Self.keys)
        baseURL = try section.url("base_url")
        subscriptionKey = try section.secret("subscription_key", required: true)!
        apiVersion = try section.integer("api_version", in: 1...1_000)
    }

    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> EncoreConfiguration {
        var configuration = EncoreConfiguration(subscriptionKey: try subscriptionKey.resolve(environment: environment), apiVersion: apiVersion)
        if let baseURL { configuration.baseURL = baseURL }
        return configuration
    }
}

/// A section whose credential goes in one header, the header's name and prefix
/// configurable (the assumptions VENDORS.md marks): Guardant and Allthenticate.
public struct HeaderCredentialSettings: Sendable {
    public var baseURL: String?
    public var credential: SecretReference
    public var authHeader: String?
    public var authPrefix: String?

    init(_ section: ConfigurationSection, credentialKey: String) throws(ConfigurationError) {
        try section.requireOnly(["base_url", credentialKey, "auth_header", "auth_prefix"])
        baseURL = try section.url("base_url")
        credential = try section.secret(credentialKey, required: true)!
        authHeader = try section.headerName("auth_header")
        authPrefix = try section.headerPrefix("auth_prefix")
    }

    /// The credential, and the overrides applied to `configuration`.
    func apply<Configuration>(to configuration: inout Configuration, _ baseURLPath: WritableKeyPath<Configuration, String>,
                              _ headerPath: WritableKeyPath<Configuration, String>, _ prefixPath: WritableKeyPath<Configuration, String>) {
        if let baseURL { configuration[keyPath: baseURLPath] = baseURL }
        if let authHeader { configuration[keyPath: headerPath] = authHeader }
        if let authPrefix { configuration[keyPath: prefixPath] = authPrefix }
    }
}

/// `[tenants.NAME.guardant]`
public struct GuardantSettings: Sendable {
    public var settings: HeaderCredentialSettings

    init(_ section: ConfigurationSection) throws(ConfigurationError) {
        settings = try HeaderCredentialSettings(section, credentialKey: "token")
    }

    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> GuardantConfiguration {
        var configuration = GuardantConfiguration(token: try settings.credential.resolve(environment: environment))
        settings.apply(to: &configuration, \.baseURL, \.authHeader, \.authPrefix)
        return configuration
    }
}

/// `[tenants.NAME.active911]`
public struct Active911Settings: Sendable {
    public var baseURL: String?
    public var tokenURL: String?
    public var refreshToken: SecretReference
    public var agency: String?
    /// The pace kept below Active911's limit, per account.
    public var requestsPerMinute: Int?

    static let keys = ["base_url", "token_url", "refresh_token", "agency", "requests_per_minute"]

    init(_ section: ConfigurationSection) throws(ConfigurationError) {
        try section.requireOnly(Self.keys)
        baseURL = try section.url("base_url")
        tokenURL = try section.url("token_url")
        refreshToken = try section.secret("refresh_token", required: true)!
        agency = try section.string("agency", example: "3e597c4a-877f-4c62-9f62-21e8635907e2")
        requestsPerMinute = try section.integer("requests_per_minute", in: 1...10_000)
    }

    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> Active911Configuration {
        var configuration = Active911Configuration(refreshToken: try refreshToken.resolve(environment: environment), agency: agency)
        if let baseURL { configuration.baseURL = baseURL }
        if let tokenURL { configuration.tokenURL = tokenURL }
        if let requestsPerMinute { configuration.requestsPerWindow = requestsPerMinute }
        return configuration
    }
}

/// `[tenants.NAME.allthenticate]`
public struct AllthenticateSettings: Sendable {
    public var settings: HeaderCredentialSettings

    init(_ section: ConfigurationSection) throws(ConfigurationError) {
        settings = try HeaderCredentialSettings(section, credentialKey: "api_key")
    }

    func configuration(_ environment: [String: String]) throws(ConfigurationError) -> AllthenticateConfiguration {
        var configuration = AllthenticateConfiguration(apiKey: try settings.credential.resolve(environment: environment))
        settings.apply(to: &configuration, \.baseURL, \.authHeader, \.authPrefix)
        return configuration
    }
}

extension ConfigurationSection {
    /// An HTTP header name (RFC 9110 token characters).
    func headerName(_ key: String) throws(ConfigurationError) -> String? {
        guard let name = try string(key, example: "Authorization") else { return nil }
        let allowed = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        guard name.allSatisfy(allowed.contains) else {
            throw document.error(at: path + [key], "'\(name)' is not an HTTP header name", fix: "use letters, digits and dashes, like \"Authorization\"")
        }
        return name
    }

    /// What goes before the credential in the header's value ("" allowed: the bare key).
    func headerPrefix(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = fields[key] else { return nil }
        guard case .string(let prefix) = value else {
            throw document.error(at: path + [key], "expected a string, got \(value.typeName)", fix: "write \(key) = \"Bearer \"")
        }
        guard !prefix.contains(where: { $0.isNewline }) else {
            throw document.error(at: path + [key], "contains a line break", fix: "write it on one line, like \"Bearer \"")
        }
        return prefix
    }
}
