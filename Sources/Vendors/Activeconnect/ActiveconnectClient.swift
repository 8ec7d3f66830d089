/// ActiveconnectClient.swift: the Activeconnect Management API (VENDORS.md §1). A logical
/// failure can come back as HTTP 200 with `{"status": false, "reason"}`: the body decides.
import Foundation
import NIOHTTP1

/// Where and how to reach Activeconnect.
public struct ActiveconnectConfiguration: VendorConfiguration {
    public typealias Client = ActiveconnectClient
    public static let vendor = Vendor("activeconnect")

    public var baseURL: String
    public var applicationID: String
    public var applicationSecret: Secret

    public init(baseURL: String = "https://activeconnect.activeapi.ninja", applicationID: String, applicationSecret: Secret) {
        self.baseURL = baseURL
        self.applicationID = applicationID
        self.applicationSecret = applicationSecret
    }
}

/// One Activeconnect application's users and their devices.
public struct ActiveconnectClient: VendorClientCore {
    public let configuration: ActiveconnectConfiguration
    public let http: VendorHTTP
    var signer: ActiveconnectSigner

    public init(_ configuration: ActiveconnectConfiguration, http: VendorHTTP = .shared) {
        self.configuration = configuration
        self.http = http
        self.signer = ActiveconnectSigner(applicationID: configuration.applicationID, secret: configuration.applicationSecret)
    }

    /// The same client with a fixed nonce and clock (golden request tests).
    func fixing(nonce: UInt64, timestamp: Int) -> ActiveconnectClient {
        var copy = self
        copy.signer.nonce = { nonce }
        copy.signer.now = { timestamp }
        return copy
    }

    private struct Answer: Decodable {
        var status: Bool?
        var reason: String?
        var users: ActiveconnectAddedUsers?
        var register_url: String?
        var device_registered: Bool?
    }

    private struct Users: Encodable { var users: [String] }

    private struct SMS: Encodable {
        var phone_number: String
        var display_name: String?
        var message: String?
    }

    public func addUsers(_ users: [String]) async throws(VendorError) -> ActiveconnectAddedUsers {
        let answer = try await send("add_users", .POST, "add_users/\(app)", body: VendorJSON.encode(Users(users: users)))
        return answer.users ?? ActiveconnectAddedUsers(created: [], existing: [])
    }

    public func deleteUsers(_ users: [String]) async throws(VendorError) {
        _ = try await send("delete_users", .POST, "delete_users/\(app)", body: VendorJSON.encode(Users(users: users)))
    }

    /// A link that registers the user's mobile device.
    public func registrationLink(_ user: String, displayName: String? = nil) async throws(VendorError) -> String {
        var path = "device_registration_link/\(app)/\(Self.encode(user))"
        if let displayName { path += "?display_name=\(Self.encode(displayName))" }
        return try await link("registration_link", path)
    }

    public func hasDevice(_ user: String) async throws(VendorError) -> Bool {
        let answer = try await send("has_device", .GET, "has_registered_mobile_device/\(app)/\(Self.encode(user))", idempotent: true)
        return answer.device_registered ?? false
    }

    /// Disables the user's device; returns a new registration link.
    public func lostDevice(_ user: String) async throws(VendorError) -> String {
        try await link("lost_device", "lost_user_mobile_device/\(app)/\(Self.encode(user))")
    }

    public func sendRegistrationSMS(_ user: String, phone: String, displayName: String? = nil, message: String? = nil) async throws(VendorError) {
        let body = SMS(phone_number: phone, display_name: displayName, message: message)
        _ = try await send("send_registration_sms", .POST, "send_registration_sms/\(app)/\(Self.encode(user))", body: VendorJSON.encode(body))
    }

    // MARK: -

    private var app: String { Self.encode(configuration.applicationID) }

    /// `{user}` URL-encoded, `+` for spaces.
    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~ ")
        return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(of: " ", with: "+")
    }

    private func link(_ operation: String, _ path: String) async throws(VendorError) -> String {
        let answer = try await send(operation, .GET, path, idempotent: operation == "registration_link")
        guard let url = answer.register_url else {
            throw VendorError(vendor: .activeconnect, operation: operation, status: 200, message: "no register_url in the response", retryable: false)
        }
        return url
    }

    public var endpoint: String { configuration.baseURL + "/management/" }

    public func authorize(_ request: inout VendorRequest) {
        request.headers += signer.headers(for: request.url) // a fresh nonce and timestamp per attempt
        request.credentials = [configuration.applicationSecret.reveal()] // never sent, scrubbed all the same
    }

    /// The answer's text, as the API documents no error shape.
    public func refusal(_ response: VendorResponse, operation: String) -> VendorError {
        response.refusal(.activeconnect, operation, message: String(response.text.prefix(200)))
    }

    /// Sends a request; an answer with `"status": false` is a refusal too.
    private func send(_ operation: String, _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, idempotent: Bool = false) async throws(VendorError) -> Answer {
        let response = try await exchange(operation, method, path, body: body.map(VendorBody.json), idempotent: idempotent)
        let answer = try VendorJSON.decode(Answer.self, from: response, vendor: .activeconnect, operation: operation)
        if answer.status == false {
            throw VendorError(vendor: .activeconnect, operation: operation, status: response.status,
                              message: answer.reason ?? "the request was refused", retryable: false)
        }
        return answer
    }
}


extension ActiveconnectConfiguration {
    public var secretValues: [String] { [applicationSecret.reveal()] }
}

extension Vendor {
    public static let activeconnect = ActiveconnectConfiguration.vendor
}
