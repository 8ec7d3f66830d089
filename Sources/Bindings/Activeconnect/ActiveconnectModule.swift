/// ActiveconnectModule.swift: `activeconnect.*` — users of one application and their devices.
import LuaHost
import Vendors

/// The `activeconnect` module.
public enum ActiveconnectModule: VendorModule {
    public static let vendor = Vendor.activeconnect
    public static let summary = "Activeconnect: an application's users and their registered mobile devices."

    /// The users of several calls, each once, in order.
    static func union(_ lists: [[String]]) -> [String] {
        var seen = Set<String>(), union: [String] = []
        for user in lists.joined() where seen.insert(user).inserted { union.append(user) }
        return union
    }

    static let user = LuaParameter("user", .string, doc: "the user's name in the application (often an email)").inURLPath()
    static let users = LuaParameter("users", form: .list(.string), doc: "list of user names")
    static let link = LuaResult(.string, doc: "the registration URL")

    public static let operations: [VendorOperation] = [
        VendorOperation(ActiveconnectClient.self, "add_users", "Adds users to the application; those already there are reported, not an error.",
                        effect: .write, parameters: [users],
                        result: LuaResult(.shape(LuaShape([
                            LuaField("created", .list(.string), optional: false, doc: "the users added"),
                            LuaField("existing", .list(.string), optional: false, doc: "the users already there"),
                        ])), doc: "who was added and who was already there"),
                        semantics: ChangeSemantics(identity: ["users"]), ifUnknown: .resend,
                        // Those it created are deleted; those already there are left alone.
                        undo: .reverse(Reversal(check: .unchecked("Activeconnect cannot list its users"), left: { _ in nil }) { facts in
                            guard let created = facts.answer["created"]?.array, !created.isEmpty else { return [] }
                            return [InverseCall("delete_users", ["users": .array(created)])]
                        }),
                        batching: Batching { calls, client async throws(VendorError) in
                            let lists = calls.map { $0.strings("users") ?? [] }
                            let added = try await client.addUsers(Self.union(lists))
                            return lists.map { users in
                                .object(["created": .array(added.created.filter(users.contains).map(JSONValue.string)),
                                         "existing": .array(added.existing.filter(users.contains).map(JSONValue.string))])
                            }
                        }) { arguments in
            let users = arguments.strings("users") ?? []
            return { client async throws(VendorError) in
                let added = try await client.addUsers(users)
                return .object(["created": .array(added.created.map(JSONValue.string)), "existing": .array(added.existing.map(JSONValue.string))])
            }
        },
        VendorOperation(ActiveconnectClient.self, "delete_users", "Removes users (and their devices) from the application.",
                        effect: .destructive, parameters: [users], result: VendorResults.ok,
                        semantics: ChangeSemantics(identity: ["users"], already: [AlreadyAnswer(status: 200, messageContains: "unknown users")]),
                        ifUnknown: .resend, undo: .impossible("deleted users and their devices cannot be restored"),
                        batching: Batching { calls, client async throws(VendorError) in
                            try await client.deleteUsers(Self.union(calls.map { $0.strings("users") ?? [] }))
                            return calls.map { _ in VendorResults.okAnswer }
                        }) { arguments in
            let users = arguments.strings("users") ?? []
            return { client async throws(VendorError) in
                try await client.deleteUsers(users)
                return VendorResults.okAnswer
            }
        },
        VendorOperation(ActiveconnectClient.self, "registration_link", "Issues a link the user opens on their phone to register it.",
                        effect: .write,
                        parameters: [user, LuaParameter("options", form: .shape(LuaShape([
                            LuaField("display_name", .string, doc: "the name the app shows"),
                        ])), optional: true, doc: "how the link is issued")],
                        result: link, semantics: ChangeSemantics(identity: ["user"]), ifUnknown: .resend,
                        undo: .impossible("a registration link issued cannot be withdrawn")) { arguments in
            let user = arguments.text("user"), displayName = arguments.fields("options")?.string("display_name")
            return { client async throws(VendorError) in .string(try await client.registrationLink(user, displayName: displayName)) }
        },
        VendorOperation(ActiveconnectClient.self, "has_device", "Whether the user has registered a mobile device.",
                        effect: .read, parameters: [user], result: LuaResult(.boolean, doc: "true once a device is registered")) { arguments in
            let user = arguments.text("user")
            return { client async throws(VendorError) in .bool(try await client.hasDevice(user)) }
        },
        VendorOperation(ActiveconnectClient.self, "lost_device", "Disables the user's registered device and issues a new registration link.",
                        effect: .destructive, parameters: [user], result: LuaResult(.string, doc: "the new registration URL"),
                        semantics: ChangeSemantics(identity: ["user"]), undo: .impossible("a disabled device cannot be enabled again")) { arguments in
            let user = arguments.text("user")
            return { client async throws(VendorError) in .string(try await client.lostDevice(user)) }
        },
        VendorOperation(ActiveconnectClient.self, "send_registration_sms", "Texts the user a registration link.", effect: .write,
                        parameters: [
                            user, LuaParameter("phone", .string, doc: "the phone number, international form (+15550100)"),
                            LuaParameter("options", form: .shape(LuaShape([
                                LuaField("display_name", .string, doc: "the name the app shows"),
                                LuaField("message", .string, doc: "the text sent with the link"),
                            ])), optional: true, doc: "what the message says"),
                        ],
                        result: VendorResults.ok, semantics: ChangeSemantics(identity: ["user", "phone"]),
                        undo: .impossible("a text message cannot be unsent")) { arguments in
            let user = arguments.text("user"), phone = arguments.text("phone")
            let options = arguments.fields("options")
            let displayName = options?.string("display_name"), message = options?.string("message")
            return { client async throws(VendorError) in
                try await client.sendRegistrationSMS(user, phone: phone, displayName: displayName, message: message)
                return VendorResults.okAnswer
            }
        },
    ]
}
