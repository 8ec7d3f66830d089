/// HeaderCredential.swift: a credential sent in one header whose name and prefix are
/// configurable (the assumptions VENDORS.md marks for Guardant and Allthenticate).

/// `Authorization: Bearer <secret>`, or whatever header and prefix the account needs.
public struct HeaderCredential: Sendable {
    public var secret: Secret
    public var header: String
    /// What goes before the secret ("" allowed: the bare secret).
    public var prefix: String

    /// Where the secret goes unless the account says otherwise.
    public static let standardHeader = "Authorization"
    public static let standardPrefix = "Bearer "

    public init(_ secret: Secret, header: String = standardHeader, prefix: String = standardPrefix) {
        self.secret = secret
        self.header = header
        self.prefix = prefix
    }

    /// Adds the header to one attempt, and lists the secret it carries.
    public func authorize(_ request: inout VendorRequest) {
        request.headers.append((header, prefix + secret.reveal()))
        request.credentials = [secret.reveal()]
    }
}
