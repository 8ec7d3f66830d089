/// VendorResponses.swift: building responses in each vendor's own shapes.
import Foundation
import Hummingbird

/// JSON and plain-text responses.
enum Reply {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// `value` encoded as JSON.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        return bytes(data, status: status, contentType: "application/json; charset=utf-8")
    }

    /// A JSON object built from loosely typed values (for shapes Codable spells awkwardly).
    static func object(_ value: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return bytes(data, status: status, contentType: "application/json; charset=utf-8")
    }

    static func text(_ text: String, status: HTTPResponse.Status) -> Response {
        bytes(Data(text.utf8), status: status, contentType: "text/plain; charset=utf-8")
    }

    static func empty(_ status: HTTPResponse.Status) -> Response {
        Response(status: status)
    }

    private static func bytes(_ data: Data, status: HTTPResponse.Status, contentType: String) -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Errors in each vendor's documented (or assumed) shape.
enum VendorRefusal {
    /// An injected fault's response.
    static func fault(_ vendor: EmulatedVendor, status: Int) -> Response {
        response(vendor, status: status, reason: status == 429 ? "Too many requests" : "Injected fault: HTTP \(status)")
    }

    /// A path the vendor does not have.
    static func unknownPath(_ vendor: EmulatedVendor, _ request: Request) -> Response {
        response(vendor, status: 404, reason: "no such endpoint: \(request.method) \(request.uri.path)")
    }

    private static func response(_ vendor: EmulatedVendor, status: Int, reason: String) -> Response {
        let code = HTTPResponse.Status(code: status)
        switch vendor {
        case .activeconnect: return Reply.text(reason, status: code)
        case .encore: return Reply.object([["Code": status, "Message": reason]], status: code)
        case .guardant: return Reply.object(["code": status, "message": reason], status: code)
        case .active911:
            return Reply.object(["success": false, "result": NSNull(), "message": reason, "code": status, "token": NSNull()], status: code)
        case .allthenticate: return Reply.object(["error": reason], status: code)
        }
    }
}

extension Request {
    /// The body, or nil when it is larger than `limit`.
    mutating func bodyData(limit: Int) async -> Data? {
        guard let buffer = try? await collectBody(upTo: limit) else { return nil }
        return Data(buffer.readableBytesView)
    }

    /// A query parameter, percent-decoded.
    func query(_ name: String) -> String? {
        uri.queryParameters.get(name)
    }
}

/// A request the router has no route for (or not with this method) gets a 404 in the shape
/// of the vendor whose prefix it is under.
struct UnknownPathMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            let first = request.uri.path.split(separator: "/").first.map(String.init) ?? ""
            guard let vendor = EmulatedVendor(rawValue: first) else { throw error }
            return VendorRefusal.unknownPath(vendor, request)
        }
    }
}
