/// Active911Module.swift: `active911.*` — agency members (paced below the vendor's limit).
import LuaHost
import Vendors

enum Active911Module {
    static let summary = "Active911: agencies and their members. Calls are paced below the vendor's 25 a minute; prefer create_members for many."

    static let agency = LuaParameter("agency", .string, optional: true, doc: "the agency id; nil for the tenant's configured agency")
    static let memberFields = ["name", "email", "phone", "permissions"]
    static let memberDoc = "{name = string, email = string, phone = string, permissions = string[] (view_agency, edit_agency, edit_billing)}"
    static let memberResult = "{id = integer, name = string, email = string, phone = string, permissions = string[]}"

    static func lua(_ member: Active911Member) -> LuaValue {
        .table(LuaTable([
            "id": .integer(Int64(member.id)), "name": VendorAnswer.string(member.name), "email": VendorAnswer.string(member.email),
            "phone": VendorAnswer.string(member.phone), "permissions": member.permissions.map(VendorAnswer.strings) ?? .nil,
        ]))
    }

    static func newMember(_ fields: NamedFields) throws -> Active911NewMember {
        Active911NewMember(name: try fields.requiredString("name"), email: try fields.requiredString("email"),
                           phone: try fields.string("phone"), permissions: try fields.strings("permissions"))
    }

    static func recorded(_ member: Active911NewMember) -> JSONValue {
        var object: [String: JSONValue] = ["name": .string(member.name), "email": .string(member.email)]
        if let phone = member.phone { object["phone"] = .string(phone) }
        if let permissions = member.permissions { object["permissions"] = .strings(permissions) }
        return .object(object)
    }

    static let operations: [VendorOperation] = [
        VendorOperation(.active911, "agencies", "The agencies the account can manage, with their members (find a member by email here).", effect: .read,
                        result: LuaResult("{id: string, name: string, members: Active911Member[]}[]",
                                          doc: "the agencies, each with its members: " + memberResult)) { _, session in
            let client = try session.client(session.active911, .active911)
            return PreparedCall(arguments: []) { () async throws(VendorError) in
                VendorAnswer.list(try await client.agencies().map {
                    .table(LuaTable(["id": .string(LuaString($0.id)), "name": .string(LuaString($0.name)),
                                     "members": VendorAnswer.list($0.members.map(lua))]))
                })
            }
        },
        VendorOperation(.active911, "create_member", "Adds a member to an agency.", effect: .write,
                        parameters: [agency, LuaParameter("member", .table, doc: memberDoc)],
                        result: LuaResult("Active911Member", doc: memberResult)) { call, session in
            let agency = call.optionalText(1)
            let member = try newMember(NamedFields(call, 2, label: "member", known: memberFields))
            let client = try session.client(session.active911, .active911)
            return PreparedCall(arguments: arguments(["agency": .text(agency), "member": recorded(member)])) { () async throws(VendorError) in
                lua(try await client.createMember(agency: agency, member))
            }
        },
        VendorOperation(.active911, "create_members", "Adds many members in one request (one call against the rate limit).", effect: .write,
                        parameters: [agency, LuaParameter("members", .table, doc: "a list of " + memberDoc)],
                        result: LuaResult("Active911Member[]", doc: "the members, in order: " + memberResult)) { call, session in
            let agency = call.optionalText(1)
            guard case .table(let list) = try call.value(2), list.fields.isEmpty else {
                throw LuaError("argument #2 (members) expected a list of member tables")
            }
            let members = try list.sequence.enumerated().map { offset, element in
                guard case .table(let table) = element else {
                    throw LuaError("argument #2 (members) item \(offset + 1) expected table, got \(element.typeName)")
                }
                return try newMember(NamedFields(table, label: "argument #2 (members) item \(offset + 1)", known: memberFields))
            }
            let client = try session.client(session.active911, .active911)
            return PreparedCall(arguments: arguments(["agency": .text(agency), "members": .array(members.map(recorded))])) { () async throws(VendorError) in
                VendorAnswer.list(try await client.createMembers(agency: agency, members).map(lua))
            }
        },
        VendorOperation(.active911, "delete_member", "Removes a member from an agency.", effect: .destructive,
                        parameters: [agency, LuaParameter("member_id", .integer, doc: "the member's id")],
                        result: LuaResult("{ok: true}", doc: "done")) { call, session in
            let agency = call.optionalText(1)
            let memberID = call.int(2)
            let client = try session.client(session.active911, .active911)
            return PreparedCall(arguments: arguments(["agency": .text(agency), "member_id": .int(memberID)])) { () async throws(VendorError) in
                try await client.deleteMember(agency: agency, memberID)
                return VendorAnswer.ok
            }
        },
    ]
}
