/// GuardantClient.swift: the Guardant vendor portal's Users API (VENDORS.md §3).
/// Requests are camelCase, responses lowercase; errors `{"code", "message"}` (assumed).
import Foundation
import NIOHTTP1

/// Where and how to reach Guardant. The header and prefix are assumptions VENDORS.md marks
/// configurable.
public struct GuardantConfiguration: VendorAPI {
    public typealias Client = VendorAPIClient<GuardantConfiguration>
    public static let vendor = Vendor("guardant")

    public var baseURL: String
    /// The API token, in `Authorization: Bearer` unless configured otherwise.
    public var token: HeaderCredential
    /// Users per page when listing (the portal's default is 100).
    public var pageSize: Int

    public init(baseURL: String = "https://station.guardant.ru", token: HeaderCredential, pageSize: Int = 100) {
        self.baseURL = baseURL
        self.token = token
        self.pageSize = pageSize
    }
}

/// One Guardant vendor portal's users and roles.
public typealias GuardantClient = VendorAPIClient<GuardantConfiguration>

/// Guardant's operations.
extension VendorAPIClient where API == GuardantConfiguration {
    private struct Users: Decodable { var users: [JSONValue] }
    private struct Roles: Decodable { var roles: [JSONValue] }
    private struct One: Decodable { var user: JSONValue }

    /// Every user (all pages), optionally only archived or only current ones, sorted by
    /// `sortBy` (the portal's field name). Each user as the portal sends it.
    public func listUsers(archived: Bool? = nil, sortBy: String = "name", descending: Bool = false) async throws(VendorError) -> [JSONValue] {
        var users: [JSONValue] = []
        while true {
            let query = VendorEncoding.query([
                ("sortby", sortBy), ("direction", descending ? "desc" : "asc"), ("offset", String(users.count)),
                ("limit", String(configuration.pageSize)), ("archived", archived.map { String($0) }),
            ])
            let page = try await call("list_users", .GET, "users?" + query, as: Users.self, idempotent: true).users
            users += page
            if page.count < configuration.pageSize { return users }
        }
    }

    public func listRoles() async throws(VendorError) -> [JSONValue] {
        try await call("list_roles", .GET, "users/roles", as: Roles.self, idempotent: true).roles
    }

    public func createUser(_ user: GuardantNewUser) async throws(VendorError) -> JSONValue {
        try await call("create_user", .POST, "users", body: .json(VendorJSON.encode(user)), as: One.self, idempotent: false).user
    }

    public func updateUser(_ id: Int, _ changes: GuardantUserChanges) async throws(VendorError) -> JSONValue {
        try await call("update_user", .PUT, "users/\(id)", body: .json(VendorJSON.encode(changes)), as: One.self, idempotent: true).user
    }

}

/// How Guardant is reached: its endpoint, credentials and error shape.
extension GuardantConfiguration {
    public var secretValues: [String] { [token.secret.reveal()] }

    public var endpoint: String { baseURL + "/v1.0/" }

    public func authorize(_ request: inout VendorRequest) { token.authorize(&request) }

    private struct Failure: Decodable {
        var code: Int?
        var message: String?
    }

    /// `{"code", "message"}` (assumed), else the status.
    public func refusal(_ response: VendorResponse, operation: String) -> VendorError {
        let failure = try? JSONDecoder().decode(Failure.self, from: Data(response.body))
        return response.refusal(.guardant, operation, code: failure?.code.map(String.init), message: failure?.message)
    }
}

extension Vendor {
    public static let guardant = GuardantConfiguration.vendor
}
