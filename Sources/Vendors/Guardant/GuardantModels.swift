/// GuardantModels.swift: what Guardant sends and answers, as the client reads and writes it.
import Foundation

/// A portal user, as the portal answers.
public struct GuardantUser: Decodable, Sendable, Equatable {
    public struct Role: Decodable, Sendable, Equatable {
        public var id: Int
        public var name: String?
        enum CodingKeys: String, CodingKey { case id = "_id", name = "nameeng" }
    }

    public struct Details: Decodable, Sendable, Equatable {
        public var firstName: String?
        public var lastName: String?
        public var archived: Bool?
        public var role: Role?
        enum CodingKeys: String, CodingKey { case firstName = "firstname", lastName = "lastname", archived, role }
    }

    public var id: Int
    public var email: String?
    public var confirmed: Bool?
    /// Whether the user is active.
    public var status: Bool?
    public var details: Details?

    enum CodingKeys: String, CodingKey { case id = "_id", email, confirmed, status, details = "userdetails" }
}

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
