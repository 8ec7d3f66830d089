/// AllthenticateTests.swift: the Allthenticate Users API as emulated (form bodies, JSON
/// lists in strings, `{"error"}` failures).
import Emulator
import Foundation
import Testing

@Suite struct AllthenticateTests {
    @Test func theKeyIsRequired() async throws {
        try await withEmulator { client in
            let refused = try await client.allthenticate("GET", "multipleusers", key: "wrong")
            #expect(refused.status == 401)
            #expect(refused.object["error"] is String)
            #expect(try await client.allthenticate("POST", "promoteguest", ["email_id": "103"], key: nil).status == 401)
        }
    }

    @Test func listingUsersAndGuests() async throws {
        try await withEmulator { client in
            let all = try await client.allthenticate("GET", "multipleusers", ["email": "true"])
            let users = all.json as? [[String: Any]] ?? []
            #expect(users.compactMap { $0["email"] as? String } == ["ada@example.com", "grace@example.com", "guest@example.com"])
            let guests = try await client.allthenticate("GET", "multipleusers", ["user_tag": "GUEST"]).json as? [[String: Any]] ?? []
            #expect(guests.compactMap { $0["email_id"] as? Int } == [103])
            #expect(guests.first?["email"] == nil)
            let user = try await client.allthenticate("GET", "user", ["email_id": "101"]).object
            #expect((user["smartcards"] as? [[String: Any]])?.first?["number"] as? String == "100200300")
            #expect(try await client.allthenticate("GET", "user", ["email_id": "999"]).status == 400)
        }
    }

    @Test func promotingAGuestAndSettingSmartcards() async throws {
        try await withEmulator { client in
            #expect(try await client.allthenticate("POST", "promoteguest", ["email_id": "103"]).object["success"] is String)
            let again = try await client.allthenticate("POST", "promoteguest", ["email_id": "103"])
            #expect(again.status == 400)
            #expect((again.object["error"] as? String)?.contains("not a guest") == true)

            let cards = #"[{"number": "555000111", "label": "Gus"}]"#
            #expect(try await client.allthenticate("POST", "modifysmartcard", ["email_id": "103", "smartcards": cards]).status == 200)
            let read = try await client.allthenticate("GET", "modifysmartcard", ["email_id": "103"]).object
            #expect((read["smartcards"] as? [[String: Any]])?.first?["label"] as? String == "Gus")
            // Ada's card is taken unless duplicates are allowed; numbers are digits.
            let taken = #"[{"number": "100200300"}]"#
            #expect(try await client.allthenticate("POST", "modifysmartcard", ["email_id": "102", "smartcards": taken]).status == 400)
            #expect(try await client.allthenticate("POST", "modifysmartcard", ["email_id": "102", "smartcards": taken, "allow_duplicates": "true"]).status == 200)
            #expect(try await client.allthenticate("POST", "modifysmartcard", ["email_id": "102", "smartcards": #"[{"number": "12ab"}]"#]).status == 400)
            #expect(try await client.allthenticate("POST", "modifysmartcard", ["email_id": "102", "smartcards": "not json"]).status == 400)
        }
    }

    @Test func ranksUsernamesSuspensionAndDeletion() async throws {
        try await withEmulator { client in
            #expect(try await client.allthenticate("POST", "modifyrank", ["admin_user_id": "2", "rank": "SUPER"]).status == 200)
            #expect(try await client.allthenticate("POST", "modifyrank", ["admin_user_id": "2", "rank": "KING"]).status == 400)
            let names = #"[{"computer_username": "grace"}, {"computer_username": "ghopper"}]"#
            #expect(try await client.allthenticate("POST", "modifyallusernames", ["email_id": "102", "computer_usernames": names]).status == 200)
            let user = try await client.allthenticate("GET", "user", ["email_id": "102"]).object
            // GET /user lists them as strings, as the vendor's page shows.
            #expect(user["computer_usernames"] as? [String] == ["grace", "ghopper"])
            #expect(try await client.allthenticate("POST", "modifyallusernames", ["email_id": "102", "computer_usernames": "[]"]).status == 200)
            #expect(try await client.allthenticate("POST", "modifyallusernames", ["email_id": "102", "computer_usernames": #"[{"name": 1}]"#]).status == 400)
            #expect(try await client.allthenticate("POST", "modifyallusernames", ["email_id": "999", "computer_usernames": "[]"]).status == 400)

            let suspended = try await client.allthenticate("POST", "togglesuspension", ["email_id": "102"])
            #expect(suspended.object["suspended"] as? Bool == true)
            #expect(try await client.allthenticate("POST", "togglesuspension", ["email_id": "102"]).object["suspended"] as? Bool == false)

            // email_id wins over email.
            #expect(try await client.allthenticate("DELETE", "user", ["email_id": "102", "email": "ada@example.com"]).status == 200)
            let left = try await client.allthenticate("GET", "multipleusers", ["email": "true"]).json as? [[String: Any]] ?? []
            #expect(left.compactMap { $0["email"] as? String } == ["ada@example.com", "guest@example.com"])
            #expect(try await client.allthenticate("DELETE", "user", ["email": "nobody@example.com"]).status == 400)
            #expect(try await client.allthenticate("DELETE", "user", [:]).status == 400)
        }
    }

    @Test func invites() async throws {
        try await withEmulator { client in
            let emails = #"["new@example.com", "ada@example.com", "bad-address"]"#
            let result = try await client.allthenticate("PUT", "invites", ["emails": emails, "no_email": "false"]).object
            #expect(result["invited"] as? [String] == ["new@example.com"])
            #expect(result["exists"] as? [String] == ["ada@example.com"])
            #expect(result["invalid"] as? [String] == ["bad-address"])
            let pending = try await client.allthenticate("GET", "invites").json as? [[String: Any]] ?? []
            #expect(pending.compactMap { $0["email"] as? String } == ["pending@example.com", "new@example.com"])
            #expect(try await client.allthenticate("POST", "invites", ["email": "new@example.com"]).status == 200)
            #expect(try await client.allthenticate("POST", "invites", ["email": "stranger@example.com"]).status == 400)
        }
    }
}
