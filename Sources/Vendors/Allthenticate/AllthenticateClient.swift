/// AllthenticateClient.swift: the Allthenticate Users API (VENDORS.md §5). GET parameters
/// go in the query; POST, PUT and DELETE parameters in a form body, lists as JSON strings,
/// booleans as true/false. Failures are `{"error"}`.
import Foundation
import NIOHTTP1

/// Where and how to reach Allthenticate (base URL, header and prefix are assumptions
/// VENDORS.md marks configurable).
public struct AllthenticateConfiguration: VendorAPI {
    public typealias Client = VendorAPIClient<AllthenticateConfiguration>
    public static let vendor = Vendor("allthenticate")

    public var baseURL: String
    /// The API key, in `Authorization: Bearer` unless configured otherwise.
    public var apiKey: HeaderCredential

    public init(baseURL: String = "https://api.allthenticate.com", apiKey: HeaderCredential) {
        self.baseURL = baseURL
        self.apiKey = apiKey
    }
}

/// `GET /modifysmartcard`'s answer.

/// One Allthenticate organization's users, guests, smartcards and invitations.
public typealias AllthenticateClient = VendorAPIClient<AllthenticateConfiguration>

/// Allthenticate's operations.
extension VendorAPIClient where API == AllthenticateConfiguration {
    /// Users (each as the vendor sends it), with their email when asked, or only guests.
    public func listUsers(includeEmail: Bool = false, guests: Bool = false) async throws(VendorError) -> [JSONValue] {
        try await userList(includeEmail: includeEmail, guests: guests).value.array ?? []
    }

    /// The same list as the vendor sent it, for a script (read from its bytes into Lua).
    public func userList(includeEmail: Bool = false, guests: Bool = false) async throws(VendorError) -> JSONDocument {
        let query = VendorEncoding.query([("email", includeEmail ? "true" : nil), ("user_tag", guests ? "GUEST" : nil)])
        return try await arrayDocument("list_users", .GET, "multipleusers" + (query.isEmpty ? "" : "?" + query), idempotent: true)
    }

    /// `{"ad_status": "ACTIVE"}` (or `SUSPENDED`...): the user's state that
    /// `toggle_suspension` flips, from the users list.
    public func suspensionState(emailID: Int) async throws(VendorError) -> JSONValue {
        let user = try await listUsers().first { $0["email_id"] == .int(emailID) }
        guard let user else {
            throw VendorError(vendor: Self.vendor, operation: "toggle_suspension", status: 400, message: "user not found: email_id \(emailID)", retryable: false)
        }
        return .object(["ad_status": user["ad_status"] ?? .null])
    }

    /// The user's policies, computer usernames and smartcards, as the vendor sends them,
    /// but computer usernames always as strings: the page lists them so here, while
    /// `/modifyallusernames` takes `{"computer_username": name}` objects; both are read.
    public func getUser(emailID: Int) async throws(VendorError) -> JSONValue {
        let details = try await get("get_user", "user?email_id=\(emailID)", as: JSONValue.self)
        guard case .object(var fields) = details, case .array(let names)? = fields["computer_usernames"] else { return details }
        fields["computer_usernames"] = .array(names.map { $0["computer_username"] ?? $0 })
        return .object(fields)
    }

    /// Removes the user from the organization (by email id, or else by email).
    public func deleteUser(emailID: Int? = nil, email: String? = nil) async throws(VendorError) {
        try await form("delete_user", .DELETE, "user", [("email_id", emailID.map(String.init)), ("email", emailID == nil ? email : nil)], idempotent: true)
    }

    public func setComputerUsernames(emailID: Int, _ names: [String]) async throws(VendorError) {
        let list = VendorEncoding.jsonString(names.map { ["computer_username": $0] })
        try await form("set_computer_usernames", .POST, "modifyallusernames", [("email_id", String(emailID)), ("computer_usernames", list)], idempotent: true)
    }

