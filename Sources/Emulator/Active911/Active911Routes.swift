/// Active911Routes.swift: the Active911 Member Management API and its token service
/// (VENDORS.md §4), under `/active911`. Every response is
/// `{"success", "result", "message", "code", "token"}`; a call with an expired (or no)
/// access token but a valid `a911Auth` cookie is served and carries a fresh `token`; a
/// valid access token alone is enough (the cookie is optional).
import Foundation
import Hummingbird

enum Active911Routes {
    /// How long an access token lives.
    static let accessTokenLifetime: TimeInterval = 3600

    static func add(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        group.post("v1/authenticate") { request, _ in
            var request = request
            guard let body = await object(&request, world), let email = body["email"]?.string,
                  let password = body["password"]?.string else {
                return envelope(nil, success: false, message: "email and password are required", code: 400)
            }
            guard email == Active911API.email, password == Active911API.password else {
                return envelope(nil, success: false, message: "invalid email or password", code: 401)
            }
            return envelope(["token": Active911API.refreshToken])
        }
        group.get("v2/agencies") { request, _ in
            served(request, world) { state in
                // The vendor lists each agency "along with details of each agency member".
                (state.agencies.map { ["name": $0.name, "id": $0.id, "members": $0.members.map(\.json)] }, nil)
            }
        }
        group.post("v2/agency/:agency/member/create") { request, context in
            var request = request
            let body = await object(&request, world)
            return served(request, world) { state in
                guard let agency = agency(context, in: state) else { return (nil, (404, "agency not found")) }
                switch member(from: body, state: &state) {
                case .failure(let problem): return (nil, (400, problem.message))
                case .success(let member):
                    state.agencies[agency].members.append(member)
                    return ([member.json], nil)
                }
            }
        }
        group.post("v2/agency/:agency/member/bulk_create") { request, context in
            var request = request
            let body = await object(&request, world)
            return served(request, world) { state in
                guard let agency = agency(context, in: state) else { return (nil, (404, "agency not found")) }
                guard let list = body?["members"]?.array, !list.isEmpty else {
                    return (nil, (400, "members must be a non-empty list"))
                }
                var created: [Active911Member] = []
                for (offset, entry) in list.enumerated() {
                    switch member(from: entry, state: &state) {
                    case .failure(let problem): return (nil, (400, "member #\(offset + 1): \(problem.message)"))
                    case .success(let member): created.append(member)
                    }
                }
                state.agencies[agency].members += created
                return (created.map(\.json), nil)
            }
        }
        group.delete("v2/agency/:agency/member/:member") { request, context in
            served(request, world) { state in
                guard let agency = agency(context, in: state) else { return (nil, (404, "agency not found")) }
                guard let id = context.parameters.get("member", as: Int.self),
                      let index = state.agencies[agency].members.firstIndex(where: { $0.id == id }) else {
                    return (nil, (404, "member not found"))
                }
                state.agencies[agency].members.remove(at: index)
                return ([String: Any](), nil)
            }
        }
    }

    /// The index of the path's `{agency}`.
    private static func agency(_ context: BasicRequestContext, in state: Active911State) -> Int? {
        state.agencies.firstIndex { $0.id == context.parameters.get("agency") }
    }

    struct Problem: Error {
        var message: String
    }

    private static func member(from body: JSONValue?, state: inout Active911State) -> Result<Active911Member, Problem> {
        guard let body, let name = body["name"]?.string, !name.isEmpty,
              let email = body["email"]?.string, email.contains("@") else {
            return .failure(Problem(message: "name and a valid email are required"))
        }
        if let phone = body["phone"], phone.string == nil { return .failure(Problem(message: "phone must be a string")) }
        let listed = body["permissions"]?.array ?? []
        let permissions = listed.compactMap(\.string)
        guard permissions.count == listed.count, body["permissions"] == nil || body["permissions"]?.array != nil else {
            return .failure(Problem(message: "permissions must be a list of strings"))
        }
        if let unknown = permissions.first(where: { !Active911State.knownPermissions.contains($0) }) {
            return .failure(Problem(message: "unknown permission \(unknown)"))
        }
        defer { state.nextMemberID += 1 }
        return .success(Active911Member(id: state.nextMemberID, name: name, email: email, phone: body["phone"]?.string ?? "", permissions: permissions))
    }

