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
    private struct One: Decodable { var user: JSONValue }

    /// Every user (all pages), optionally only archived or only current ones, sorted by
    /// `sortBy` (the portal's field name). Each user as the portal sends it.
    public func listUsers(archived: Bool? = nil, sortBy: String = "name", descending: Bool = false) async throws(VendorError) -> [JSONValue] {
        try await userPages(archived: archived, sortBy: sortBy, descending: descending).flatMap { $0.value["users"]?.array ?? [] }
    }

    /// The same pages as the portal sent them (`{"users": [...]}` each), for a script: read
    /// from their bytes into one Lua list.
    public func userPages(archived: Bool? = nil, sortBy: String = "name", descending: Bool = false) async throws(VendorError) -> [JSONDocument] {
        var pages: [JSONDocument] = []
        var count = 0
        while true {
            let query = VendorEncoding.query([
                ("sortby", sortBy), ("direction", descending ? "desc" : "asc"), ("offset", String(count)),
                ("limit", String(configuration.pageSize)), ("archived", archived.map { String($0) }),
            ])
            let page = try await arrayDocument("list_users", .GET, "users?" + query, itemsAt: "users", idempotent: true)
            let users = page.withRoot { $0["users"]?.count ?? 0 }
            pages.append(page)
            count += users
            if users < configuration.pageSize { return pages }
        }
    }

    public func listRoles() async throws(VendorError) -> [JSONValue] {
        try await roleList().value["roles"]?.array ?? []
    }

    /// The roles as the portal sent them (`{"roles": [...]}`), for a script.
    public func roleList() async throws(VendorError) -> JSONDocument {
        try await arrayDocument("list_roles", .GET, "users/roles", itemsAt: "roles", idempotent: true)
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
