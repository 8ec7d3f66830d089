/// Active911Client.swift: the Active911 Member Management API (VENDORS.md §4). Every call
/// sends the access token and the refresh cookie, and adopts any non-empty `token` the
/// response carries; calls are paced below the account's rate limit.
import Crypto
import Foundation
import NIOHTTP1
import Synchronization

/// Where and how to reach Active911.
public struct Active911Configuration: RateLimitedConfiguration {
    public typealias Client = Active911Client
    public static let vendor = Vendor("active911")

    public var baseURL: String
    public var tokenURL: String
    public var refreshToken: Secret
    /// The agency used when a call names none.
    public var agency: String?
    /// Requests per window per account (the vendor allows 25 a minute).
    public var requestsPerWindow: Int
    public var window: Duration
    /// The share of the limit left for others using the account (0.2: a fifth).
    public var reserve: Double = 0

    public init(baseURL: String = "https://agency-service.active911.com", tokenURL: String = "https://user-service.active911.com",
                refreshToken: Secret, agency: String? = nil, requestsPerWindow: Int = 25, window: Duration = .seconds(60)) {
        self.baseURL = baseURL
        self.tokenURL = tokenURL
        self.refreshToken = refreshToken
        self.agency = agency
        self.requestsPerWindow = requestsPerWindow
        self.window = window
    }
}

/// One Active911 account's agencies and members, paced below its rate limit.
public final class Active911Client: VendorClientCore {
    public let configuration: Active911Configuration
    public let http: VendorHTTP
    private let accessToken = Mutex<String?>(nil)
    private let budget: RateBudget

    public init(_ configuration: Active911Configuration, http: VendorHTTP = .shared) {
        self.configuration = configuration
        self.http = http
        // An array, not `Data(_:)`: that looks its argument up as `ContiguousBytes` at run time,
        // a scan of the binary's conformance records on every start.
        let digest = SHA256.hash(data: Array(configuration.refreshToken.reveal().utf8)).prefix(8).hexText
        self.budget = RateBudget.shared(vendor: .active911, account: configuration.tokenURL + "#" + digest,
                                        limit: configuration.requestsPerWindow, window: configuration.window,
                                        reserve: configuration.reserve, ledger: http.rateLedger)
    }

    /// The access token adopted last (to scrub from vendor text; never printed).
    public var currentAccessToken: String? { accessToken.withLock { $0 } }

    /// The access token in use: scrubbed like the configured secrets.
    public var liveSecrets: [String] { currentAccessToken.map { [$0] } ?? [] }

    /// Exchanges an email and password for a refresh token (valid a year).
    public static func authenticate(email: String, password: Secret, tokenURL: String = "https://user-service.active911.com",
                                    http: VendorHTTP = .shared) async throws(VendorError) -> Secret {
        struct Credentials: Encodable { var email: String; var password: String }
        struct Result: Decodable { var token: String }
        let response = try await http.send(VendorRequest(
            vendor: .active911, operation: "authenticate", method: .POST, url: tokenURL + "/v1/authenticate",
            headers: [("Content-Type", "application/json")],
            body: VendorJSON.encode(Credentials(email: email, password: password.reveal())), idempotent: false,
            credentials: [password.reveal()]))
        let envelope: Envelope<Result> = try decodeEnvelope(response, operation: "authenticate")
        guard let result = envelope.result else { throw failure(envelope, response, "authenticate") }
        return Secret(result.token)
    }

    /// The agencies, each with its members, as Active911 sends them.
    public func agencies() async throws(VendorError) -> [JSONValue] {
        try await send("agencies", .GET, "agencies", idempotent: true)
    }

    /// The member created, as Active911 sends it.
    public func createMember(agency: String? = nil, _ member: Active911NewMember) async throws(VendorError) -> JSONValue {
        let created: [JSONValue] = try await send("create_member", .POST, "agency/\(try agencyID(agency, "create_member"))/member/create",
                                                        body: VendorJSON.encode(member), idempotent: false)
        guard let first = created.first else {
            throw VendorError(vendor: .active911, operation: "create_member", status: 200, message: "no member in the response", retryable: false)
        }
        return first
    }

