/// EmulatorClient.swift: a small HTTP client for the emulator tests (on loopback), and an
/// Activeconnect request signer written from VENDORS.md.
import Emulator
import Engine
import Foundation
import TestSupport

/// One HTTP exchange's outcome.
struct Reply: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as JSON.
    var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
}

struct EmulatorClient: Sendable {
    let emulator: RunningEmulator

    /// Sends a request to `path` (which includes the vendor prefix).
    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil) async throws -> Reply {
        let reply = try await TestHTTP.send(method, emulator.origin + path, headers: headers, body: body)
        return Reply(status: reply.status, headers: reply.headers, body: reply.body)
    }

    func json(_ value: Any) -> Data { try! JSONSerialization.data(withJSONObject: value) }

    // MARK: Activeconnect

    /// Signs like the official client: the URL without its scheme, as sent.
    func activeconnect(
        _ method: String, _ path: String, body: Any? = nil, app: String = ActiveconnectAPI.applicationID,
        secret: String = ActiveconnectAPI.applicationSecret, timestamp: Int = Int(Date().timeIntervalSince1970),
        nonce: String = String(UInt64.random(in: 0...UInt64.max))
    ) async throws -> Reply {
        let fullPath = "/activeconnect/management/" + path
        let url = "\(emulator.host):\(emulator.port)" + fullPath
        let signature = ActiveconnectSignature.signature(nonce: nonce, secret: secret, url: url, timestamp: String(timestamp))
        return try await send(method, fullPath, headers: [
            "Authentication": "hmac \(app):\(nonce):\(signature)",
            "X-Sonikpass-Authentication-Timestamp": String(timestamp),
            "X-Sonikpass-Authentication-Version": "1",
        ], body: body.map(json))
    }

    // MARK: Encore

    func encore(_ method: String, _ path: String, body: Any? = nil, key: String? = EncoreAPI.subscriptionKey) async throws -> Reply {
        var headers: [String: String] = [:]
        if let key { headers["Ocp-Apim-Subscription-Key"] = key }
        return try await send(method, "/encore/users/v1/" + path, headers: headers, body: body.map(json))
    }
}

extension EmulatorClient {
    func guardant(_ method: String, _ path: String, body: Any? = nil, token: String? = GuardantAPI.token) async throws -> Reply {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer " + token }
        return try await send(method, "/guardant/v1.0/" + path, headers: headers, body: body.map(json))
    }

    func active911(
        _ method: String, _ path: String, body: Any? = nil, access: String? = nil,
        refresh: String? = Active911API.refreshToken
    ) async throws -> Reply {
        var headers: [String: String] = [:]
        if let access { headers["Authorization"] = "a911Access " + access }
        if let refresh { headers["Cookie"] = "a911Auth=" + refresh }
        return try await send(method, "/active911/" + path, headers: headers, body: body.map(json))
    }

    /// Query parameters for GET; a form body otherwise (lists as JSON strings).
    func allthenticate(_ method: String, _ path: String, _ parameters: [String: String] = [:], key: String? = AllthenticateAPI.apiKey) async throws -> Reply {
        var headers: [String: String] = [:]
        if let key { headers["Authorization"] = "Bearer " + key }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = parameters.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        if method == "GET" {
            return try await send(method, "/allthenticate/" + path + (encoded.isEmpty ? "" : "?" + encoded), headers: headers)
        }
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return try await send(method, "/allthenticate/" + path, headers: headers, body: Data(encoded.utf8))
    }
}

/// Starts an emulator for one test and stops it afterwards.
func withEmulator<T>(
    _ configuration: EmulatorConfiguration = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs), _ body: (EmulatorClient) async throws -> T
) async throws -> T {
    let emulator = try await Emulator.start(configuration)
    do {
        let result = try await body(EmulatorClient(emulator: emulator))
        await emulator.stop()
        return result
    } catch {
        await emulator.stop()
        throw error
    }
}
