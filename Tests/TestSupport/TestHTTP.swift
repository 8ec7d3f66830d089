/// TestHTTP.swift: the tests' own HTTP client, for talking to an emulator on loopback.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP exchange's outcome, as a test reads it.
public struct TestHTTPReply: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: Data

    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as JSON (nil when it is not).
    public var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
}

/// Requests from tests go through AsyncHTTPClient, not URLSession: on Linux, URLSession
/// watches libcurl's sockets with dispatch sources, and that pairing was seen to crash a
/// whole test process in libdispatch's event loop.
public enum TestHTTP {
    /// Sends `method url` with `headers` and `body`; the whole answer, within 30 s.
    public static func send(_ method: String, _ url: String, headers: [String: String] = [:],
                            body: Data? = nil) async throws -> TestHTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            if !request.headers.contains(name: "Content-Type") { request.headers.add(name: "Content-Type", value: "application/json") }
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        return TestHTTPReply(status: Int(response.status.code), headers: fields, body: Data(bytes.readableBytesView))
    }

    /// `GET url`.
    public static func get(_ url: String, headers: [String: String] = [:]) async throws -> TestHTTPReply {
        try await send("GET", url, headers: headers)
    }
}
