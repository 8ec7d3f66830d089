/// GuardantRoutes.swift: the Guardant vendor portal's Users API (VENDORS.md §3), under
/// `/guardant`. Errors are `{"code", "message"}` (assumed shape).
import Foundation
import Hummingbird

enum GuardantRoutes {
    static func add(to group: RouterGroup<BasicRequestContext>, world: EmulatorWorld) {
        group.get("v1.0/users") { request, _ in
            if let refusal = authenticate(request) { return refusal }
            let offset = request.query("offset").map { Int($0) } ?? 0
            let limit = request.query("limit").map { Int($0) } ?? 100
            let sortBy = request.query("sortby") ?? "name"
            let direction = request.query("direction") ?? "asc"
            let archived = request.query("archived")
            guard let offset, let limit, offset >= 0, (1...1000).contains(limit), sortBy == "name",
                  ["asc", "desc"].contains(direction), archived == nil || ["true", "false"].contains(archived!) else {
                return error(400, 1, "invalid paging, sorting or archived parameter")
            }
            let page: [[String: Any]] = world[GuardantAPI.self].withLock { state in
                var users = state.users.filter { archived == nil || $0.archived == (archived == "true") }
                users.sort { ($0.lastName, $0.firstName, $0.id) < ($1.lastName, $1.firstName, $1.id) }
                if direction == "desc" { users.reverse() }
                return users.dropFirst(offset).prefix(limit).map(\.json)
            }
            return Reply.object(["users": page])
        }
        group.get("v1.0/users/roles") { request, _ in
            if let refusal = authenticate(request) { return refusal }
            return Reply.object(["roles": GuardantRole.listed.map(\.json)])
        }
        group.post("v1.0/users") { request, _ in
            if let refusal = authenticate(request) { return refusal }
            var request = request
            guard let body = await object(&request, world) else { return error(400, 2, "the body is not a JSON object") }
            guard let username = body["username"]?.string, username.contains("@"),
                  let roleID = body["roleId"]?.int, let password = body["password"]?.string,
                  let confirmation = body["passwordConfirm"]?.string else {
                return error(400, 3, "username (an email), roleId, password and passwordConfirm are required")
            }
            guard password == confirmation else { return error(400, 4, "password and passwordConfirm differ") }
            guard password.count >= 8 else { return error(400, 5, "the password is too short") }
            guard GuardantRole.all.contains(where: { $0.id == roleID }) else { return error(400, 6, "role \(roleID) does not exist") }
            return world[GuardantAPI.self].withLock { state in
                guard !state.users.contains(where: { $0.email.lowercased() == username.lowercased() }) else {
                    return error(409, 7, "user \(username) already exists")
                }
                let user = GuardantUser(
                    id: state.nextID, detailsID: state.nextID + 1, email: username, password: password, confirmed: false,
                    active: true, firstName: body["firstName"]?.string ?? "", lastName: body["lastName"]?.string ?? "",
                    companyName: body["companyName"]?.string ?? "", phone: body["phone"]?.string ?? "",
                    archived: false, archivedAt: 0, roleID: roleID)
                state.nextID += 2
                state.users.append(user)
                return Reply.object(["user": user.json])
            }
        }
        group.put("v1.0/users/:id") { request, context in
            if let refusal = authenticate(request) { return refusal }
            guard let id = context.parameters.get("id", as: Int.self) else { return error(400, 8, "the user id is not a number") }
            var request = request
            guard let body = await object(&request, world) else { return error(400, 2, "the body is not a JSON object") }
            // The portal's own example sends userIsActive as the string "false".
            var active: Bool?
            switch body["userIsActive"] {
            case nil: active = nil
            case .bool(let flag): active = flag
            case .string(let text) where text == "true" || text == "false": active = text == "true"
            default: return error(400, 9, "userIsActive must be true or false")
            }
            if let role = body["roleId"], !GuardantRole.all.contains(where: { $0.id == role.int }) {
                return error(400, 6, "role \(role) does not exist")
            }
            for (field, value) in [("firstName", body["firstName"]), ("lastName", body["lastName"])] where value != nil && value?.string == nil {
                return error(400, 11, "\(field) must be a string")
            }
            if let archived = body["archived"], archived.bool == nil { return error(400, 12, "archived must be true or false") }
            return world[GuardantAPI.self].withLock { state in
                guard let index = state.users.firstIndex(where: { $0.id == id }) else { return error(404, 10, "user \(id) not found") }
                if let role = body["roleId"]?.int { state.users[index].roleID = role }
                if let first = body["firstName"]?.string { state.users[index].firstName = first }
                if let last = body["lastName"]?.string { state.users[index].lastName = last }
                if let active { state.users[index].active = active }
                if let archived = body["archived"]?.bool, archived != state.users[index].archived {
                    state.users[index].archived = archived
                    state.users[index].archivedAt = archived ? Int(Date().timeIntervalSince1970) : 0
                }
                return Reply.object(["user": state.users[index].json])
            }
        }
    }

    static func error(_ status: Int, _ code: Int, _ message: String) -> Response {
        Reply.object(["code": code, "message": message], status: .init(code: status))
    }

    private static func authenticate(_ request: Request) -> Response? {
        guard request.headers[.authorization] == "Bearer " + GuardantAPI.token else {
            return error(401, 401, "authorization required")
        }
        return nil
    }

    private static func object(_ request: inout Request, _ world: EmulatorWorld) async -> JSONValue? {
        guard let data = await request.bodyData(limit: world.configuration.maximumBodySize),
              let value = JSONValue.parse(data), value.isObject else { return nil }
        return value
    }
}