    /// Checks the credentials and the rate limit, runs `body` on the state, and wraps its
    /// result (or failure) in the envelope, adopting a fresh access token when due.
    private static func served(
        _ request: Request, _ world: EmulatorWorld,
        _ body: (inout Active911State) -> (Any?, (Int, String)?)
    ) -> Response {
        // The access token authenticates; the a911Auth cookie is optional and only lets an
        // expired (or absent) access token be refreshed.
        let refresh = cookie("a911Auth", in: request)
        if let refresh, refresh != Active911API.refreshToken {
            return envelope(nil, success: false, message: "invalid a911Auth cookie", code: 401)
        }
        let access = request.headers[.authorization].flatMap { $0.hasPrefix("a911Access ") ? String($0.dropFirst(11)) : nil }
        let now = Date()
        let nowMilliseconds = Int64(now.timeIntervalSince1970 * 1000)
        let accessIsValid = world[Active911API.self].withLock { state in
            access.flatMap { state.accessTokens[$0] }.map { $0 > nowMilliseconds } ?? false
        }
        guard accessIsValid || refresh != nil else {
            let problem = access == nil ? "missing access token" : "invalid or expired access token"
            return envelope(nil, success: false, message: problem + " (send a911Auth to refresh it)", code: 401)
        }
        // Every token here belongs to the one demo account, whose limit is shared.
        let account = Active911API.refreshToken
        let limit = world.configuration.rateLimit(Active911API.self) ?? RateLimit(requests: .max, window: .seconds(1))
        return world[Active911API.self].withLock { state in
            let window = TimeInterval(limit.window.components.seconds) + TimeInterval(limit.window.components.attoseconds) / 1e18
            var recent = (state.recentRequests[account] ?? []).filter { now.timeIntervalSince($0) < window }
            guard recent.count < limit.requests else {
                let wait = max(1, Int((window - now.timeIntervalSince(recent[0])).rounded(.up)))
                var response = envelope(nil, success: false, message: "rate limit exceeded: \(limit.requests) requests per window", code: 429)
                response.headers[.retryAfter] = String(wait)
                return response
            }
            recent.append(now)
            state.recentRequests[account] = recent

            var token: String?
            if !accessIsValid {
                state.tokensIssued += 1
                let expiry = nowMilliseconds + Int64(accessTokenLifetime * 1000)
                let issued = makeAccessToken(number: state.tokensIssued, issuedAt: Int64(now.timeIntervalSince1970), expiresAt: expiry)
                state.accessTokens[issued] = expiry
                token = issued
            }
            let (result, failure) = body(&state)
            if let (code, message) = failure {
                return envelope(nil, success: false, message: message, code: code, token: token)
            }
            return envelope(result, token: token)
        }
    }

    /// A JWT-shaped access token whose `exp` is in milliseconds and `iat` in seconds, as
    /// the vendor's are.
    static func makeAccessToken(number: Int, issuedAt: Int64, expiresAt: Int64) -> String {
        func part(_ object: [String: Any]) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return part(["alg": "HS256", "typ": "JWT"]) + "." + part(["sub": number, "iat": issuedAt, "exp": expiresAt]) + ".emulator"
    }

    /// The control API's hook: every access token expires now.
    static func expireAccessTokens(world: EmulatorWorld) {
        world[Active911API.self].withLock { state in
            for token in state.accessTokens.keys { state.accessTokens[token] = 0 }
        }
    }

    static func envelope(_ result: Any?, success: Bool = true, message: String = "", code: Int = 200, token: String? = nil) -> Response {
        Reply.object(
            ["success": success, "result": result ?? NSNull(), "message": message, "code": code, "token": token ?? NSNull()],
            status: .init(code: success ? 200 : code))
    }

    private static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2, parts[0] == name { return parts[1] }
            }
        }
        return nil
    }

    private static func object(_ request: inout Request, _ world: EmulatorWorld) async -> JSONValue? {
        guard let data = await request.bodyData(limit: world.configuration.maximumBodySize),
              let value = JSONValue.parse(data), value.isObject else { return nil }
        return value
    }
}
