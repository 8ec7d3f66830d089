/// AllthenticateModule.swift: `allthenticate.*` — users, guests, ranks, smartcards, invites.
import LuaHost
import Vendors

enum AllthenticateModule {
    static let summary = "Allthenticate: the organization's users and guests, their ranks, computer usernames, smartcards and invitations."

    static let emailID = LuaParameter("email_id", .integer, doc: "the user's email_id (from list_users)")
    static let cardsDoc = "a list of {number = string (digits), label = string}"

    static func lua(_ card: AllthenticateSmartcard) -> LuaValue {
        .table(LuaTable(["number": .string(LuaString(card.number)), "label": VendorAnswer.string(card.label)]))
    }

    static func recorded(_ card: AllthenticateSmartcard) -> JSONValue {
        var object: [String: JSONValue] = ["number": .string(card.number)]
        if let label = card.label { object["label"] = .string(label) }
        return .object(object)
    }

    /// `{ {number = "123", label = "Main door"}, ... }`; numbers are digit strings (an
    /// integer is accepted and written as its digits).
    static func cards(_ value: LuaValue, label: String) throws -> [AllthenticateSmartcard] {
        guard case .table(let list) = value, list.fields.isEmpty else {
            throw LuaError("\(label) expected \(cardsDoc), got \(value.typeName)")
        }
        return try list.sequence.enumerated().map { offset, element in
            let itemLabel = "\(label) item \(offset + 1)"
            guard case .table(let table) = element else { throw LuaError("\(itemLabel) expected table, got \(element.typeName)") }
            let fields = try NamedFields(table, label: itemLabel, known: ["number", "label"])
            let number: String
            if let integer = table["number"].integerValue, table["number"].text == nil, integer >= 0 {
                number = String(integer)
            } else {
                number = try fields.requiredString("number")
            }
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw LuaError("\(itemLabel) field number must be digits, got \"\(number)\"")
            }
            return AllthenticateSmartcard(number: number, label: try fields.string("label"))
        }
    }

    static func emailOperation(_ name: String, _ summary: String, effect: LuaEffect, result: LuaResult,
                               _ perform: @escaping @Sendable (AllthenticateClient, Int) async throws(VendorError) -> LuaValue) -> VendorOperation {
        VendorOperation(.allthenticate, name, summary, effect: effect, parameters: [emailID], result: result) { call, session in
            let id = call.int(1)
            let client = try session.client(session.allthenticate, .allthenticate)
            return PreparedCall(arguments: [VendorArgument("email_id", .int(id))]) { () async throws(VendorError) in try await perform(client, id) }
        }
    }

    static let operations: [VendorOperation] = [
        VendorOperation(.allthenticate, "list_users", "Users (each as the vendor sends it), or only guests.", effect: .read,
                        parameters: [LuaParameter("options", .table, optional: true, doc: "{email = boolean (include emails), guests = boolean (only guests)}")],
                        result: LuaResult("AllthenticateUser[]", doc: "{user_id, email_id, email, first_name, last_name, name, username, ad_status, email_status, groups, created, confirmed, active_date, device_added, unique_id, ...}")) { call, session in
            let options = try NamedFields(call, 1, label: "options", known: ["email", "guests"])
            let email = try options.boolean("email") ?? false, guests = try options.boolean("guests") ?? false
            let client = try session.client(session.allthenticate, .allthenticate)
            return PreparedCall(arguments: arguments(["email": .bool(email), "guests": .bool(guests)])) { () async throws(VendorError) in
                VendorAnswer.list(try await client.listUsers(includeEmail: email, guests: guests).map(VendorAnswer.json))
            }
        },
        emailOperation("get_user", "A user's policies, computer usernames and smartcards.", effect: .read,
                       result: LuaResult("{policies: table[], computer_usernames: string[], smartcards: table[]}", doc: "smartcards are {number, label}")) { client, id async throws(VendorError) in
            let details = try await client.getUser(emailID: id)
            return .table(LuaTable([
                "policies": VendorAnswer.list(details.policies.map(VendorAnswer.json)),
                "computer_usernames": VendorAnswer.strings(details.computer_usernames.map(\.computer_username)),
                "smartcards": VendorAnswer.list(details.smartcards.map(lua)),
            ]))
        },
        VendorOperation(.allthenticate, "delete_user", "Removes a user from the organization (by email_id, or by email).", effect: .destructive,
                        parameters: [LuaParameter("who", .table, doc: "{email_id = integer} or {email = string}")],
                        result: LuaResult("{ok: true}", doc: "done")) { call, session in
            let who = try NamedFields(call, 1, label: "who", known: ["email_id", "email"])
            let emailID = try who.integer("email_id"), email = try who.string("email")
            guard emailID != nil || email != nil else { throw LuaError("argument #1 (who) needs email_id or email") }
            let client = try session.client(session.allthenticate, .allthenticate)
            return PreparedCall(arguments: arguments(["email_id": emailID.map(JSONValue.int), "email": emailID == nil ? .text(email) : nil])) { () async throws(VendorError) in
                try await client.deleteUser(emailID: emailID, email: email)
                return VendorAnswer.ok
            }
        },
        VendorOperation(.allthenticate, "set_computer_usernames", "Sets the user's computer usernames (an empty list clears them).", effect: .write,
                        parameters: [emailID, LuaParameter("names", .table, doc: "list of usernames")],
                        result: LuaResult("{ok: true}", doc: "done")) { call, session in
            let id = call.int(1)
            let names = try call.strings(2, "names")
            let client = try session.client(session.allthenticate, .allthenticate)
            return PreparedCall(arguments: [VendorArgument("email_id", .int(id)), VendorArgument("names", .strings(names))]) { () async throws(VendorError) in
                try await client.setComputerUsernames(emailID: id, names)
                return VendorAnswer.ok
            }
        },
        VendorOperation(.allthenticate, "set_rank", "Sets a user's rank: REGULAR, ADMIN or SUPER.", effect: .write,
                        parameters: [LuaParameter("user_id", .integer, doc: "the user's user_id"), LuaParameter("rank", .string, doc: "\"REGULAR\", \"ADMIN\" or \"SUPER\"")],
                        result: LuaResult("{ok: true}", doc: "done")) { call, session in
            let id = call.int(1)
            guard let rank = AllthenticateRank(rawValue: call.text(2).uppercased()) else {
                throw LuaError("argument #2 (rank) must be \"REGULAR\", \"ADMIN\" or \"SUPER\", got \"\(call.text(2))\"")
            }
            let client = try session.client(session.allthenticate, .allthenticate)
            return PreparedCall(arguments: [VendorArgument("user_id", .int(id)), VendorArgument("rank", .string(rank.rawValue))]) { () async throws(VendorError) in
                try await client.setRank(userID: id, rank)
                return VendorAnswer.ok
            }
        },
        emailOperation("smartcards", "A user's smartcards.", effect: .read,
                       result: LuaResult("{number: string, label: string}[]", doc: "the cards")) { client, id async throws(VendorError) in
            VendorAnswer.list(try await client.smartcards(emailID: id).map(lua))
        },
        VendorOperation(.allthenticate, "set_smartcards", "Sets a user's smartcards (replacing the list).", effect: .write,
                        parameters: [emailID, LuaParameter("cards", .table, doc: cardsDoc),
                                     LuaParameter("options", .table, optional: true, doc: "{allow_duplicates = boolean}: allow a number another user has")],
                        result: LuaResult("{ok: true}", doc: "done")) { call, session in
            let id = call.int(1)
            let cards = try cards(try call.value(2), label: "argument #2 (cards)")
            let options = try NamedFields(call, 3, label: "options", known: ["allow_duplicates"])
            let allowDuplicates = try options.boolean("allow_duplicates") ?? false
            let client = try session.client(session.allthenticate, .allthenticate)
            return PreparedCall(arguments: [VendorArgument("email_id", .int(id)), VendorArgument("cards", .array(cards.map(recorded))),
                                            VendorArgument("allow_duplicates", .bool(allowDuplicates))]) { () async throws(VendorError) in
                try await client.setSmartcards(emailID: id, cards, allowDuplicates: allowDuplicates)
                return VendorAnswer.ok
            }
        },
        emailOperation("promote_guest", "Makes a guest a regular member of the organization.", effect: .write,
                       result: LuaResult("{ok: true}", doc: "done")) { client, id async throws(VendorError) in
            try await client.promoteGuest(emailID: id)
            return VendorAnswer.ok
        },
        emailOperation("toggle_suspension", "Suspends an active user, or reinstates a suspended one.", effect: .write,
                       result: LuaResult("table", doc: "the vendor's answer, as it is")) { client, id async throws(VendorError) in
            VendorAnswer.json(try await client.toggleSuspension(emailID: id))
        },
        VendorOperation(.allthenticate, "invite", "Invites people by email, optionally with smartcards and groups.", effect: .write,
                        parameters: [LuaParameter("emails", .table, doc: "list of emails"),
                                     LuaParameter("options", .table, optional: true, doc: "{smartcards = \(cardsDoc), groups = string[], no_email = boolean}")],
                        result: LuaResult("{added: string[], invited: string[], exists: string[], invalid: string[]}", doc: "what became of each email")) { call, session in
            let emails = try call.strings(1, "emails")
            let options = try NamedFields(call, 2, label: "options", known: ["smartcards", "groups", "no_email"])
            let cards = options.has("smartcards") ? try cards(options.table["smartcards"], label: "argument #2 (options) field smartcards") : nil
            let groups = try options.strings("groups")
            let noEmail = try options.boolean("no_email") ?? false
            let client = try session.client(session.allthenticate, .allthenticate)
            return PreparedCall(arguments: arguments([
                "emails": .strings(emails), "smartcards": cards.map { .array($0.map(recorded)) }, "groups": groups.map(JSONValue.strings),
                "no_email": .bool(noEmail),
            ])) { () async throws(VendorError) in
                let result = try await client.invite(emails, smartcards: cards, groups: groups, noEmail: noEmail)
                return .table(LuaTable([
                    "added": VendorAnswer.strings(result.added ?? []), "invited": VendorAnswer.strings(result.invited ?? []),
                    "exists": VendorAnswer.strings(result.exists ?? []), "invalid": VendorAnswer.strings(result.invalid ?? []),
                ]))
            }
        },
        VendorOperation(.allthenticate, "resend_invite", "Sends a pending invitation again.", effect: .write,
                        parameters: [LuaParameter("email", .string, doc: "the invited email")],
                        result: LuaResult("{ok: true}", doc: "done")) { call, session in
            let email = call.text(1)
            let client = try session.client(session.allthenticate, .allthenticate)
            return PreparedCall(arguments: [VendorArgument("email", .string(email))]) { () async throws(VendorError) in
                try await client.resendInvite(email)
                return VendorAnswer.ok
            }
        },
        VendorOperation(.allthenticate, "invites", "Pending invitations.", effect: .read,
                        result: LuaResult("{email: string, added_date: string}[]", doc: "the invitations")) { _, session in
            let client = try session.client(session.allthenticate, .allthenticate)
            return PreparedCall(arguments: []) { () async throws(VendorError) in
                VendorAnswer.list(try await client.invites().map { .table(LuaTable(["email": .string(LuaString($0.email)), "added_date": VendorAnswer.string($0.added_date)])) })
            }
        },
    ]
}
