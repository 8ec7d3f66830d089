/// AllthenticateModule.swift: `allthenticate.*` — users, guests, ranks, smartcards, invites.
import LuaHost
import Vendors

/// The `allthenticate` module.
public enum AllthenticateModule: VendorModule {
    public static let vendor = Vendor.allthenticate
    public static let summary = "Allthenticate: the organization's users and guests, their ranks, computer usernames, smartcards and invitations."

    /// A user as `list_users` answers: the declared fields, and whatever else the vendor
    /// sends, as it is.
    static let user = LuaShape("AllthenticateUser", open: true, [
        LuaField("user_id", .integer, doc: "for set_rank"),
        LuaField("email_id", .integer, doc: "for most calls"),
        LuaField("email", .string, doc: "with {email = true}"),
        LuaField("first_name", .string, doc: "first name"),
        LuaField("last_name", .string, doc: "last name"),
        LuaField("name", .string, doc: "display name"),
        LuaField("username", .string, doc: "username"),
        LuaField("groups", .list(.string), doc: "groups"),
        LuaField("confirmed", .boolean, doc: "confirmed"),
        LuaField("device_added", .boolean, doc: "has a device"),
        LuaField("unique_id", .string, doc: "unique id"),
    ])

    static let card = LuaShape("AllthenticateSmartcard", [
        LuaField("number", .digits, optional: false, doc: "the card's number (digits; an integer is written as its digits)"),
        LuaField("label", .string, doc: "a label"),
    ])
    static let cards = LuaForm.list(.shape(card))

    static let details = LuaShape("AllthenticateUserDetails", [
        LuaField("policies", .list(.any), absent: .table(LuaTable()), doc: "the user's policies, as the vendor sends them"),
        LuaField("computer_usernames", .list(.string), absent: .table(LuaTable()), doc: "computer usernames"),
        LuaField("smartcards", cards, absent: .table(LuaTable()), doc: "smartcards"),
    ])

    static let invitation = LuaShape("AllthenticateInvite", [
        LuaField("email", .string, optional: false, doc: "the invited email"),
        LuaField("added_date", .string, doc: "when it was sent"),
    ])

    static let inviteOutcome = LuaShape([
        LuaField("added", .list(.string), absent: .table(LuaTable()), doc: "added to the organization at once"),
        LuaField("invited", .list(.string), absent: .table(LuaTable()), doc: "sent an invitation"),
        LuaField("exists", .list(.string), absent: .table(LuaTable()), doc: "already members"),
        LuaField("invalid", .list(.string), absent: .table(LuaTable()), doc: "not valid emails"),
    ])

    static let emailID = LuaParameter("email_id", .integer, doc: "the user's email_id (from list_users)")

    static func smartcards(_ list: [CheckedTable]?) -> [AllthenticateSmartcard]? {
        list?.map { AllthenticateSmartcard(number: $0.text("number"), label: $0.string("label")) }
    }

    /// What invitations must share to go in one request: their options.
    static func inviteOptionsKey(_ arguments: CheckedTable) -> String {
        let options = arguments.fields("options")
        let cards = smartcards(options?.list("smartcards"))?.map { JSONValue.object(["number": .string($0.number), "label": $0.label.map(JSONValue.string) ?? .null]) }
        return JSONValue.object([
            "smartcards": cards.map(JSONValue.array) ?? .null, "groups": options?.strings("groups").map { .array($0.map(JSONValue.string)) } ?? .null,
            "no_email": .bool(options?.bool("no_email") ?? false),
        ]).canonicalText
    }

    /// An operation on one user, named by `email_id`.
    static func onUser(_ name: String, _ summary: String, effect: LuaEffect, result: LuaResult,
                       semantics: ChangeSemantics = .read, ifUnknown: IfUnknown<AllthenticateClient> = .ask, undo: Undo<AllthenticateClient>? = nil,
                       _ perform: @escaping @Sendable (AllthenticateClient, Int) async throws(VendorError) -> JSONValue) -> VendorOperation {
        VendorOperation(AllthenticateClient.self, name, summary, effect: effect, parameters: [emailID], result: result, semantics: semantics,
                        ifUnknown: ifUnknown, undo: undo) { arguments in
            let id = arguments.int("email_id") ?? 0
            return { client async throws(VendorError) in try await perform(client, id) }
        }
    }

    /// Smartcards as an undo compares them: number and label (when there is one: the vendor
    /// lists a card set without a label with an empty one), in order.
    static func cardState(_ cards: JSONValue?) -> JSONValue {
        .array((cards?.array ?? []).map { card in
            var kept: [String: JSONValue] = ["number": card["number"] ?? .null]
            if let label = card["label"], label != .null, label != .string("") { kept["label"] = label }
            return .object(kept)
        })
    }

