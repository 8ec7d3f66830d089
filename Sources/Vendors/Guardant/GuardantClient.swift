/// GuardantClient.swift: the Guardant vendor portal's Users API (VENDORS.md §3).
/// Requests are camelCase, responses lowercase; errors `{"code", "message"}` (assumed).
import Foundation
import NIOHTTP1

/// Where and how to reach Guardant. The header and prefix are assumptions VENDORS.md marks
/// configurable.
public struct GuardantConfiguration: Sendable {
    public var baseURL: String
    public var token: Secret
    public var authHeader: String
    public var authPrefix: String
    /// Users per page when listing (the portal's default is 100).
    public var pageSize: Int

    public init(baseURL: String = "https://station.guardant.ru", token: Secret, authHeader: String = "Authorization",
                authPrefix: String = "Bearer ", pageSize: Int = 100) {
        self.baseURL = baseURL
        self.token = token
        self.authHeader = authHeader
        self.authPrefix = authPrefix
        self.pageSize = pageSize
    }
}

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

public struct GuardantClient: Sendable {
    public let configuration: GuardantConfiguration
    let http: VendorHTTP

    public init(_ configuration: GuardantConfiguration, http: VendorHTTP = .shared) {
        self.configuration = configuration
        self.http = http
    }

    private struct Users: Decodable { var users: [GuardantUser] }
    private struct Roles: Decodable { var roles: [GuardantUser.Role] }
    private struct One: Decodable { var user: GuardantUser }

    /// Every user (all pages), optionally only archived or only current ones, sorted by
    /// `sortBy` (the portal's field name).
    public func listUsers(archived: Bool? = nil, sortBy: String = "name", descending: Bool = false) async throws(VendorError) -> [GuardantUser] {
        var users: [GuardantUser] = []
        while true {
            let query = VendorEncoding.query([
                ("sortby", sortBy), ("direction", descending ? "desc" : "asc"), ("offset", String(users.count)),
                ("limit", String(configuration.pageSize)), ("archived", archived.map { String($0) }),
            ])
            let page = try await send("list_users", .GET, "users?" + query, as: Users.self, idempotent: true).users
            users += page
            if page.count < configuration.pageSize { return users }
        }
    }

    public func listRoles() async throws(VendorError) -> [GuardantUser.Role] {
        try await send("list_roles", .GET, "users/roles", as: Roles.self, idempotent: true).roles
    }

    public func createUser(_ user: GuardantNewUser) async throws(VendorError) -> GuardantUser {
        try await send("create_user", .POST, "users", body: VendorJSON.encode(user), as: One.self, idempotent: false).user
    }

    public func updateUser(_ id: Int, _ changes: GuardantUserChanges) async throws(VendorError) -> GuardantUser {
        try await send("update_user", .PUT, "users/\(id)", body: VendorJSON.encode(changes), as: One.self, idempotent: true).user
    }

    private struct Failure: Decodable {
        var code: Int?
        var message: String?
    }

    private func send<T: Decodable>(_ operation: String, _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil,
                                    as type: T.Type, idempotent: Bool) async throws(VendorError) -> T {
        var headers = [(configuration.authHeader, configuration.authPrefix + configuration.token.reveal()), ("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let response = try await http.send(VendorRequest(
            vendor: .guardant, operation: operation, method: method, url: configuration.baseURL + "/v1.0/" + path,
            headers: headers, body: body, idempotent: idempotent, credentials: [configuration.token.reveal()]))
        guard response.isSuccess else {
            let failure = try? JSONDecoder().decode(Failure.self, from: Data(response.body))
            throw response.refusal(.guardant, operation, code: failure?.code.map(String.init), message: failure?.message)
        }
        return try VendorJSON.decode(type, from: response, vendor: .guardant, operation: operation)
    }
}

extension GuardantClient: CustomReflectable {
    /// Only the configuration (whose secrets print as `<redacted>`), never the HTTP
    /// client's internals, which can hold requests in flight.
    public var customMirror: Mirror { Mirror(self, children: ["configuration": configuration]) }
}
