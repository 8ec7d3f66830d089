/// KeycardClient.swift: a sixth vendor that exists only in tests ("Keycard", door badges),
/// built as a real vendor is: its client configuration and client over the shared skeleton.
import Foundation
import Vendors

extension Vendor {
    static let keycard = Vendor("keycard")
}

/// Where and how to reach Keycard.
struct KeycardConfiguration: VendorConfiguration {
    typealias Client = KeycardClient
    static let vendor = Vendor.keycard
    var baseURL: String
    var apiKey: Secret

    var secretValues: [String] { [apiKey.reveal()] }
}

/// Keycard's badges API: `GET /v1/badges/{id}`, `POST /v1/badges`.
struct KeycardClient: VendorClientCore {
    let configuration: KeycardConfiguration
    let http: VendorHTTP

    init(_ configuration: KeycardConfiguration, http: VendorHTTP = .shared) {
        self.configuration = configuration
        self.http = http
    }

    func badge(_ id: Int) async throws(VendorError) -> JSONValue {
        try await call("get_badge", .GET, "badges/\(id)", as: JSONValue.self, idempotent: true)
    }

    struct NewBadge: Encodable {
        var holder: String
        var doors: [String]
    }

    func issueBadge(_ badge: NewBadge) async throws(VendorError) -> JSONValue {
        try await call("issue_badge", .POST, "badges", body: .json(VendorJSON.encode(badge)), as: JSONValue.self, idempotent: false)
    }

    var endpoint: String { configuration.baseURL + "/v1/" }

    func authorize(_ request: inout VendorRequest) {
        request.headers.append(("X-Keycard-Key", configuration.apiKey.reveal()))
        request.credentials = [configuration.apiKey.reveal()]
    }

    func refusal(_ response: VendorResponse, operation: String) -> VendorError {
        let problem = try? JSONDecoder().decode([String: String].self, from: Data(response.body))
        return response.refusal(Self.vendor, operation, message: problem?["problem"])
    }
}
