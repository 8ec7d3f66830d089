/// Active911Models.swift: what Roster sends Active911 (answers are read by their declared
/// shapes, in the Lua module).
import Foundation

/// A member to create.
public struct Active911NewMember: Encodable, Sendable {
    public var name: String
    public var email: String
    public var phone: String?
    public var permissions: [String]?
    public init(name: String, email: String, phone: String? = nil, permissions: [String]? = nil) {
        self.name = name
        self.email = email
        self.phone = phone
        self.permissions = permissions
    }
}
