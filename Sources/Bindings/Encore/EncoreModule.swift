/// EncoreModule.swift: `encore.*` — Actsoft Encore users, with snake_case fields.
import LuaHost
import Vendors

/// The `encore` module.
public enum EncoreModule: VendorModule {
    public static let vendor = Vendor.encore
    public static let summary = "Actsoft Encore: users (snake_case fields; ids are InternalIds, or ExternalIds with {external = true})."

    /// A user: each field's Lua name, its PascalCase wire name, type and doc. Scripts pass
    /// it (create, update, replace) and get it back (get, list).
    static let user = LuaShape("EncoreUser", [
        LuaField("user_id", .integer, readOnly: true, wire: "UserId", doc: "the InternalId"),
        LuaField("user_name", .string, wire: "UserName", doc: "login name (unique)"),
        LuaField("password", .string, redacted: true, writeOnly: true, wire: "Password", doc: "password (write only)"),
        LuaField("group_name", .string, wire: "GroupName", doc: "group"),
        LuaField("first_name", .string, wire: "FirstName", doc: "first name"),
        LuaField("last_name", .string, wire: "LastName", doc: "last name"),
        LuaField("employee_number", .string, wire: "EmployeeNumber", doc: "employee number"),
        LuaField("email", .string, wire: "Email", doc: "email"),
        LuaField("phone", .string, wire: "Phone", doc: "phone"),
        LuaField("role_id", .integer, wire: "RoleId", doc: "1 Admin, 3 User, 5 Power User"),
        LuaField("is_active", .boolean, wire: "IsActive", doc: "active"),
        LuaField("eptt_enabled", .boolean, wire: "EPTTEnabled", doc: "push-to-talk enabled"),
        LuaField("eptt_number", .string, wire: "EPTTNumber", doc: "push-to-talk number"),
        LuaField("eptt_web_mdn", .string, wire: "EPTTWebMDN", doc: "push-to-talk web MDN"),
        LuaField("eptt_token", .string, wire: "EPTTToken", doc: "push-to-talk token"),
        LuaField("gps_enabled", .boolean, wire: "GPSEnabled", doc: "GPS enabled"),
        LuaField("mobile_only", .boolean, wire: "MobileOnly", doc: "mobile only"),
        LuaField("license_type", .integer, wire: "LicenseType", doc: "0 Undefined, 1 Regular, 2 WebOnly, 3 Employee"),
    ])

    static let id = LuaParameter("id", .integer, .string, doc: "the user's InternalId, or ExternalId (a string, or with {external = true})").inURLPath()
    static let idOptions = LuaParameter("options", form: .shape(LuaShape([
        LuaField("external", .boolean, doc: "id is an ExternalId (default: true when id is a string)"),
    ])), optional: true, doc: "how id is read")
    static let fields = LuaParameter("fields", form: .shape(user), doc: "the user's fields")
    static let internalID = LuaResult(.integer, doc: "the user's InternalId")

    /// The id argument, read with its {external =} option.
    static func userID(_ arguments: CheckedTable) throws -> EncoreUserID {
        let value = arguments["id"]
        let external = arguments.fields("options")?.bool("external") ?? (value.text != nil)
        if external {
            if let text = value.text { return .external(text) }
            return .external(String(value.integerValue ?? 0))
        }
        if let number = value.integerValue, let id = Int(exactly: number) { return .internal(id) }
        if let text = value.text, let id = Int(text) { return .internal(id) }
        throw LuaError("argument #1 (id) expected an integer InternalId when {external = false}, got '\(value.text ?? value.typeName)'")
    }

