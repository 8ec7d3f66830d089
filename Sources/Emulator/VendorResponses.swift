/// VendorResponses.swift: building responses, reading requests, and the 404 of a path no
/// vendor route has, in that vendor's own error shape.
import Foundation
import Hummingbird

/// JSON and plain-text responses.
public enum Reply {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// `value` encoded as JSON.
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        return bytes(data, status: status, contentType: "application/json; charset=utf-8")
    }

    /// A JSON object built from loosely typed values (for shapes Codable spells awkwardly).
    public static func object(_ value: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return bytes(data, status: status, contentType: "application/json; charset=utf-8")
    }

    public static func text(_ text: String, status: HTTPResponse.Status) -> Response {
        bytes(Data(text.utf8), status: status, contentType: "text/plain; charset=utf-8")
    }

    public static func empty(_ status: HTTPResponse.Status) -> Response {
        Response(status: status)
    }

    private static func bytes(_ data: Data, status: HTTPResponse.Status, contentType: String) -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Request {
    /// The body, or nil when it is larger than `limit`.
    public mutating func bodyData(limit: Int) async -> Data? {
        guard let buffer = try? await collectBody(upTo: limit) else { return nil }
        return Data(buffer.readableBytesView)
    }

    /// A query parameter, percent-decoded.
    public func query(_ name: String) -> String? {
        uri.queryParameters.get(name)
    }
}

/// A request the router has no route for (or not with this method) gets a 404 in the shape
/// of the vendor whose prefix it is under.
struct UnknownPathMiddleware<Context: RequestContext>: RouterMiddleware {
    let world: EmulatorWorld

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            let first = request.uri.path.split(separator: "/").first.map(String.init) ?? ""
            guard let api = world.api(named: first) else { throw error }
            return api.refusal(status: 404, reason: "no such endpoint: \(request.method) \(request.uri.path)")
        }
    }
}
