/// VendorClientCore.swift: the request path every vendor client shares — build the request,
/// authorize it (afresh on every attempt), send it, turn a refusal into a `VendorError` in
/// the vendor's own error shape, decode the answer. A client supplies only what is its own:
/// where its API lives, its credentials and its error shape.
import Crypto
import Foundation
import NIOHTTP1

/// A request body: JSON bytes, or form fields (nil values left out).
public enum VendorBody {
    case json([UInt8])
    case form([(String, String?)])

    public var contentType: String {
        switch self {
        case .json: "application/json"
        case .form: "application/x-www-form-urlencoded"
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .json(let bytes): bytes
        case .form(let fields): Array(VendorEncoding.query(fields).utf8)
        }
    }
}

/// What a vendor client contributes to the shared request path.
public protocol VendorClientCore: VendorClient, CustomReflectable {
    var configuration: Configuration { get }
    var http: VendorHTTP { get }
    /// Where paths start: `https://customerapi-encore.actsoft.com/users/v1/`.
    var endpoint: String { get }
    /// Adds the credentials to one attempt (headers, a signature) and lists, in
    /// `request.credentials`, the secret values it carries.
    func authorize(_ request: inout VendorRequest)
    /// The error for an answer outside 2xx, read from the vendor's error shape.
    func refusal(_ response: VendorResponse, operation: String) -> VendorError
}

/// A vendor API whose client needs nothing beyond its configuration: the configuration
/// says where the API lives, how a request is authorized and how a refusal reads. Its
/// client is `VendorAPIClient<Self>`, and its operations are extensions of that.
public protocol VendorAPI: VendorConfiguration {
    /// Where paths start: `https://customerapi-encore.actsoft.com/users/v1/`.
    var endpoint: String { get }
    /// Adds the credentials to one attempt and lists, in `request.credentials`, the secret
    /// values it carries.
    func authorize(_ request: inout VendorRequest)
    /// The error for an answer outside 2xx, read from the vendor's error shape.
    func refusal(_ response: VendorResponse, operation: String) -> VendorError
}

/// The client of a `VendorAPI`: its configuration and the shared HTTP client.
public struct VendorAPIClient<API: VendorAPI>: VendorClientCore {
    public let configuration: API
    public let http: VendorHTTP

    public init(_ configuration: API, http: VendorHTTP = .shared) {
        self.configuration = configuration
        self.http = http
    }

    public var endpoint: String { configuration.endpoint }
    public func authorize(_ request: inout VendorRequest) { configuration.authorize(&request) }
    public func refusal(_ response: VendorResponse, operation: String) -> VendorError { configuration.refusal(response, operation: operation) }
}

extension VendorClientCore {
    public var account: String {
        let secrets = configuration.secretValues.joined(separator: "\u{0}")
        let digest = SHA256.hash(data: Data(secrets.utf8)).prefix(8).hexText
        return endpoint + "#" + digest
    }

    /// Only the configuration (whose secrets print as `<redacted>`), never the HTTP
    /// client's internals, which can hold requests in flight.
    public var customMirror: Mirror { Mirror(self, children: ["configuration": configuration]) }

    /// Sends one request and returns the vendor's answer, whatever its status.
    public func answer(_ operation: String, _ method: HTTPMethod, _ path: String, body: VendorBody? = nil,
                idempotent: Bool) async throws(VendorError) -> VendorResponse {
        let request = VendorCallProfile.shared.measure(.encode) {
            var headers = [("Accept", "application/json")]
            if let body { headers.append(("Content-Type", body.contentType)) }
            return VendorRequest(vendor: Self.vendor, operation: operation, method: method, url: endpoint + path,
                                 headers: headers, body: body?.bytes, idempotent: idempotent)
        }
        let client = self
        return try await http.send(request) { client.authorize(&$0) }
    }

    /// Sends one request; an answer outside 2xx is the vendor's refusal.
    public func exchange(_ operation: String, _ method: HTTPMethod, _ path: String, body: VendorBody? = nil,
                  idempotent: Bool) async throws(VendorError) -> VendorResponse {
        let response = try await answer(operation, method, path, body: body, idempotent: idempotent)
        guard response.isSuccess else { throw refusal(response, operation: operation) }
        return response
    }

    /// Sends one request and returns its JSON answer as the vendor sent it, parsed.
    public func document(_ operation: String, _ method: HTTPMethod, _ path: String, idempotent: Bool) async throws(VendorError) -> JSONDocument {
        let response = try await exchange(operation, method, path, idempotent: idempotent)
        return try VendorJSON.document(from: response, vendor: Self.vendor, operation: operation)
    }

    /// Sends one request and returns its answer, which must be a JSON array (or an object
    /// holding one at `itemsAt`), as sent.
    public func arrayDocument(_ operation: String, _ method: HTTPMethod, _ path: String, itemsAt key: String? = nil,
                              idempotent: Bool) async throws(VendorError) -> JSONDocument {
        let response = try await exchange(operation, method, path, idempotent: idempotent)
        return try VendorJSON.arrayDocument(from: response, vendor: Self.vendor, operation: operation, itemsAt: key)
    }

    /// Sends one request and decodes its answer as `T`.
    public func call<T: Decodable>(_ operation: String, _ method: HTTPMethod, _ path: String, body: VendorBody? = nil,
                            as type: T.Type, idempotent: Bool) async throws(VendorError) -> T {
        let response = try await exchange(operation, method, path, body: body, idempotent: idempotent)
        return try VendorJSON.decode(type, from: response, vendor: Self.vendor, operation: operation)
    }
}
