/// EncoreUser.swift: the Encore user object, as it travels (PascalCase), and the state.

/// An Encore user. Reads add `UserId`; the password is never read back.
struct EncoreUser: Codable, Equatable {
    var userId: Int?
    var userName: String?
    var password: String?
    var groupName: String?
    var firstName: String?
    var lastName: String?
    var employeeNumber: String?
    var email: String?
    var phone: String?
    var roleId: Int?
    var isActive: Bool?
    var epttEnabled: Bool?
    var epttNumber: String?
    var epttWebMDN: String?
    var epttToken: String?
    var gpsEnabled: Bool?
    var mobileOnly: Bool?
    var licenseType: Int?

    enum CodingKeys: String, CodingKey {
        case userId = "UserId", userName = "UserName", password = "Password", groupName = "GroupName"
        case firstName = "FirstName", lastName = "LastName", employeeNumber = "EmployeeNumber"
        case email = "Email", phone = "Phone", roleId = "RoleId", isActive = "IsActive"
        case epttEnabled = "EPTTEnabled", epttNumber = "EPTTNumber", epttWebMDN = "EPTTWebMDN"
        case epttToken = "EPTTToken", gpsEnabled = "GPSEnabled", mobileOnly = "MobileOnly"
        case licenseType = "LicenseType"
    }

    /// The demo tenant's users.
    init(UserId: Int, UserName: String, Password: String, GroupName: String, FirstName: String, LastName: String,
         EmployeeNumber: String, Email: String, Phone: String, RoleId: Int, IsActive: Bool, LicenseType: Int) {
        userId = UserId; userName = UserName; password = Password; groupName = GroupName
        firstName = FirstName; lastName = LastName; employeeNumber = EmployeeNumber; email = Email
        phone = Phone; roleId = RoleId; isActive = IsActive; licenseType = LicenseType
        epttEnabled = false; gpsEnabled = true; mobileOnly = false
    }

    /// What a read returns: everything but the password.
    var read: EncoreUser {
        var copy = self
        copy.password = nil
        return copy
    }

    /// Applies the fields `change` carries (a PATCH).
    mutating func apply(_ change: EncoreUser) {
        if let v = change.userName { userName = v }
        if let v = change.password { password = v }
        if let v = change.groupName { groupName = v }
        if let v = change.firstName { firstName = v }
        if let v = change.lastName { lastName = v }
        if let v = change.employeeNumber { employeeNumber = v }
        if let v = change.email { email = v }
        if let v = change.phone { phone = v }
        if let v = change.roleId { roleId = v }
        if let v = change.isActive { isActive = v }
        if let v = change.epttEnabled { epttEnabled = v }
        if let v = change.epttNumber { epttNumber = v }
        if let v = change.epttWebMDN { epttWebMDN = v }
        if let v = change.epttToken { epttToken = v }
        if let v = change.gpsEnabled { gpsEnabled = v }
        if let v = change.mobileOnly { mobileOnly = v }
        if let v = change.licenseType { licenseType = v }
    }
}

/// One Encore account's users, in creation order.
/// The emulated vendor's accounts (its `EmulatedAPI.State`).
public struct EncoreState: Sendable {
    private(set) var users: [EncoreUser]
    var nextId: Int
    /// How many users hold each user name, lowercased: a create checks its name at once
    /// instead of against every user (bulk runs create thousands).
    private var names: [String: Int] = [:]

    init(users: [EncoreUser], nextId: Int) {
        self.users = []
        self.nextId = nextId
        for user in users { append(user) }
    }

    mutating func append(_ user: EncoreUser) {
        users.append(user)
        if let name = user.userName?.lowercased() { names[name, default: 0] += 1 }
    }

    mutating func replace(at index: Int, with user: EncoreUser) {
        if let old = users[index].userName?.lowercased() { names[old, default: 1] -= 1 }
        users[index] = user
        if let name = user.userName?.lowercased() { names[name, default: 0] += 1 }
    }

    mutating func setActive(_ active: Bool, at index: Int) { users[index].isActive = active }

    /// Whether a user other than the one at `index` has the (lowercased) name.
    func nameTaken(_ lowercased: String, except index: Int?) -> Bool {
        let holders = names[lowercased, default: 0]
        let own = index.flatMap { users[$0].userName?.lowercased() } == lowercased ? 1 : 0
        return holders - own > 0
    }

    func index(of id: String, external: Bool) -> Int? {
        if external { return users.firstIndex { $0.employeeNumber == id } }
        guard let number = Int(id) else { return nil }
        return users.firstIndex { $0.userId == number }
    }

    func dump() -> [[String: Any]] {
        users.map { ["UserId": $0.userId ?? 0, "UserName": $0.userName ?? "", "IsActive": $0.isActive ?? false,
                     "EmployeeNumber": $0.employeeNumber ?? ""] }
    }
}

/// An Encore error code and its message, as the seed lists them.
struct EncoreIssue: Encodable, Error {
    var Code: Int
    var Message: String

    static let externalFlagMissing = EncoreIssue(Code: 1, Message: "use-external-id is not provided")
    static let internalIdNotNumeric = EncoreIssue(Code: 2, Message: "InternalId is not valid. Should be numeric value.")
    static let invalidFormat = EncoreIssue(Code: 3, Message: "Invalid data format.")
    static let externalIdEmpty = EncoreIssue(Code: 4, Message: "ExternalId is empty.")
    static let employeeNumberExists = EncoreIssue(Code: 101, Message: "Employee number already exists")
    static let emailFormat = EncoreIssue(Code: 104, Message: "Email format is not valid")
    static let alreadyDeactivated = EncoreIssue(Code: 106, Message: "User already deleted or deactivated")
    static let roleNotFound = EncoreIssue(Code: 113, Message: "Role is not found")
    static let userNameRequired = EncoreIssue(Code: 114, Message: "UserName is required")
    static let userNameExists = EncoreIssue(Code: 115, Message: "UserName already exists")
    static let passwordRequired = EncoreIssue(Code: 118, Message: "Password is require")
    static let notFound = EncoreIssue(Code: 128, Message: "User not found or deleted.")
    static let invalidLicenseType = EncoreIssue(Code: 132, Message: "Invalid license type.")
    static let licenseTypeRequired = EncoreIssue(Code: 133, Message: "License type required.")
}