    /// Whether `id` is a string of digits read as an ExternalId only because it is a string
    /// (no `{external = true}`): most likely an InternalId from a CSV cell or an `--arg`,
    /// which are always strings.
    static func digitsReadAsExternal(_ arguments: CheckedTable, _ id: EncoreUserID) -> Bool {
        guard case .external(let text) = id, arguments.fields("options")?.bool("external") == nil else { return false }
        return !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Runs `call`; a user not found by an ExternalId of digits the script did not mark as
    /// one says how it was read, since `get_user(row.id)` with `row.id == "1001"` looks like
    /// a call for user 1001.
    static func lookingUp<Answer>(_ id: EncoreUserID, digitsReadAsExternal: Bool,
                                  _ call: () async throws(VendorError) -> Answer) async throws(VendorError) -> Answer {
        do { return try await call() } catch {
            guard digitsReadAsExternal, error.status == 404, case .external(let text) = id else { throw error }
            var explained = error
            explained.message += " (\"\(text)\" was looked up as an ExternalId, as a string id is; "
                + "tonumber(id), or {external = false}, looks up the user whose InternalId is \(text))"
            throw explained
        }
    }

    /// The fields as Encore's PascalCase body.
    static func body(_ arguments: CheckedTable) -> JSONValue {
        LuaForm.shape(user).wire(from: arguments.fields("fields") ?? CheckedTable(LuaTable()))
    }

    /// `update_user` and `replace_user`: (id, fields, options?) -> InternalId.
    static func change(_ name: String, _ summary: String, undo: Undo<EncoreClient>,
                       _ send: @escaping @Sendable (EncoreClient, EncoreUserID, JSONValue) async throws(VendorError) -> Int) -> VendorOperation {
        VendorOperation(EncoreClient.self, name, summary, effect: .write, parameters: [id, fields, idOptions], result: internalID,
                        semantics: ChangeSemantics(identity: ["id", "fields"]), ifUnknown: .resend, undo: undo) { arguments in
            let id = try userID(arguments), body = body(arguments), digits = digitsReadAsExternal(arguments, id)
            return { client async throws(VendorError) in
                .int(try await lookingUp(id, digitsReadAsExternal: digits) { () async throws(VendorError) in try await send(client, id, body) })
            }
        }
    }

    /// The user a change named (its `id` argument, or the InternalId it answered).
    static func target(_ facts: ChangeFacts, answered: Bool = false) throws(VendorError) -> EncoreUserID {
        if answered, let id = facts.answer.int { return .internal(id) }
        do { return try userID(facts.checked) } catch {
            throw VendorError(vendor: vendor, operation: "get_user", status: nil, message: "\(error)", retryable: false)
        }
    }

    /// `{is_active = ...}`: what activating and deactivating change.
    static func activity(_ id: EncoreUserID, _ client: EncoreClient) async throws(VendorError) -> JSONValue {
        .state("is_active", try await client.getUser(id)["IsActive"] ?? .null)
    }

    /// The fields `update_user` set, but the password, which cannot be read back.
    static func fieldsSet(_ facts: ChangeFacts) -> [String] {
        guard case .object(let fields)? = facts.argument("fields") else { return [] }
        return fields.keys.filter { $0 != "password" }.sorted()
    }

    /// Activating or deactivating `facts`' user again (the id as the change named it).
    static func setActive(_ active: Bool, _ facts: ChangeFacts, answered: Bool = false) -> [InverseCall] {
        if answered, let id = facts.answer.int { return [InverseCall(active ? "activate_user" : "deactivate_user", ["id": .int(id), "options": .object(["external": .bool(false)])])] }
        return [InverseCall(active ? "activate_user" : "deactivate_user", facts.passing("id", "options"))]
    }

    public static let operations: [VendorOperation] = [
        .read(EncoreClient.self, "list_users", "Every user (all pages).", result: LuaResult(.list(.shape(user)), doc: "the users")) { _ in
            { client async throws(VendorError) in .pages(try await client.userPages()) }
        },
        .read(EncoreClient.self, "get_user", "One user.", parameters: [id, idOptions], result: LuaResult(.shape(user), doc: "the user")) { arguments in
            let id = try userID(arguments), digits = digitsReadAsExternal(arguments, id)
            return { client async throws(VendorError) in
                .document(try await lookingUp(id, digitsReadAsExternal: digits) { () async throws(VendorError) in try await client.userDocument(id) })
            }
        },
        VendorOperation(EncoreClient.self, "create_user", "Creates a user; user_name must be new.", effect: .write,
                        parameters: [fields], result: LuaResult(.integer, doc: "the new user's InternalId"),
                        semantics: ChangeSemantics(identity: ["fields.user_name"]),
                        ifUnknown: .check { arguments, client async throws(VendorError) in
                            // The user name is unique: if it exists, the create took effect.
                            let name = arguments.fields("fields")?.string("user_name")
                            let user = try await client.listUsers().first { $0["UserName"]?.string == name }
                            return user?["UserId"].map(Reconciliation.applied) ?? .notApplied
                        },
                        undo: .reverse(Reversal(check: .read({ facts, client async throws(VendorError) in try await activity(target(facts, answered: true), client) }, first: false),
                                                note: { _ in "Encore has no delete: the user is deactivated" },
                                                left: { _ in .state("is_active", .bool(true)) },
                                                inverse: { setActive(false, $0, answered: true) }))) { arguments in
            let body = body(arguments)
            return { client async throws(VendorError) in .int(try await client.createUser(body)) }
        },
        change("update_user", "Changes only the given fields (PATCH).",
               undo: .reverse(Reversal(check: .read({ facts, client async throws(VendorError) in
                   try await user.state(fromWire: client.getUser(target(facts)), keeping: fieldsSet(facts)) ?? .null
               }, first: true), note: { facts in facts.argument("fields.password") == nil ? nil : "the password it set is not set back" }, left: { facts in
                   .object(Dictionary(uniqueKeysWithValues: fieldsSet(facts).map { ($0, facts.argument("fields.\($0)") ?? .null) }))
               }, inverse: { facts in
                   guard case .object(let before)? = facts.before else { return [] }
                   var arguments = facts.passing("id", "options")
                   arguments["fields"] = .object(before.filter { $0.value != .null })
                   return [InverseCall("update_user", arguments)]
               }))) { client, id, body async throws(VendorError) in
            try await client.updateUser(id, body)
        },
        change("replace_user", "Replaces the whole user (PUT): fields not given are cleared.",
               undo: .impossible("it cleared the fields it was not given, and a password cannot be read back")) { client, id, body async throws(VendorError) in
            try await client.replaceUser(id, body)
        },
        VendorOperation(EncoreClient.self, "activate_user", "Activates a user.", effect: .write, parameters: [id, idOptions],
                        result: internalID, semantics: ChangeSemantics(identity: ["id"]), ifUnknown: .resend,
                        undo: .reverse(.restoring({ facts, client async throws(VendorError) in try await activity(target(facts), client) },
                                                  left: { _ in .state("is_active", .bool(true)) },
                                                  inverse: { $0.before?["is_active"] == .bool(true) ? [] : setActive(false, $0) }))) { arguments in
            let id = try userID(arguments), digits = digitsReadAsExternal(arguments, id)
            return { client async throws(VendorError) in
                .int(try await lookingUp(id, digitsReadAsExternal: digits) { () async throws(VendorError) in try await client.activateUser(id) })
            }
        },
        VendorOperation(EncoreClient.self, "deactivate_user", "Deactivates a user (Encore has no hard delete).", effect: .destructive,
                        parameters: [id, idOptions], result: VendorResults.ok,
                        semantics: ChangeSemantics(identity: ["id"], already: [AlreadyAnswer(status: 400, code: "106")]),
                        ifUnknown: .resend,
                        // Not read first: an already inactive user answers 106 (nothing changed).
                        undo: .reverse(Reversal(check: .read({ facts, client async throws(VendorError) in try await activity(target(facts), client) }, first: false),
                                                left: { _ in .state("is_active", .bool(false)) },
                                                inverse: { setActive(true, $0) }))) { arguments in
            let id = try userID(arguments), digits = digitsReadAsExternal(arguments, id)
            return { client async throws(VendorError) in
                try await lookingUp(id, digitsReadAsExternal: digits) { () async throws(VendorError) in try await client.deactivateUser(id) }
                return VendorResults.okAnswer
            }
        },
    ]
}
