/// EncoreModule.swift: `encore.*` — Actsoft Encore users, with snake_case fields.
import LuaHost
import Vendors

enum EncoreModule {
    static let summary = "Actsoft Encore: users (snake_case fields; ids are InternalIds, or ExternalIds with {external = true})."

    /// Lua field name → how it is read and written. One table, so that fields, docs and
    /// stubs agree.
    nonisolated(unsafe) static let fields: [(name: String, type: LuaType, doc: String, keyPath: WritableKeyPath<EncoreUser, String?>?,
                         intPath: WritableKeyPath<EncoreUser, Int?>?, boolPath: WritableKeyPath<EncoreUser, Bool?>?)] = [
        ("user_name", .string, "login name (unique)", \.userName, nil, nil),
        ("password", .string, "password (write only)", \.password, nil, nil),
        ("group_name", .string, "group", \.groupName, nil, nil),
        ("first_name", .string, "first name", \.firstName, nil, nil),
        ("last_name", .string, "last name", \.lastName, nil, nil),
        ("employee_number", .string, "employee number", \.employeeNumber, nil, nil),
        ("email", .string, "email", \.email, nil, nil),
        ("phone", .string, "phone", \.phone, nil, nil),
        ("role_id", .integer, "1 Admin, 3 User, 5 Power User", nil, \.roleId, nil),
        ("is_active", .boolean, "active", nil, nil, \.isActive),
        ("eptt_enabled", .boolean, "push-to-talk enabled", nil, nil, \.epttEnabled),
        ("eptt_number", .string, "push-to-talk number", \.epttNumber, nil, nil),
        ("eptt_web_mdn", .string, "push-to-talk web MDN", \.epttWebMDN, nil, nil),
        ("eptt_token", .string, "push-to-talk token", \.epttToken, nil, nil),
        ("gps_enabled", .boolean, "GPS enabled", nil, nil, \.gpsEnabled),
        ("mobile_only", .boolean, "mobile only", nil, nil, \.mobileOnly),
        ("license_type", .integer, "0 Undefined, 1 Regular, 2 WebOnly, 3 Employee", nil, \.licenseType, nil),
    ]

    static let fieldDoc = "{" + fields.map { "\($0.name) = \($0.type.rawValue)" }.joined(separator: ", ") + "}"

    /// Reads a fields table into an EncoreUser (only what was given).
    static func encoreUser(_ table: NamedFields) throws -> EncoreUser {
        var user = EncoreUser()
        for field in fields {
            if let path = field.keyPath { user[keyPath: path] = try table.string(field.name) }
            if let path = field.intPath { user[keyPath: path] = try table.integer(field.name) }
            if let path = field.boolPath { user[keyPath: path] = try table.boolean(field.name) }
        }
        return user
    }

    /// The user as Lua sees it (the password is never read back).
    static func lua(_ user: EncoreUser) -> LuaValue {
        var table = LuaTable(["user_id": VendorAnswer.integer(user.userId)])
        for field in fields where field.name != "password" {
            if let path = field.keyPath { table[field.name] = VendorAnswer.string(user[keyPath: path]) }
            if let path = field.intPath { table[field.name] = VendorAnswer.integer(user[keyPath: path]) }
            if let path = field.boolPath { table[field.name] = VendorAnswer.boolean(user[keyPath: path]) }
        }
        return .table(table)
    }

    /// The user's fields for the record, password redacted.
    static func recorded(_ user: EncoreUser) -> JSONValue {
        guard case .table(let table) = lua(user) else { return .null }
        var object: [String: JSONValue] = [:]
        for (key, value) in table.fields {
            guard let name = key.text else { continue }
            switch value {
            case .string(let text): object[name] = .string(text.text)
            case .integer(let number): object[name] = .int(Int(number))
            case .boolean(let flag): object[name] = .bool(flag)
            default: break
            }
        }
        if user.password != nil { object["password"] = .string("<redacted>") }
        return .object(object)
    }

    static let id = LuaParameter("id", .integer, .string, doc: "the user's InternalId, or ExternalId (a string, or with {external = true})")
    static let idOptions = LuaParameter("options", .table, optional: true, doc: "{external = boolean}: id is an ExternalId (default: true when id is a string)")
    static let userResult = LuaResult("EncoreUser", doc: "the user: {user_id = integer, " + fieldDoc.dropFirst())

