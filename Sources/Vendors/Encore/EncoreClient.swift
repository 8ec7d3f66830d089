/// EncoreClient.swift: the Actsoft Encore Users API (VENDORS.md §2).
import Foundation
import NIOHTTP1

/// Where and how to reach Encore.
public struct EncoreConfiguration: VendorAPI {
    public typealias Client = VendorAPIClient<EncoreConfiguration>
    public static let vendor = Vendor("encore")

    public var baseURL: String
    public var subscriptionKey: Secret
    /// Sent as `X-API-Version` only when set (assumed header name).
    public var apiVersion: Int?
    /// Users per page when listing (the API's default is 500).
    public var pageSize: Int

    public init(baseURL: String = "https://customerapi-encore.actsoft.com", subscriptionKey: Secret, apiVersion: Int? = nil, pageSize: Int = 500) {
        self.baseURL = baseURL
        self.subscriptionKey = subscriptionKey
        self.apiVersion = apiVersion
        self.pageSize = pageSize
    }
}

/// One Encore account's users.
public typealias EncoreClient = VendorAPIClient<EncoreConfiguration>

/// Encore's operations.
extension VendorAPIClient where API == EncoreConfiguration {
    /// Every user, following the pages until a short or empty (204) one.
    /// Each user as Encore sends it (PascalCase keys).
    public func listUsers() async throws(VendorError) -> [JSONValue] {
        try await userPages().flatMap { $0.value.array ?? [] }
    }

    /// Every page of users as Encore sent it (each an array), for a script: read from
    /// their bytes into one Lua list.
    public func userPages() async throws(VendorError) -> [JSONDocument] {
        var pages: [JSONDocument] = []
        var page = 1
        while true {
            let response = try await exchange("list_users", .GET, "users?pageNumber=\(page)&pageSize=\(configuration.pageSize)", idempotent: true)
            if response.status == 204 { return pages }
            let batch = try VendorJSON.arrayDocument(from: response, vendor: .encore, operation: "list_users")
            let count = batch.withRoot { $0.count }
            pages.append(batch)
            if count < configuration.pageSize { return pages }
            page += 1
        }
    }

    /// The user as Encore sends it (PascalCase keys; decode an `EncoreUser` from it if needed).
    public func getUser(_ id: EncoreUserID) async throws(VendorError) -> JSONValue {
        try await call("get_user", .GET, path(id), as: JSONValue.self, idempotent: true)
    }

    /// One user as Encore sent it, for a script (read from its bytes into Lua).
    public func userDocument(_ id: EncoreUserID) async throws(VendorError) -> JSONDocument {
        try await document("get_user", .GET, path(id), idempotent: true)
    }

    /// Creates a user; returns its InternalId. Never retried (it creates).
    public func createUser(_ user: some Encodable & Sendable) async throws(VendorError) -> Int {
        try await identifier("create_user", .POST, "users", body: user, idempotent: false)
    }

    /// PATCH: changes only the fields `changes` carries.
    public func updateUser(_ id: EncoreUserID, _ changes: some Encodable & Sendable) async throws(VendorError) -> Int {
        try await identifier("update_user", .PATCH, path(id), body: changes, idempotent: false)
    }

    /// PUT: replaces the user.
    public func replaceUser(_ id: EncoreUserID, _ user: some Encodable & Sendable) async throws(VendorError) -> Int {
        try await identifier("replace_user", .PUT, path(id), body: user, idempotent: true)
    }

    public func activateUser(_ id: EncoreUserID) async throws(VendorError) -> Int {
        try await identifier("activate_user", .PUT, path(id, suffix: "/active"), body: nil as JSONValue?, idempotent: true)
    }

    /// Deactivates (Encore has no hard delete).
    public func deactivateUser(_ id: EncoreUserID) async throws(VendorError) {
        _ = try await exchange("deactivate_user", .DELETE, path(id, suffix: "/active"), idempotent: true)
    }

    private struct Identifier: Decodable {
        var Id: Int
    }

    private func identifier(_ operation: String, _ method: HTTPMethod, _ path: String, body: (some Encodable)?, idempotent: Bool) async throws(VendorError) -> Int {
        try await call(operation, method, path, body: body.map { .json(VendorJSON.encode($0)) }, as: Identifier.self, idempotent: idempotent).Id
    }

    private func path(_ id: EncoreUserID, suffix: String = "") -> String {
        "users/\(id.pathComponent)\(suffix)?use-external-id=\(id.isExternal)"
    }
}

/// How Encore is reached: its endpoint, credentials and error shape.
extension EncoreConfiguration {
    public var secretValues: [String] { [subscriptionKey.reveal()] }

    public var endpoint: String { baseURL + "/users/v1/" }

    public func authorize(_ request: inout VendorRequest) {
        request.headers.append(("Ocp-Apim-Subscription-Key", subscriptionKey.reveal()))
        if let version = apiVersion { request.headers.append(("X-API-Version", String(version))) }
        request.credentials = [subscriptionKey.reveal()]
    }

    private struct Issue: Decodable {
        var Code: Int
        var Message: String
    }

    private struct Denial: Decodable {
        var message: String
    }

    /// 400/422: `[{"Code","Message"}]`; 401: API Management's `{"message"}`; else the text.
    public func refusal(_ response: VendorResponse, operation: String) -> VendorError {
        let body = Data(response.body)
        var code: String?
        var message: String?
        if let issues = try? JSONDecoder().decode([Issue].self, from: body), !issues.isEmpty {
            code = issues.map { String($0.Code) }.joined(separator: ",")
            message = issues.map(\.Message).joined(separator: "; ")
        } else if let denial = try? JSONDecoder().decode(Denial.self, from: body) {
            message = denial.message
        } else if !response.body.isEmpty {
            message = String(response.text.prefix(200))
        }
        return response.refusal(.encore, operation, code: code, message: message)
    }
}

extension Vendor {
    public static let encore = EncoreConfiguration.vendor
}