    public static let operations: [VendorOperation] = [
        .read(AllthenticateClient.self, "list_users", "Users (each as the vendor sends it), or only guests.",
              parameters: [LuaParameter("options", form: .shape(LuaShape([
                  LuaField("email", .boolean, doc: "include emails"),
                  LuaField("guests", .boolean, doc: "only guests"),
              ])), optional: true, doc: "what to list")],
              result: LuaResult(.list(.shape(user)), doc: "the users")) { arguments in
            let options = arguments.fields("options")
            let email = options?.bool("email") ?? false, guests = options?.bool("guests") ?? false
            return { client async throws(VendorError) in .document(try await client.userList(includeEmail: email, guests: guests)) }
        },
        onUser("get_user", "A user's policies, computer usernames and smartcards.", effect: .read,
               result: LuaResult(.shape(details), doc: "the user's details")) { client, id async throws(VendorError) in
            try await client.getUser(emailID: id)
        },
        VendorOperation(AllthenticateClient.self, "delete_user", "Removes a user from the organization (by email_id, or by email).",
                        effect: .destructive,
                        parameters: [LuaParameter("who", form: .shape(LuaShape([
                            LuaField("email_id", .integer, doc: "the user's email_id"),
                            LuaField("email", .string, doc: "the user's email"),
                        ])), doc: "{email_id = integer} or {email = string}")],
                        result: VendorResults.ok,
                        semantics: ChangeSemantics(identity: ["who"], already: [AlreadyAnswer(status: 400, messageContains: "user not found")]),
                        ifUnknown: .resend, undo: .impossible("a user removed from the organization cannot be put back")) { arguments in
            let who = arguments.fields("who")
            let emailID = who?.int("email_id"), email = who?.string("email")
            guard emailID != nil || email != nil else { throw LuaError("argument #1 (who) needs email_id or email") }
            return { client async throws(VendorError) in
                try await client.deleteUser(emailID: emailID, email: email)
                return VendorResults.okAnswer
            }
        },
        VendorOperation(AllthenticateClient.self, "set_computer_usernames", "Sets the user's computer usernames (an empty list clears them).",
                        effect: .write, parameters: [emailID, LuaParameter("names", form: .list(.string), doc: "list of usernames")],
                        result: VendorResults.ok, semantics: ChangeSemantics(identity: ["email_id", "names"]), ifUnknown: .resend,
                        undo: .reverse(.restoring({ facts, client async throws(VendorError) in
                            .state("names", try await client.getUser(emailID: facts.argument("email_id")?.int ?? 0)["computer_usernames"] ?? .array([]))
                        }, left: { .state("names", $0.argument("names") ?? .array([])) }) { facts in
                            [InverseCall("set_computer_usernames", ["email_id": facts.argument("email_id") ?? .null, "names": facts.before?["names"] ?? .array([])])]
                        })) { arguments in
            let id = arguments.int("email_id") ?? 0, names = arguments.strings("names") ?? []
            return { client async throws(VendorError) in
                try await client.setComputerUsernames(emailID: id, names)
                return VendorResults.okAnswer
            }
        },
        VendorOperation(AllthenticateClient.self, "set_rank", "Sets a user's rank: REGULAR, ADMIN or SUPER.", effect: .write,
                        parameters: [LuaParameter("user_id", .integer, doc: "the user's user_id"),
                                     LuaParameter("rank", form: .choice(AllthenticateRank.allCases.map(\.rawValue)), doc: "the rank")],
                        result: VendorResults.ok, semantics: ChangeSemantics(identity: ["user_id", "rank"]), ifUnknown: .resend,
                        undo: .reverse(Reversal(check: .journal(target: ["user_id"], why: "Allthenticate does not tell a user's rank"),
                                                left: { $0.argument("rank").map { .state("rank", $0) } }) { facts in
                            [InverseCall("set_rank", ["user_id": facts.argument("user_id") ?? .null, "rank": facts.before?["rank"] ?? .null])]
                        })) { arguments in
            let id = arguments.int("user_id") ?? 0
            let rank = AllthenticateRank(rawValue: arguments.text("rank")) ?? .regular
            return { client async throws(VendorError) in
                try await client.setRank(userID: id, rank)
                return VendorResults.okAnswer
            }
        },
        .read(AllthenticateClient.self, "smartcards", "A user's smartcards.", parameters: [emailID], result: LuaResult(cards, doc: "the cards")) { arguments in
            let id = arguments.int("email_id") ?? 0
            return { client async throws(VendorError) in .pages([try await client.smartcardList(emailID: id)], itemsAt: "smartcards") }
        },
        VendorOperation(AllthenticateClient.self, "set_smartcards", "Sets a user's smartcards (replacing the list).", effect: .write,
                        parameters: [emailID, LuaParameter("cards", form: cards, doc: "the cards"),
                                     LuaParameter("options", form: .shape(LuaShape([
                                         LuaField("allow_duplicates", .boolean, doc: "allow a number another user has"),
                                     ])), optional: true, doc: "how the cards are checked")],
                        result: VendorResults.ok, semantics: ChangeSemantics(identity: ["email_id", "cards"]), ifUnknown: .resend,
                        undo: .reverse(.restoring({ facts, client async throws(VendorError) in
                            .state("cards", cardState(.array(try await client.smartcards(emailID: facts.argument("email_id")?.int ?? 0))))
                        }, left: { .state("cards", cardState($0.argument("cards"))) }) { facts in
                            var arguments = facts.passing("email_id", "options")
                            arguments["cards"] = facts.before?["cards"] ?? .array([])
                            return [InverseCall("set_smartcards", arguments)]
                        })) { arguments in
            let id = arguments.int("email_id") ?? 0, cards = smartcards(arguments.list("cards")) ?? []
            let allowDuplicates = arguments.fields("options")?.bool("allow_duplicates") ?? false
            return { client async throws(VendorError) in
                try await client.setSmartcards(emailID: id, cards, allowDuplicates: allowDuplicates)
                return VendorResults.okAnswer
            }
        },
        onUser("promote_guest", "Makes a guest a regular member of the organization.", effect: .write, result: VendorResults.ok,
               semantics: ChangeSemantics(identity: ["email_id"], already: [AlreadyAnswer(status: 400, messageContains: "is not a guest")]),
               ifUnknown: .resend, undo: .impossible("a member cannot be made a guest again")) { client, id async throws(VendorError) in
            try await client.promoteGuest(emailID: id)
            return VendorResults.okAnswer
        },
        onUser("toggle_suspension", "Suspends an active user, or reinstates a suspended one.", effect: .write,
               result: LuaResult(.table, doc: "the vendor's answer, as it is"),
               semantics: ChangeSemantics(identity: ["email_id"]),
               ifUnknown: .compareState { arguments, client async throws(VendorError) in
                   try await client.suspensionState(emailID: arguments.int("email_id") ?? 0)
               },
               // Toggled back, if it still is as the toggle left it.
               undo: .reverse(.restoring({ facts, client async throws(VendorError) in
                   try await client.suspensionState(emailID: facts.argument("email_id")?.int ?? 0)
               }, left: { facts in
                   switch facts.before?["ad_status"]?.string {
                   case "ACTIVE": .state("ad_status", .string("SUSPENDED"))
                   case "SUSPENDED": .state("ad_status", .string("ACTIVE"))
                   default: nil
                   }
               }) { facts in [InverseCall("toggle_suspension", facts.passing("email_id"))] })) { client, id async throws(VendorError) in
            try await client.toggleSuspension(emailID: id)
        },
        VendorOperation(AllthenticateClient.self, "invite", "Invites people by email, optionally with smartcards and groups.", effect: .write,
                        parameters: [LuaParameter("emails", form: .list(.string), doc: "list of emails"),
                                     LuaParameter("options", form: .shape(LuaShape([
                                         LuaField("smartcards", cards, doc: "cards to give them"),
                                         LuaField("groups", .list(.string), doc: "groups to put them in"),
                                         LuaField("no_email", .boolean, doc: "send no email"),
                                     ])), optional: true, doc: "what comes with the invitation")],
                        result: LuaResult(.shape(inviteOutcome), doc: "what became of each email"),
                        semantics: ChangeSemantics(identity: ["emails"]), ifUnknown: .resend,
                        undo: .impossible("an invitation cannot be withdrawn (delete_user removes a member)"),
                        // Invitations with the same options, made at the same moment: one request.
                        batching: Batching(group: inviteOptionsKey) { calls, client async throws(VendorError) in
                            let lists = calls.map { $0.strings("emails") ?? [] }
                            let options = calls.first?.fields("options")
                            var union: [String] = []
                            for email in lists.joined() where !union.contains(email) { union.append(email) }
                            let answer = try await client.invite(union, smartcards: smartcards(options?.list("smartcards")),
                                                                 groups: options?.strings("groups"), noEmail: options?.bool("no_email") ?? false)
                            return lists.map { emails in
                                guard case .object(var fields) = answer else { return answer }
                                for key in ["added", "invited", "exists", "invalid"] {
                                    if case .array(let listed)? = fields[key] {
                                        fields[key] = .array(listed.filter { $0.string.map(emails.contains) ?? false })
                                    }
                                }
                                return .object(fields)
                            }
                        }) { arguments in
            let emails = arguments.strings("emails") ?? []
            let options = arguments.fields("options")
            let cards = smartcards(options?.list("smartcards")), groups = options?.strings("groups")
            let noEmail = options?.bool("no_email") ?? false
            return { client async throws(VendorError) in
                try await client.invite(emails, smartcards: cards, groups: groups, noEmail: noEmail)
            }
        },
        VendorOperation(AllthenticateClient.self, "resend_invite", "Sends a pending invitation again.", effect: .write,
                        parameters: [LuaParameter("email", .string, doc: "the invited email")], result: VendorResults.ok,
                        semantics: ChangeSemantics(identity: ["email"]), ifUnknown: .resend,
                        undo: .impossible("an email cannot be unsent")) { arguments in
            let email = arguments.text("email")
            return { client async throws(VendorError) in
                try await client.resendInvite(email)
                return VendorResults.okAnswer
            }
        },
        .read(AllthenticateClient.self, "invites", "Pending invitations.", result: LuaResult(.list(.shape(invitation)), doc: "the invitations")) { _ in
            { client async throws(VendorError) in .document(try await client.inviteList()) }
        },
    ]
}
