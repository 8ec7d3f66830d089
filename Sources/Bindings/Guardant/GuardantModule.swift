/// GuardantModule.swift: `guardant.*` — users of the Guardant vendor portal.
import LuaHost
import Vendors

/// The `guardant` module.
public enum GuardantModule: VendorModule {
    public static let vendor = Vendor.guardant
    public static let summary = "Guardant (Aktiv) vendor portal: users and roles. Roles: 1 Administrator, 2 Supervisor, 3 Product manager, 4 Sales manager, 5 Developer."

    static let role = LuaShape("GuardantRole", [
        LuaField("id", .integer, optional: false, wire: "_id", doc: "the role's id"),
        LuaField("name", .string, wire: "nameeng", doc: "the role's English name"),
    ])

    /// A portal user as the portal answers (lowercase keys, details nested).
    static let user = LuaShape("GuardantUser", [
        LuaField("id", .integer, optional: false, wire: "_id", doc: "the user's id"),
        LuaField("email", .string, doc: "login email"),
        LuaField("confirmed", .boolean, doc: "email confirmed"),
        LuaField("active", .boolean, wire: "status", doc: "active"),
        LuaField("first_name", .string, wire: "userdetails.firstname", doc: "first name"),
        LuaField("last_name", .string, wire: "userdetails.lastname", doc: "last name"),
        LuaField("archived", .boolean, wire: "userdetails.archived", doc: "archived"),
        LuaField("role", .shape(role), wire: "userdetails.role", doc: "the role"),
    ])

    static let newUser = LuaShape([
        LuaField("username", .string, optional: false, doc: "login email"),
        LuaField("role_id", .integer, optional: false, doc: "the role's id"),
        LuaField("password", .string, optional: false, redacted: true, doc: "password (confirmed for you)"),
    ] + names + [LuaField("company_name", .string, doc: "company"), LuaField("phone", .string, doc: "phone")])

    /// What `update_user` may change.
    static let changes = LuaShape([LuaField("role_id", .integer, doc: "the role's id")] + names + [
        LuaField("active", .boolean, doc: "active"), LuaField("archived", .boolean, doc: "archived"),
    ])

    static let names = [LuaField("first_name", .string, doc: "first name"), LuaField("last_name", .string, doc: "last name")]

    static let listOptions = LuaShape([
        LuaField("archived", .boolean, doc: "only archived users (true), or only current ones (false)"),
        LuaField("sort", .string, doc: "the portal's sort field (default \"name\")"),
        LuaField("direction", .choice(["asc", "desc"]), doc: "sort direction (default \"asc\")"),
    ])

    /// The user's fields that `update_user` was given, as it takes them (null: no such user).
    @Sendable static func changeable(_ facts: ChangeFacts, _ client: GuardantClient) async throws(VendorError) -> JSONValue {
        guard case .object(let changed)? = facts.argument("changes"), let id = facts.argument("id")?.int,
              let record = try await client.listUsers().first(where: { $0["_id"]?.int == id }),
              case .object(var fields)? = user.state(fromWire: record, keeping: changed.keys.filter { $0 != "role_id" } + ["role"])
        else { return .null }
        if changed["role_id"] != nil { fields["role_id"] = fields["role"]?["id"] ?? .null }
        fields["role"] = nil
        return .object(fields)
    }

    public static let operations: [VendorOperation] = [
        .read(GuardantClient.self, "list_users", "Every user (all pages).",
              parameters: [LuaParameter("options", form: .shape(listOptions), optional: true, doc: "which users, in which order")],
              result: LuaResult(.list(.shape(user)), doc: "the users")) { arguments in
            let options = arguments.fields("options")
            let archived = options?.bool("archived"), sort = options?.string("sort") ?? "name"
            let descending = options?.string("direction") == "desc"
            return { client async throws(VendorError) in
                .pages(try await client.userPages(archived: archived, sortBy: sort, descending: descending), itemsAt: "users")
            }
        },
        .read(GuardantClient.self, "list_roles", "The roles a user can have.", result: LuaResult(.list(.shape(role)), doc: "the roles")) { _ in
            { client async throws(VendorError) in .pages([try await client.roleList()], itemsAt: "roles") }
        },
        VendorOperation(GuardantClient.self, "create_user", "Creates a portal user (the password is confirmed for you).", effect: .write,
                        parameters: [LuaParameter("fields", form: .shape(newUser), doc: "the new user")],
                        result: LuaResult(.shape(user), doc: "the user created"),
                        semantics: ChangeSemantics(identity: ["fields.username"]),
                        ifUnknown: .check { arguments, client async throws(VendorError) in
                            let email = arguments.fields("fields")?.string("username")?.lowercased()
                            let user = try await client.listUsers().first { $0["email"]?.string?.lowercased() == email }
                            return user.map(Reconciliation.applied) ?? .notApplied
                        },
                        undo: .impossible("Guardant has no delete (archive the user with update_user)")) { arguments in
            let fields = arguments.fields("fields") ?? CheckedTable(LuaTable())
            let user = GuardantNewUser(username: fields.text("username"), roleId: fields.int("role_id") ?? 0, password: fields.text("password"),
                                       firstName: fields.string("first_name"), lastName: fields.string("last_name"),
                                       companyName: fields.string("company_name"), phone: fields.string("phone"))
            return { client async throws(VendorError) in try await client.createUser(user) }
        },
        VendorOperation(GuardantClient.self, "update_user", "Changes a user: role, name, active, archived (any subset).", effect: .write,
                        parameters: [LuaParameter("id", .integer, doc: "the user's id"),
                                     LuaParameter("changes", form: .shape(changes), doc: "what to change")],
                        result: LuaResult(.shape(user), doc: "the user as changed"),
                        semantics: ChangeSemantics(identity: ["id", "changes"]), ifUnknown: .resend,
                        undo: .reverse(.restoring(changeable, left: { $0.argument("changes") }) { facts in
                            guard case .object(let before)? = facts.before else { return [] }
                            var arguments = facts.passing("id")
                            arguments["changes"] = .object(before.filter { $0.value != .null })
                            return [InverseCall("update_user", arguments)]
                        })) { arguments in
            let id = arguments.int("id") ?? 0
            let fields = arguments.fields("changes") ?? CheckedTable(LuaTable())
            let changes = GuardantUserChanges(roleId: fields.int("role_id"), firstName: fields.string("first_name"),
                                              lastName: fields.string("last_name"), userIsActive: fields.bool("active"),
                                              archived: fields.bool("archived"))
            return { client async throws(VendorError) in try await client.updateUser(id, changes) }
        },
    ]
}
