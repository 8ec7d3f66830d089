/// HeaderCredentialSettings.swift: the section shape of vendors whose credential goes in one
/// header, with the header's name and prefix configurable, and the checks of those keys.
import Vendors

/// A configuration whose credential goes in one header (`HeaderCredential`), read from
/// a section with `base_url`, the credential's key, `auth_header` and `auth_prefix`.
public protocol HeaderCredentialConfiguration: VendorConfiguration {
    /// The key that holds the credential (`token`, `api_key`).
    static var credentialKey: String { get }
    /// The configuration with `credential`, at `baseURL` (nil: the vendor's own).
    init(credential: HeaderCredential, baseURL: String?)
}

/// `[tenants.NAME.<vendor>]` for a vendor whose credential goes in one header, the header's
/// name and prefix configurable (the assumptions VENDORS.md marks): Guardant, Allthenticate.
public struct HeaderCredentialSettings<Configuration: HeaderCredentialConfiguration>: VendorSettings {
    public var baseURL: String?
    public var credential: SecretReference
    public var authHeader: String?
    public var authPrefix: String?

    public init(_ section: ConfigurationSection) throws(ConfigurationError) {
        try section.requireOnly(["base_url", Configuration.credentialKey, "auth_header", "auth_prefix"])
        baseURL = try section.url("base_url")
        credential = try section.secret(Configuration.credentialKey, required: true)!
        authHeader = try section.headerName("auth_header")
        authPrefix = try section.headerPrefix("auth_prefix")
    }

    public var target: String { "\(baseURL ?? "default"), \(Configuration.credentialKey) from \(credential.origin)" }

    /// The header and its prefix are assumptions about the vendor, so they are named too.
    public var credentialCheck: String {
        let header = authHeader ?? HeaderCredential.standardHeader, prefix = authPrefix ?? HeaderCredential.standardPrefix
        return credential.place + ", sent as '\(header): \(prefix)<\(Configuration.credentialKey)>' (auth_header, auth_prefix)"
    }

    public func configuration(_ environment: [String: String]) throws(ConfigurationError) -> any VendorConfiguration {
        var credential = HeaderCredential(try self.credential.resolve(environment: environment))
        if let authHeader { credential.header = authHeader }
        if let authPrefix { credential.prefix = authPrefix }
        return Configuration(credential: credential, baseURL: baseURL)
    }
}

extension ConfigurationSection {
    /// An HTTP header name (RFC 9110 token characters).
    public func headerName(_ key: String) throws(ConfigurationError) -> String? {
        guard let name = try string(key, example: "Authorization") else { return nil }
        let allowed = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        guard name.allSatisfy(allowed.contains) else {
            throw document.error(at: path + [key], "'\(name)' is not an HTTP header name", fix: "use letters, digits and dashes, like \"Authorization\"")
        }
        return name
    }

    /// What goes before the credential in the header's value ("" allowed: the bare key).
    public func headerPrefix(_ key: String) throws(ConfigurationError) -> String? {
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
