/// EncoreRoutes.swift: the Actsoft Encore Users API (VENDORS.md §2), under `/encore`.
/// Errors are JSON arrays of `{"Code", "Message"}`; an empty list is 204 with no body.
import Foundation
import Hummingbird

enum EncoreRoutes {
    static func add(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        group.get("users/v1/users") { request, _ in
            if let refusal = authenticate(request) { return refusal }
            let number = request.query("pageNumber").map { Int($0) } ?? 1
            let size = request.query("pageSize").map { Int($0) } ?? 500
            guard let number, let size, number >= 1, size >= 1 else { return issues([.invalidFormat]) }
            let page: [EncoreUser] = world[EncoreAPI.self].withLock { state in
                let start = (number - 1) * size
                guard start < state.users.count else { return [] }
                return state.users[start..<min(start + size, state.users.count)].map(\.read)
            }
            return page.isEmpty ? Reply.empty(.noContent) : Reply.json(page)
        }
        group.get("users/v1/users/:id") { request, context in
            try await withUser(request, context, world) { _, index in
                Reply.json(world[EncoreAPI.self].withLock { $0.users[index].read })
            }
        }
        group.post("users/v1/users") { request, _ in
            if let refusal = authenticate(request) { return refusal }
            var request = request
            guard let user = await decodeUser(&request, world) else { return issues([.invalidFormat]) }
            return world[EncoreAPI.self].withLock { state in
                let problems = validate(user, creating: true, replacing: nil, in: state)
                guard problems.isEmpty else { return issues(problems) }
                var created = user
                created.userId = state.nextId
                created.isActive = user.isActive ?? true
                state.nextId += 1
                state.append(created)
                return Reply.json(["Id": created.userId!], status: .created)
            }
        }
        group.patch("users/v1/users/:id") { request, context in
            try await withUser(request, context, world) { request, index in
                guard let change = await decodeUser(&request, world) else { return issues([.invalidFormat]) }
                return save(world, at: index, asReplacement: false) { user in user.apply(change) }
            }
        }
        group.put("users/v1/users/:id") { request, context in
            try await withUser(request, context, world) { request, index in
                guard let replacement = await decodeUser(&request, world) else { return issues([.invalidFormat]) }
                return save(world, at: index, asReplacement: true) { user in
                    // A replacement keeps the id, and the password and state when not given.
                    var new = replacement
                    new.userId = user.userId
                    new.password = replacement.password ?? user.password
                    new.isActive = replacement.isActive ?? user.isActive
                    user = new
                }
            }
        }
        group.put("users/v1/users/:id/active") { request, context in
            try await withUser(request, context, world) { _, index in
                world[EncoreAPI.self].withLock { state in
                    state.setActive(true, at: index)
                    return Reply.json(["Id": state.users[index].userId!])
                }
            }
        }
        group.delete("users/v1/users/:id/active") { request, context in
            try await withUser(request, context, world) { _, index in
                world[EncoreAPI.self].withLock { state in
                    guard state.users[index].isActive == true else { return issues([.alreadyDeactivated]) }
                    state.setActive(false, at: index)
                    return Reply.empty(.ok)
                }
            }
        }
    }

    /// Azure API Management's answer to a missing or wrong subscription key.
    private struct Unauthorized: Encodable {
        var statusCode = 401
        var message = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
    }

    private static func authenticate(_ request: Request) -> Response? {
        guard request.headers[.init("Ocp-Apim-Subscription-Key")!] == EncoreAPI.subscriptionKey else {
            return Reply.json(Unauthorized(), status: .unauthorized)
        }
        return nil
    }

    private static func issues(_ issues: [EncoreIssue], status: HTTPResponse.Status = .badRequest) -> Response {
        Reply.json(issues, status: status)
    }

    private static func decodeUser(_ request: inout Request, _ world: EmulatorWorld) async -> EncoreUser? {
        guard let data = await request.bodyData(limit: world.configuration.maximumBodySize) else { return nil }
        return try? JSONDecoder().decode(EncoreUser.self, from: data)
    }

    /// Resolves `{id}` with `use-external-id` (query or header), then runs `body`.
    private static func withUser(
        _ request: Request, _ context: BasicRequestContext, _ world: EmulatorWorld,
        _ body: (inout Request, Int) async throws -> Response
    ) async throws -> Response {
        if let refusal = authenticate(request) { return refusal }
        guard let flag = request.query("use-external-id") ?? request.headers[.init("use-external-id")!],
              let external = Bool(flag.lowercased()) else {
            return issues([.externalFlagMissing])
        }
        let id = context.parameters.get("id")?.removingPercentEncoding ?? ""
        if external && id.isEmpty { return issues([.externalIdEmpty]) }
        if !external && Int(id) == nil { return issues([.internalIdNotNumeric]) }
        guard let index = world[EncoreAPI.self].withLock({ $0.index(of: id, external: external) }) else {
            return issues([.notFound], status: .notFound)
        }
        var request = request
        return try await body(&request, index)
    }

    /// Applies `change` to the user at `index` and keeps it if it is valid (a replacement
    /// is checked like a create): `{"Id"}` or the error codes.
    private static func save(_ world: EmulatorWorld, at index: Int, asReplacement: Bool, _ change: (inout EncoreUser) -> Void) -> Response {
        world[EncoreAPI.self].withLock { state in
            var user = state.users[index]
            change(&user)
            let problems = validate(user, creating: asReplacement, replacing: index, in: state)
            guard problems.isEmpty else { return issues(problems) }
            state.replace(at: index, with: user)
            return Reply.json(["Id": user.userId!])
        }
    }

    /// The codes a create or replace (or the result of a patch) would fail with.
    private static func validate(_ user: EncoreUser, creating: Bool, replacing index: Int?, in state: EncoreState) -> [EncoreIssue] {
        var problems: [EncoreIssue] = []
        let name = user.userName?.lowercased()
        if (name ?? "").isEmpty {
            problems.append(.userNameRequired)
        } else if let name, state.nameTaken(name, except: index) {
            problems.append(.userNameExists)
        }
        if creating && (user.password ?? "").isEmpty { problems.append(.passwordRequired) }
        if let number = user.employeeNumber, !number.isEmpty,
           state.users.indices.contains(where: { $0 != index && state.users[$0].employeeNumber == number }) {
            problems.append(.employeeNumberExists)
        }
        if let email = user.email, !email.isEmpty, !email.contains("@") || email.hasPrefix("@") || email.hasSuffix("@") {
            problems.append(.emailFormat)
        }
        if let role = user.roleId, ![1, 3, 5].contains(role) { problems.append(.roleNotFound) }
        switch user.licenseType {
        case nil: if creating { problems.append(.licenseTypeRequired) }
        case let type?: if !(0...3).contains(type) { problems.append(.invalidLicenseType) }
        }
        return problems
    }
}