    public func setRank(userID: Int, _ rank: AllthenticateRank) async throws(VendorError) {
        try await form("set_rank", .POST, "modifyrank", [("admin_user_id", String(userID)), ("rank", rank.rawValue)], idempotent: true)
    }

    /// The user's smartcards, as the vendor sends them.
    public func smartcards(emailID: Int) async throws(VendorError) -> [JSONValue] {
        try await smartcardList(emailID: emailID).value["smartcards"]?.array ?? []
    }

    /// The same, as the vendor sent them (`{"smartcards": [...]}`), for a script.
    public func smartcardList(emailID: Int) async throws(VendorError) -> JSONDocument {
        try await arrayDocument("smartcards", .GET, "modifysmartcard?email_id=\(emailID)", itemsAt: "smartcards", idempotent: true)
    }

    public func setSmartcards(emailID: Int, _ cards: [AllthenticateSmartcard], allowDuplicates: Bool = false) async throws(VendorError) {
        try await form("set_smartcards", .POST, "modifysmartcard", [
            ("email_id", String(emailID)), ("smartcards", VendorEncoding.jsonString(cards)), ("allow_duplicates", String(allowDuplicates)),
        ], idempotent: true)
    }

    public func promoteGuest(emailID: Int) async throws(VendorError) {
        try await form("promote_guest", .POST, "promoteguest", [("email_id", String(emailID))], idempotent: false)
    }

    /// The vendor's answer, as it is (its shape is not documented).
    public func toggleSuspension(emailID: Int) async throws(VendorError) -> JSONValue {
        try await call("toggle_suspension", .POST, "togglesuspension", body: .form([("email_id", String(emailID))]), as: JSONValue.self, idempotent: false)
    }

    public func invite(_ emails: [String], smartcards: [AllthenticateSmartcard]? = nil, groups: [String]? = nil, noEmail: Bool = false) async throws(VendorError) -> JSONValue {
        try await call("invite", .PUT, "invites", body: .form([
            ("emails", VendorEncoding.jsonString(emails)), ("smartcards", smartcards.map(VendorEncoding.jsonString)),
            ("groups", groups.map(VendorEncoding.jsonString)), ("no_email", String(noEmail)),
        ]), as: JSONValue.self, idempotent: false)
    }

    public func resendInvite(_ email: String) async throws(VendorError) {
        try await form("resend_invite", .POST, "invites", [("email", email)], idempotent: false)
    }

    /// The pending invitations, as the vendor sends them.
    public func invites() async throws(VendorError) -> [JSONValue] {
        try await inviteList().value.array ?? []
    }

    /// The same, as the vendor sent them, for a script.
    public func inviteList() async throws(VendorError) -> JSONDocument {
        try await arrayDocument("invites", .GET, "invites", idempotent: true)
    }

    private func get<T: Decodable>(_ operation: String, _ path: String, as type: T.Type) async throws(VendorError) -> T {
        try await call(operation, .GET, path, as: type, idempotent: true)
    }

    private func form(_ operation: String, _ method: HTTPMethod, _ path: String, _ fields: [(String, String?)], idempotent: Bool) async throws(VendorError) {
        _ = try await exchange(operation, method, path, body: .form(fields), idempotent: idempotent)
    }
}

/// How Allthenticate is reached: its endpoint, credentials and error shape.
extension AllthenticateConfiguration {
    public var secretValues: [String] { [apiKey.secret.reveal()] }

    public var endpoint: String { baseURL + "/" }

    public func authorize(_ request: inout VendorRequest) { apiKey.authorize(&request) }

    private struct Failure: Decodable { var error: String }

    /// `{"error"}`, else the status.
    public func refusal(_ response: VendorResponse, operation: String) -> VendorError {
        let failure = try? JSONDecoder().decode(Failure.self, from: Data(response.body))
        return response.refusal(.allthenticate, operation, message: failure?.error)
    }
}

extension Vendor {
    public static let allthenticate = AllthenticateConfiguration.vendor
}
