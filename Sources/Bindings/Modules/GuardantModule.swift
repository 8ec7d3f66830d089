/// GuardantModule.swift: `guardant.*` — users of the Guardant vendor portal.
import LuaHost
import Vendors

enum GuardantModule {
    static let summary = "Guardant (Aktiv) vendor portal: users and roles. Roles: 1 Administrator, 2 Supervisor, 3 Product manager, 4 Sales manager, 5 Developer."

    static func lua(_ role: GuardantUser.Role) -> LuaValue {
        .table(LuaTable(["id": .integer(Int64(role.id)), "name": VendorAnswer.string(role.name)]))
    }

    static func lua(_ user: GuardantUser) -> LuaValue {
        .table(LuaTable([
            "id": .integer(Int64(user.id)),
            "email": VendorAnswer.string(user.email),
            "confirmed": VendorAnswer.boolean(user.confirmed),
            "active": VendorAnswer.boolean(user.status),
            "first_name": VendorAnswer.string(user.details?.firstName),
            "last_name": VendorAnswer.string(user.details?.lastName),
            "archived": VendorAnswer.boolean(user.details?.archived),
            "role": user.details?.role.map(lua) ?? .nil,
        ]))
    }

    static let userResult = LuaResult("GuardantUser", doc: "{id = integer, email = string, confirmed = boolean, active = boolean, first_name = string, last_name = string, archived = boolean, role = {id = integer, name = string}}")
    static let newUserFields = ["username", "role_id", "password", "first_name", "last_name", "company_name", "phone"]
    static let changeFields = ["role_id", "first_name", "last_name", "active", "archived"]

    static let operations: [VendorOperation] = [
        VendorOperation(.guardant, "list_users", "Every user (all pages).", effect: .read,
                        parameters: [LuaParameter("options", .table, optional: true, doc: "{archived = boolean (only archived, or only current), sort = string (default \"name\"), direction = \"asc\"|\"desc\"}")],
                        result: LuaResult("GuardantUser[]", doc: "the users")) { call, session in
            let options = try NamedFields(call, 1, label: "options", known: ["archived", "sort", "direction"])
            let archived = try options.boolean("archived")
            let sort = try options.string("sort") ?? "name"
            let direction = try options.string("direction") ?? "asc"
            guard direction == "asc" || direction == "desc" else {
                throw LuaError("argument #1 (options) field direction must be \"asc\" or \"desc\", got \"\(direction)\"")
            }
            let client = try session.client(session.guardant, .guardant)
            return PreparedCall(arguments: arguments(["archived": archived.map(JSONValue.bool), "sort": .text(sort), "direction": .text(direction)])) { () async throws(VendorError) in
                VendorAnswer.list(try await client.listUsers(archived: archived, sortBy: sort, descending: direction == "desc").map(lua))
            }
        },
        VendorOperation(.guardant, "list_roles", "The roles a user can have.", effect: .read,
                        result: LuaResult("{id: integer, name: string}[]", doc: "the roles")) { _, session in
            let client = try session.client(session.guardant, .guardant)
            return PreparedCall(arguments: []) { () async throws(VendorError) in VendorAnswer.list(try await client.listRoles().map(lua)) }
        },
        VendorOperation(.guardant, "create_user", "Creates a portal user (the password is confirmed for you).", effect: .write,
                        parameters: [LuaParameter("fields", .table, doc: "{username = string (an email), role_id = integer, password = string, first_name = string, last_name = string, company_name = string, phone = string}")],
                        result: userResult) { call, session in
            let fields = try NamedFields(call, 1, label: "fields", known: newUserFields)
            let user = GuardantNewUser(username: try fields.requiredString("username"), roleId: try fields.requiredInteger("role_id"),
                                       password: try fields.requiredString("password"), firstName: try fields.string("first_name"),
                                       lastName: try fields.string("last_name"), companyName: try fields.string("company_name"),
                                       phone: try fields.string("phone"))
            let client = try session.client(session.guardant, .guardant)
            return PreparedCall(arguments: arguments([
                "username": .text(user.username), "role_id": .int(user.roleId), "password": .string("<redacted>"),
                "first_name": .text(user.firstName), "last_name": .text(user.lastName), "company_name": .text(user.companyName),
                "phone": .text(user.phone),
            ])) { () async throws(VendorError) in lua(try await client.createUser(user)) }
        },
        VendorOperation(.guardant, "update_user", "Changes a user: role, name, active, archived (any subset).", effect: .write,
                        parameters: [
                            LuaParameter("id", .integer, doc: "the user's id"),
                            LuaParameter("changes", .table, doc: "{role_id = integer, first_name = string, last_name = string, active = boolean, archived = boolean}"),
                        ],
                        result: userResult) { call, session in
            let id = call.int(1)
            let fields = try NamedFields(call, 2, label: "changes", known: changeFields)
            let changes = GuardantUserChanges(roleId: try fields.integer("role_id"), firstName: try fields.string("first_name"),
                                              lastName: try fields.string("last_name"), userIsActive: try fields.boolean("active"),
                                              archived: try fields.boolean("archived"))
            let client = try session.client(session.guardant, .guardant)
            return PreparedCall(arguments: arguments([
                "id": .int(id), "role_id": changes.roleId.map(JSONValue.int), "first_name": .text(changes.firstName),
                "last_name": .text(changes.lastName), "active": changes.userIsActive.map(JSONValue.bool), "archived": changes.archived.map(JSONValue.bool),
            ])) { () async throws(VendorError) in lua(try await client.updateUser(id, changes)) }
        },
    ]
}
