/// ActiveconnectRoutes.swift: the Activeconnect Management API (VENDORS.md §1), under
/// `/activeconnect`. Logical failures are HTTP 200 with `{"status": false, "reason"}`;
/// an unknown application or user is 404 with a plain-text body; bad signatures are 401.
import Foundation
import Hummingbird

enum ActiveconnectRoutes {
    static let prefix = "/activeconnect"

    private struct UsersBody: Decodable {
        var users: [String]
    }

    /// Every JSON body the API answers with; absent fields are left out.
    private struct Answer: Encodable {
        struct Users: Encodable {
            var created: [String]
            var existing: [String]
        }

        var status: Bool
        var reason: String?
        var users: Users?
        var register_url: String?
        var device_registered: Bool?

        static func failure(_ reason: String) -> Response { Reply.json(Answer(status: false, reason: reason)) }
    }

    private struct SMSBody: Decodable {
        var phone_number: String
        var display_name: String?
        var message: String?
    }

    static func add(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        group.post("management/add_users/:app") { request, context in
            try await handle(request, context, world) { request, app in
                guard let body = await decode(UsersBody.self, from: &request, world) else { return badRequest }
                return world[ActiveconnectAPI.self].withLock { state in
                    var created: [String] = [], existing: [String] = []
                    for user in body.users {
                        if state.applications[app]?.users[user] != nil {
                            existing.append(user)
                        } else {
                            state.applications[app]?.users[user] = ActiveconnectUser()
                            created.append(user)
                        }
                    }
                    return Reply.json(Answer(status: true, users: .init(created: created, existing: existing)), status: .created)
                }
            }
        }
        group.post("management/delete_users/:app") { request, context in
            try await handle(request, context, world) { request, app in
                guard let body = await decode(UsersBody.self, from: &request, world) else { return badRequest }
                return world[ActiveconnectAPI.self].withLock { state in
                    let unknown = body.users.filter { state.applications[app]?.users[$0] == nil }
                    guard unknown.isEmpty else {
                        return Answer.failure("unknown users: \(unknown.joined(separator: ", "))")
                    }
                    for user in body.users { state.applications[app]?.users[user] = nil }
                    return Reply.json(Answer(status: true))
                }
            }
        }
        group.get("management/device_registration_link/:app/:user") { request, context in
            try await handleUser(request, context, world) { _, app, user in
                world[ActiveconnectAPI.self].withLock { state in
                    let link = issueLink(&state, app: app, user: user, world: world)
                    return Reply.json(Answer(status: true, register_url: link))
                }
            }
        }
        group.get("management/has_registered_mobile_device/:app/:user") { request, context in
            try await handleUser(request, context, world) { _, app, user in
                let registered = world[ActiveconnectAPI.self].withLock { $0.applications[app]?.users[user]?.registeredDevice ?? false }
                return Reply.json(Answer(status: true, device_registered: registered))
            }
        }
        group.get("management/lost_user_mobile_device/:app/:user") { request, context in
            try await handleUser(request, context, world) { _, app, user in
                world[ActiveconnectAPI.self].withLock { state in
                    guard state.applications[app]?.users[user]?.registeredDevice == true else {
                        return Answer.failure("the user has no registered device")
                    }
                    state.applications[app]?.users[user]?.registeredDevice = false
                    state.applications[app]?.users[user]?.disabledDevices += 1
                    let link = issueLink(&state, app: app, user: user, world: world)
                    return Reply.json(Answer(status: true, register_url: link))
                }
            }
        }
        group.post("management/send_registration_sms/:app/:user") { request, context in
            try await handleUser(request, context, world) { request, app, user in
                guard let body = await decode(SMSBody.self, from: &request, world) else { return badRequest }
                let digits = body.phone_number.dropFirst()
                guard body.phone_number.hasPrefix("+"), digits.count >= 7, digits.allSatisfy(\.isNumber) else {
                    return Answer.failure("invalid phone number: \(body.phone_number)")
                }
                world[ActiveconnectAPI.self].withLock { $0.applications[app]?.users[user]?.smsSent.append(body.phone_number) }
                return Reply.json(Answer(status: true))
            }
        }
    }

