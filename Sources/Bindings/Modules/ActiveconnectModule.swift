/// ActiveconnectModule.swift: `activeconnect.*` — users of one application and their devices.
import LuaHost
import Vendors

enum ActiveconnectModule {
    static let summary = "Activeconnect: an application's users and their registered mobile devices."

    static let user = LuaParameter("user", .string, doc: "the user's name in the application (often an email)")

    static let operations: [VendorOperation] = [
        VendorOperation(.activeconnect, "add_users", "Adds users to the application; those already there are reported, not an error.",
                        effect: .write,
                        parameters: [LuaParameter("users", .table, doc: "list of user names")],
                        result: LuaResult("{created: string[], existing: string[]}", doc: "who was added and who was already there")) { call, session in
            let users = try call.strings(1, "users")
            let client = try session.client(session.activeconnect, .activeconnect)
            return PreparedCall(arguments: arguments(["users": .strings(users)])) { () async throws(VendorError) in
                let added = try await client.addUsers(users)
                return .table(LuaTable(["created": VendorAnswer.strings(added.created), "existing": VendorAnswer.strings(added.existing)]))
            }
        },
        VendorOperation(.activeconnect, "delete_users", "Removes users (and their devices) from the application.",
                        effect: .destructive,
                        parameters: [LuaParameter("users", .table, doc: "list of user names")],
                        result: LuaResult("{ok: true}", doc: "done")) { call, session in
            let users = try call.strings(1, "users")
            let client = try session.client(session.activeconnect, .activeconnect)
            return PreparedCall(arguments: arguments(["users": .strings(users)])) { () async throws(VendorError) in
                try await client.deleteUsers(users)
                return VendorAnswer.ok
            }
        },
        VendorOperation(.activeconnect, "registration_link", "Issues a link the user opens on their phone to register it.",
                        effect: .write,
                        parameters: [user, LuaParameter("options", .table, optional: true, doc: "{display_name = string}: the name the app shows")],
                        result: LuaResult("string", doc: "the registration URL")) { call, session in
            let user = call.text(1)
            let options = try NamedFields(call, 2, label: "options", known: ["display_name"])
            let displayName = try options.string("display_name")
            let client = try session.client(session.activeconnect, .activeconnect)
            return PreparedCall(arguments: arguments(["user": .text(user), "display_name": .text(displayName)])) { () async throws(VendorError) in
                VendorAnswer.string(try await client.registrationLink(user, displayName: displayName))
            }
        },
        VendorOperation(.activeconnect, "has_device", "Whether the user has registered a mobile device.",
                        effect: .read, parameters: [user],
                        result: LuaResult("boolean", doc: "true once a device is registered")) { call, session in
            let user = call.text(1)
            let client = try session.client(session.activeconnect, .activeconnect)
            return PreparedCall(arguments: arguments(["user": .text(user)])) { () async throws(VendorError) in
                .boolean(try await client.hasDevice(user))
            }
        },
        VendorOperation(.activeconnect, "lost_device", "Disables the user's registered device and issues a new registration link.",
                        effect: .destructive, parameters: [user],
                        result: LuaResult("string", doc: "the new registration URL")) { call, session in
            let user = call.text(1)
            let client = try session.client(session.activeconnect, .activeconnect)
            return PreparedCall(arguments: arguments(["user": .text(user)])) { () async throws(VendorError) in
                VendorAnswer.string(try await client.lostDevice(user))
            }
        },
        VendorOperation(.activeconnect, "send_registration_sms", "Texts the user a registration link.",
                        effect: .write,
                        parameters: [
                            user, LuaParameter("phone", .string, doc: "the phone number, international form (+15550100)"),
                            LuaParameter("options", .table, optional: true, doc: "{display_name = string, message = string}"),
                        ],
                        result: LuaResult("{ok: true}", doc: "sent")) { call, session in
            let user = call.text(1), phone = call.text(2)
            let options = try NamedFields(call, 3, label: "options", known: ["display_name", "message"])
            let displayName = try options.string("display_name"), message = try options.string("message")
            let client = try session.client(session.activeconnect, .activeconnect)
            return PreparedCall(arguments: arguments(["user": .text(user), "phone": .text(phone), "display_name": .text(displayName),
                                                      "message": .text(message)])) { () async throws(VendorError) in
                try await client.sendRegistrationSMS(user, phone: phone, displayName: displayName, message: message)
                return VendorAnswer.ok
            }
        },
    ]
}
