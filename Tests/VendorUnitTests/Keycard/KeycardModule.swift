/// KeycardModule.swift: `keycard.*`, the test vendor's Lua module, declared as a real
/// vendor's is.
import Bindings
import LuaHost
import Vendors

enum KeycardModule: VendorModule {
    static let vendor = Vendor.keycard
    static let summary = "Keycard (a test vendor): door badges."

    static let badge = LuaShape("KeycardBadge", [
        LuaField("id", .integer, optional: false, readOnly: true, wire: "badgeId", doc: "the badge's number"),
        LuaField("holder", .string, optional: false, doc: "who carries it"),
        LuaField("doors", .list(.string), absent: .table(LuaTable()), doc: "the doors it opens"),
    ])

    static let operations: [VendorOperation] = [
        VendorOperation(KeycardClient.self, "get_badge", "One badge.", effect: .read,
                        parameters: [LuaParameter("id", .integer, doc: "the badge's number")],
                        result: LuaResult(.shape(badge), doc: "the badge")) { arguments in
            let id = arguments.int("id") ?? 0
            return { client async throws(VendorError) in try await client.badge(id) }
        },
        VendorOperation(KeycardClient.self, "issue_badge", "Issues a badge.", effect: .write,
                        parameters: [LuaParameter("badge", form: .shape(badge), doc: "the new badge")],
                        result: LuaResult(.shape(badge), doc: "the badge issued"),
                        semantics: ChangeSemantics(identity: ["badge.holder"])) { arguments in
            let fields = arguments.fields("badge")
            let badge = KeycardClient.NewBadge(holder: fields?.text("holder") ?? "", doors: fields?.strings("doors") ?? [])
            return { client async throws(VendorError) in try await client.issueBadge(badge) }
        },
    ]
}