    /// Creates many members in one request (kinder to the rate limit).
    public func createMembers(agency: String? = nil, _ members: [Active911NewMember]) async throws(VendorError) -> [JSONValue] {
        struct Bulk: Encodable { var members: [Active911NewMember] }
        return try await send("create_members", .POST, "agency/\(try agencyID(agency, "create_members"))/member/bulk_create",
                              body: VendorJSON.encode(Bulk(members: members)), idempotent: false)
    }

    public func deleteMember(agency: String? = nil, _ memberID: Int) async throws(VendorError) {
        let _: JSONValue = try await send("delete_member", .DELETE, "agency/\(try agencyID(agency, "delete_member"))/member/\(memberID)", idempotent: true)
    }

    // MARK: -

    public var endpoint: String { configuration.baseURL + "/v2/" }

    /// The access token adopted last, and the refresh cookie (alone before the first token
    /// arrives), read afresh for every attempt.
    public func authorize(_ request: inout VendorRequest) {
        request.credentials = [configuration.refreshToken.reveal()]
        if let token = accessToken.withLock({ $0 }) {
            request.headers.append(("Authorization", "a911Access " + token))
            request.credentials.append(token)
        }
        request.headers.append(("Cookie", "a911Auth=" + configuration.refreshToken.reveal()))
    }

    /// The envelope's message and code, else the status's.
    public func refusal(_ response: VendorResponse, operation: String) -> VendorError {
        let envelope = (try? JSONDecoder().decode(Envelope<JSONValue>.self, from: Data(response.body)))
            ?? Envelope(success: false, result: nil, message: nil, code: nil, token: nil)
        return Self.failure(envelope, response, operation)
    }

    private struct Envelope<T: Decodable>: Decodable {
        var success: Bool?
        var result: T?
        var message: String?
        var code: JSONValue?
        var token: String?
    }

    private func agencyID(_ agency: String?, _ operation: String) throws(VendorError) -> String {
        guard let id = agency ?? configuration.agency else {
            throw VendorError(vendor: .active911, operation: operation, status: nil,
                              message: "no agency given and none configured (set agency in roster.toml)", retryable: false)
        }
        return VendorEncoding.component(id)
    }

    private func send<T: Decodable>(_ operation: String, _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, idempotent: Bool) async throws(VendorError) -> T {
        let slot = try await budget.admit(operation: operation)
        let outcome: Result<VendorResponse, VendorError>
        do {
            outcome = .success(try await answer(operation, method, path, body: body.map(VendorBody.json), idempotent: idempotent))
        } catch {
            outcome = .failure(error)
        }
        await budget.finish(slot)
        let response = try outcome.get()
        let envelope: Envelope<T> = try Self.decodeEnvelope(response, operation: operation)
        if let token = envelope.token, !token.isEmpty { accessToken.withLock { $0 = token } }
        guard response.isSuccess, envelope.success != false, let result = envelope.result else {
            throw Self.failure(envelope, response, operation)
        }
        return result
    }

    private static func decodeEnvelope<T>(_ response: VendorResponse, operation: String) throws(VendorError) -> Envelope<T> {
        if let envelope = try? JSONDecoder().decode(Envelope<T>.self, from: Data(response.body)) { return envelope }
        if response.isSuccess {
            throw response.unexpectedBody(.active911, operation)
        }
        return Envelope(success: false, result: nil, message: nil, code: nil, token: nil)
    }

    private static func failure<T>(_ envelope: Envelope<T>, _ response: VendorResponse, _ operation: String) -> VendorError {
        let code: String? = switch envelope.code {
        case .int(let value)?: String(value)
        case .string(let value)?: value
        default: nil
        }
        return response.refusal(.active911, operation, code: code, message: envelope.message)
    }
}


extension Active911Configuration {
    public var secretValues: [String] { [refreshToken.reveal()] }
}

extension Vendor {
    public static let active911 = Active911Configuration.vendor
}
