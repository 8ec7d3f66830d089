/// Active911Module.swift: `active911.*` — agency members (paced below the vendor's limit).
import LuaHost
import Vendors

/// The `active911` module.
public enum Active911Module: VendorModule {
    public static let vendor = Vendor.active911
    public static let summary = "Active911: agencies and their members. Calls are paced below the vendor's 25 a minute; prefer create_members for many."

    static let member = LuaShape("Active911Member", [
        LuaField("id", .integer, optional: false, doc: "the member's id"),
        LuaField("name", .string, doc: "name"),
        LuaField("email", .string, doc: "email"),
        LuaField("phone", .string, doc: "phone"),
        LuaField("permissions", .list(.string), doc: "view_agency, edit_agency, edit_billing"),
    ])

    static let agency = LuaShape("Active911Agency", [
        LuaField("id", .string, optional: false, doc: "the agency's id"),
        LuaField("name", .string, optional: false, doc: "the agency's name"),
        LuaField("members", .list(.shape(member)), absent: .table(LuaTable()), doc: "its members (empty when none are listed)"),
    ])

    static let newMember = LuaShape([
        LuaField("name", .string, optional: false, doc: "name"),
        LuaField("email", .string, optional: false, doc: "email"),
        LuaField("phone", .string, doc: "phone"),
        LuaField("permissions", .list(.string), doc: "view_agency, edit_agency, edit_billing"),
    ])

    static let agencyID = LuaParameter("agency", .string, optional: true, doc: "the agency id; nil for the tenant's configured agency").inURLPath()

    static func memberToCreate(_ fields: CheckedTable) -> Active911NewMember {
        Active911NewMember(name: fields.text("name"), email: fields.text("email"), phone: fields.string("phone"),
                           permissions: fields.strings("permissions"))
    }

    /// The members of `agency` (nil: the configured one) with these emails, in order; empty
    /// when none of them is there.
    static func members(withEmails emails: [String?], in agency: String?, _ client: Active911Client) async throws(VendorError) -> [JSONValue?] {
        let wanted = agency ?? client.configuration.agency
        let listed = try await client.agencies().filter { wanted == nil || $0["id"]?.string == wanted }
            .flatMap { $0["members"]?.array ?? [] }
        let found = emails.map { email in listed.first { $0["email"]?.string?.lowercased() == email?.lowercased() } }
        return found.contains { $0 != nil } ? found : []
    }

    /// The ids of the members a create made (one member, or a list).
    static func createdIDs(_ facts: ChangeFacts) -> [JSONValue] {
        (facts.answer.array ?? [facts.answer]).compactMap { $0["id"] }
    }

    /// `{present = [ids]}`: which of the members a create made are still in the agency.
    @Sendable static func present(_ facts: ChangeFacts, _ client: Active911Client) async throws(VendorError) -> JSONValue {
        let agency = facts.argument("agency")?.string ?? client.configuration.agency
        let listed = try await client.agencies().filter { agency == nil || $0["id"]?.string == agency }
            .flatMap { $0["members"]?.array ?? [] }.compactMap { $0["id"] }
        return .state("present", .array(createdIDs(facts).filter(listed.contains)))
    }

    /// Deleting the members a create made.
    @Sendable static func deletingCreated(_ facts: ChangeFacts) -> [InverseCall] {
        createdIDs(facts).map { id in
            var arguments = facts.passing("agency")
            arguments["member_id"] = id
            return InverseCall("delete_member", arguments)
        }
    }

    public static let operations: [VendorOperation] = [
        VendorOperation(Active911Client.self, "agencies", "The agencies the account can manage, with their members (find a member by email here).",
                        effect: .read, result: LuaResult(.list(.shape(agency)), doc: "the agencies, each with its members")) { _ in
            { client async throws(VendorError) in .array(try await client.agencies()) }
        },
        VendorOperation(Active911Client.self, "create_member", "Adds a member to an agency.", effect: .write,
                        parameters: [agencyID, LuaParameter("member", form: .shape(newMember), doc: "the new member")],
                        result: LuaResult(.shape(member), doc: "the member created"),
                        semantics: ChangeSemantics(identity: ["agency", "member.email"]),
                        ifUnknown: .check { arguments, client async throws(VendorError) in
                            let email = arguments.fields("member")?.string("email")
                            let found = try await members(withEmails: [email], in: arguments.string("agency"), client)
                            return found.first.map { .applied($0 ?? .null) } ?? .notApplied
                        },
                        undo: .reverse(Reversal(check: .read(present, first: false), left: { facts in .state("present", .array(createdIDs(facts))) },
                                                inverse: deletingCreated)),
                        // Rows creating members at the same moment: one bulk request (at 25
                        // requests a minute, worth waiting a moment for late rows).
                        batching: Batching(group: { $0.string("agency") ?? "" }, gathering: .milliseconds(400)) { calls, client async throws(VendorError) in
                            let members = calls.map { memberToCreate($0.fields("member") ?? CheckedTable(LuaTable())) }
                            return try await client.createMembers(agency: calls.first?.string("agency"), members)
                        }) { arguments in
            let agency = arguments.string("agency")
            let member = memberToCreate(arguments.fields("member") ?? CheckedTable(LuaTable()))
            return { client async throws(VendorError) in try await client.createMember(agency: agency, member) }
        },
        VendorOperation(Active911Client.self, "create_members", "Adds many members in one request (one call against the rate limit).", effect: .write,
                        parameters: [agencyID, LuaParameter("members", form: .list(.shape(newMember)), doc: "the new members")],
                        result: LuaResult(.list(.shape(member)), doc: "the members created, in order"),
                        semantics: ChangeSemantics(identity: ["agency", "members"]),
                        ifUnknown: .check { arguments, client async throws(VendorError) in
                            let emails = (arguments.list("members") ?? []).map { $0.string("email") }
                            let found = try await members(withEmails: emails, in: arguments.string("agency"), client)
                            if found.isEmpty { return .notApplied }
                            guard found.count == emails.count, found.allSatisfy({ $0 != nil }) else {
                                return .undecidable("only \(found.count) of its \(emails.count) members are in the agency")
                            }
                            return .applied(.array(found.compactMap { $0 }))
                        },
                        undo: .reverse(Reversal(check: .read(present, first: false), left: { facts in .state("present", .array(createdIDs(facts))) },
                                                inverse: deletingCreated))) { arguments in
            let agency = arguments.string("agency")
            let members = (arguments.list("members") ?? []).map(memberToCreate)
            return { client async throws(VendorError) in .array(try await client.createMembers(agency: agency, members)) }
        },
        VendorOperation(Active911Client.self, "delete_member", "Removes a member from an agency.", effect: .destructive,
                        parameters: [agencyID, LuaParameter("member_id", .integer, doc: "the member's id")],
                        result: VendorResults.ok,
                        semantics: ChangeSemantics(identity: ["agency", "member_id"], already: [AlreadyAnswer(status: 404, messageContains: "member not found")]),
                        ifUnknown: .resend, undo: .impossible("a deleted member cannot be restored")) { arguments in
            let agency = arguments.string("agency"), memberID = arguments.int("member_id") ?? 0
            return { client async throws(VendorError) in
                try await client.deleteMember(agency: agency, memberID)
                return VendorResults.okAnswer
            }
        },
    ]
}
