/// GuardantModels.swift: what Roster sends Guardant (answers are read by their declared
/// shapes, in the Lua module).
import Foundation

/// A new portal user.
public struct GuardantNewUser: Encodable, Sendable {
    public var username: String
    public var roleId: Int
    public var password: String
    public var passwordConfirm: String
    public var firstName: String?
    public var lastName: String?
    public var companyName: String?
    public var phone: String?

    /// `passwordConfirm` is filled from `password`.
    public init(username: String, roleId: Int, password: String, firstName: String? = nil, lastName: String? = nil,
                companyName: String? = nil, phone: String? = nil) {
        self.username = username
        self.roleId = roleId
        self.password = password
        self.passwordConfirm = password
        self.firstName = firstName
        self.lastName = lastName
        self.companyName = companyName
        self.phone = phone
    }
}

/// Changes to a portal user (any subset; a boolean is always sent as a boolean).
public struct GuardantUserChanges: Encodable, Sendable {
    public var roleId: Int?
    public var firstName: String?
    public var lastName: String?
    public var userIsActive: Bool?
    public var archived: Bool?

    public init(roleId: Int? = nil, firstName: String? = nil, lastName: String? = nil, userIsActive: Bool? = nil, archived: Bool? = nil) {
        self.roleId = roleId
        self.firstName = firstName
        self.lastName = lastName
        self.userIsActive = userIsActive
        self.archived = archived
    }
}
