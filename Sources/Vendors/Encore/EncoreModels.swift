/// EncoreModels.swift: the Encore user object (PascalCase on the wire). Every field is
/// optional so that a body carries only what the caller gave: never a null.
public struct EncoreUser: Codable, Sendable, Equatable {
    public var userId: Int?
    public var userName: String?
    public var password: String?
    public var groupName: String?
    public var firstName: String?
    public var lastName: String?
    public var employeeNumber: String?
    public var email: String?
    public var phone: String?
    /// 1 Admin, 3 User, 5 Power User.
    public var roleId: Int?
    public var isActive: Bool?
    public var epttEnabled: Bool?
    public var epttNumber: String?
    public var epttWebMDN: String?
    public var epttToken: String?
    public var gpsEnabled: Bool?
    public var mobileOnly: Bool?
    /// 0 Undefined, 1 Regular, 2 WebOnly, 3 Employee.
    public var licenseType: Int?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case userId = "UserId", userName = "UserName", password = "Password", groupName = "GroupName"
        case firstName = "FirstName", lastName = "LastName", employeeNumber = "EmployeeNumber"
        case email = "Email", phone = "Phone", roleId = "RoleId", isActive = "IsActive"
        case epttEnabled = "EPTTEnabled", epttNumber = "EPTTNumber", epttWebMDN = "EPTTWebMDN"
        case epttToken = "EPTTToken", gpsEnabled = "GPSEnabled", mobileOnly = "MobileOnly"
        case licenseType = "LicenseType"
    }
}

/// How `{id}` names a user: the numeric InternalId or the ExternalId.
public enum EncoreUserID: Sendable, Equatable, CustomStringConvertible {
    case `internal`(Int)
    case external(String)

    var pathComponent: String {
        switch self {
        case .internal(let id): String(id)
        case .external(let id): id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id
        }
    }

    var isExternal: Bool { if case .external = self { true } else { false } }

    public var description: String {
        switch self {
        case .internal(let id): "\(id)"
        case .external(let id): "external \(id)"
        }
    }
}

import Foundation