    /// The control API's hook: the user's pending link is used, so a device is registered.
    static func registerDevice(world: EmulatorWorld, app: String, user: String) -> Bool {
        world[ActiveconnectAPI.self].withLock { state in
            guard let account = state.applications[app]?.users[user], account.pendingLink != nil else { return false }
            state.applications[app]?.users[user]?.pendingLink = nil
            state.applications[app]?.users[user]?.registeredDevice = true
            return true
        }
    }

    private static func issueLink(_ state: inout ActiveconnectState, app: String, user: String, world: EmulatorWorld) -> String {
        let count = (state.applications[app]?.users[user]?.linksIssued ?? 0) + 1
        let encodedUser = user.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? user
        let link = "\(world.origin)\(prefix)/register/\(app)/\(encodedUser)/\(count)"
        state.applications[app]?.users[user]?.linksIssued = count
        state.applications[app]?.users[user]?.pendingLink = link
        return link
    }

    private static let badRequest = Reply.text("Bad Request: the body is not the JSON this call takes", status: .badRequest)

    private static func decode<T: Decodable>(_ type: T.Type, from request: inout Request, _ world: EmulatorWorld) async -> T? {
        guard let data = await request.bodyData(limit: world.configuration.maximumBodySize) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }

    /// Verifies the signature, then runs `body` with the path's application.
    private static func handle(
        _ request: Request, _ context: BasicRequestContext, _ world: EmulatorWorld,
        _ body: (inout Request, String) async throws -> Response
    ) async throws -> Response {
        let app = context.parameters.get("app") ?? ""
        if let refusal = authenticate(request, app: app, world: world) { return refusal }
        var request = request
        return try await body(&request, app)
    }

    /// Like `handle`, for the calls about one user (unknown user: 404, plain text).
    private static func handleUser(
        _ request: Request, _ context: BasicRequestContext, _ world: EmulatorWorld,
        _ body: (inout Request, String, String) async throws -> Response
    ) async throws -> Response {
        try await handle(request, context, world) { request, app in
            let user = decodeUser(context.parameters.get("user") ?? "")
            let known = world[ActiveconnectAPI.self].withLock { $0.applications[app]?.users[user] != nil }
            guard known else { return Reply.text("User \(user) not found", status: .notFound) }
            return try await body(&request, app, user)
        }
    }

    /// `{user}` is URL-encoded with `+` for spaces.
    static func decodeUser(_ raw: String) -> String {
        raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw
    }

    /// nil when the request is signed by the application in its path; else the refusal.
    private static func authenticate(_ request: Request, app: String, world: EmulatorWorld) -> Response? {
        let unauthorized = { (why: String) in Reply.text("Unauthorized: \(why)", status: .unauthorized) }
        guard let value = request.headers[.init("Authentication")!], let header = ActiveconnectSignature.Header(value) else {
            return unauthorized("missing or malformed Authentication header")
        }
        guard request.headers[.init("X-Sonikpass-Authentication-Version")!] == "1" else {
            return unauthorized("X-Sonikpass-Authentication-Version must be 1")
        }
        guard let stamp = request.headers[.init("X-Sonikpass-Authentication-Timestamp")!], let seconds = TimeInterval(stamp),
              abs(Date().timeIntervalSince1970 - seconds) <= ActiveconnectSignature.timestampWindow else {
            return unauthorized("timestamp missing or more than 300 s from the server's clock")
        }
        guard header.applicationID == app else { return unauthorized("the signature is for another application") }
        guard let secret = world[ActiveconnectAPI.self].withLock({ $0.applications[app]?.secret }) else {
            return Reply.text("Application \(app) not found", status: .notFound)
        }
        let url = (request.head.authority ?? "") + (request.head.path ?? "")
        let expected = ActiveconnectSignature.signature(nonce: header.nonce, secret: secret, url: url, timestamp: stamp)
        guard ActiveconnectSignature.matches(expected, header.signature) else { return unauthorized("bad signature") }
        return nil
    }
}