    /// The id argument and its {external =} option.
    static func userID(_ call: LuaCall, optionsAt index: Int32) throws -> EncoreUserID {
        let options = try NamedFields(call, index, label: "options", known: ["external"])
        let value = try call.value(1)
        let external = try options.boolean("external") ?? (value.text != nil)
        if external {
            if let text = value.text { return .external(text) }
            return .external(String(value.integerValue ?? 0))
        }
        if let number = value.integerValue, let id = Int(exactly: number) { return .internal(id) }
        if let text = value.text, let id = Int(text) { return .internal(id) }
        throw LuaError("argument #1 (id) expected an integer InternalId when {external = false}, got '\(value.text ?? value.typeName)'")
    }

    static func recordedID(_ id: EncoreUserID) -> [VendorArgument] {
        switch id {
        case .internal(let number): [VendorArgument("id", .int(number))]
        case .external(let text): [VendorArgument("id", .string(text)), VendorArgument("external", .bool(true))]
        }
    }

    /// `update_user` and `replace_user`: (id, fields, options?) -> InternalId.
    static func changeOperation(_ name: String, _ summary: String,
                                _ send: @escaping @Sendable (EncoreClient, EncoreUserID, EncoreUser) async throws(VendorError) -> Int) -> VendorOperation {
        VendorOperation(.encore, name, summary, effect: .write,
                        parameters: [id, LuaParameter("fields", .table, doc: fieldDoc), LuaParameter("options", .table, optional: true, doc: idOptions.doc)],
                        result: LuaResult("integer", doc: "the user's InternalId")) { call, session in
            let id = try userID(call, optionsAt: 3)
            let user = try encoreUser(NamedFields(call, 2, label: "fields", known: fields.map(\.name)))
            let client = try session.client(session.encore, .encore)
            return PreparedCall(arguments: recordedID(id) + [VendorArgument("fields", recorded(user))]) { () async throws(VendorError) in
                .integer(Int64(try await send(client, id, user)))
            }
        }
    }

    static let operations: [VendorOperation] = [
        VendorOperation(.encore, "list_users", "Every user (all pages).", effect: .read,
                        result: LuaResult("EncoreUser[]", doc: "the users")) { _, session in
            let client = try session.client(session.encore, .encore)
            return PreparedCall(arguments: []) { () async throws(VendorError) in
                VendorAnswer.list(try await client.listUsers().map(lua))
            }
        },
        VendorOperation(.encore, "get_user", "One user.", effect: .read, parameters: [id, idOptions], result: userResult) { call, session in
            let id = try userID(call, optionsAt: 2)
            let client = try session.client(session.encore, .encore)
            return PreparedCall(arguments: recordedID(id)) { () async throws(VendorError) in lua(try await client.getUser(id)) }
        },
        VendorOperation(.encore, "create_user", "Creates a user; user_name must be new.", effect: .write,
                        parameters: [LuaParameter("fields", .table, doc: fieldDoc)],
                        result: LuaResult("integer", doc: "the new user's InternalId")) { call, session in
            let user = try encoreUser(NamedFields(call, 1, label: "fields", known: fields.map(\.name)))
            let client = try session.client(session.encore, .encore)
            return PreparedCall(arguments: [VendorArgument("fields", recorded(user))]) { () async throws(VendorError) in
                .integer(Int64(try await client.createUser(user)))
            }
        },
        changeOperation("update_user", "Changes only the given fields (PATCH).") { client, id, user async throws(VendorError) in
            try await client.updateUser(id, user)
        },
        changeOperation("replace_user", "Replaces the whole user (PUT): fields not given are cleared.") { client, id, user async throws(VendorError) in
            try await client.replaceUser(id, user)
        },
        VendorOperation(.encore, "activate_user", "Activates a user.", effect: .write, parameters: [id, idOptions],
                        result: LuaResult("integer", doc: "the user's InternalId")) { call, session in
            let id = try userID(call, optionsAt: 2)
            let client = try session.client(session.encore, .encore)
            return PreparedCall(arguments: recordedID(id)) { () async throws(VendorError) in .integer(Int64(try await client.activateUser(id))) }
        },
        VendorOperation(.encore, "deactivate_user", "Deactivates a user (Encore has no hard delete).", effect: .destructive,
                        parameters: [id, idOptions], result: LuaResult("{ok: true}", doc: "done")) { call, session in
            let id = try userID(call, optionsAt: 2)
            let client = try session.client(session.encore, .encore)
            return PreparedCall(arguments: recordedID(id)) { () async throws(VendorError) in
                try await client.deactivateUser(id)
                return VendorAnswer.ok
            }
        },
    ]
}
