/// GuardantTests.swift: the Guardant vendor portal's Users API as emulated.
import Emulator
import Foundation
import Testing

@Suite struct GuardantTests {
    func users(_ reply: Reply) -> [[String: Any]] { reply.object["users"] as? [[String: Any]] ?? [] }
    func emails(_ reply: Reply) -> [String] { users(reply).compactMap { $0["email"] as? String } }

    @Test func theTokenIsRequired() async throws {
        try await withEmulator { client in
            let refused = try await client.guardant("GET", "users", token: "wrong")
            #expect(refused.status == 401)
            #expect(refused.object["message"] is String)
            #expect(try await client.guardant("GET", "users", token: nil).status == 401)
        }
    }

    @Test func listingSortsPagesAndFiltersArchived() async throws {
        try await withEmulator { client in
            // Sorted by last name: Hopper, Lovelace, Turing.
            #expect(emails(try await client.guardant("GET", "users")) == ["grace@example.com", "ada@example.com", "alan@example.com"])
            #expect(emails(try await client.guardant("GET", "users?sortby=name&direction=desc&offset=0&limit=2")) == ["alan@example.com", "ada@example.com"])
            #expect(emails(try await client.guardant("GET", "users?offset=2&limit=2")) == ["alan@example.com"])
            #expect(emails(try await client.guardant("GET", "users?archived=true")) == ["alan@example.com"])
            #expect(emails(try await client.guardant("GET", "users?archived=false")).count == 2)
            #expect(try await client.guardant("GET", "users?limit=zero").status == 400)
            let first = try #require(users(try await client.guardant("GET", "users")).first)
            let details = first["userdetails"] as? [String: Any]
            #expect(details?["firstname"] as? String == "Grace")
            #expect((details?["role"] as? [String: Any])?["nameeng"] as? String == "Supervisor")
        }
    }

    @Test func rolesLeaveOutTheAdministrator() async throws {
        try await withEmulator { client in
            let roles = try await client.guardant("GET", "users/roles").object["roles"] as? [[String: Any]] ?? []
            #expect(roles.compactMap { $0["_id"] as? Int } == [2, 3, 4, 5])
        }
    }

    @Test func creatingAndChangingUsers() async throws {
        try await withEmulator { client in
            let fields: [String: Any] = ["username": "linus@example.com", "roleId": 5, "password": "Str0ng-pass",
                                         "passwordConfirm": "Str0ng-pass", "firstName": "Linus", "lastName": "Torvalds",
                                         "companyName": "Example", "phone": "+358000"]
            let created = try await client.guardant("POST", "users", body: fields)
            #expect(created.status == 200)
            let user = try #require(created.object["user"] as? [String: Any])
            let id = try #require(user["_id"] as? Int)
            #expect(user["email"] as? String == "linus@example.com")
            #expect(try await client.guardant("POST", "users", body: fields).status == 409)
            var mismatch = fields
            mismatch["username"] = "other@example.com"
            mismatch["passwordConfirm"] = "different"
            #expect(try await client.guardant("POST", "users", body: mismatch).status == 400)

            // userIsActive arrives as the string "false" in the vendor's own example.
            let changed = try await client.guardant("PUT", "users/\(id)", body: ["userIsActive": "false", "roleId": 2, "archived": true])
            let after = try #require(changed.object["user"] as? [String: Any])
            #expect(after["status"] as? Bool == false)
            let details = after["userdetails"] as? [String: Any]
            #expect(details?["archived"] as? Bool == true)
            #expect((details?["archivationdate"] as? Int ?? 0) > 0)
            #expect(try await client.guardant("PUT", "users/\(id)", body: ["userIsActive": "maybe"]).status == 400)
            #expect(try await client.guardant("PUT", "users/999999", body: ["firstName": "x"]).status == 404)
            #expect(try await client.guardant("PUT", "users/\(id)", body: ["roleId": 42]).status == 400)
            // Wrong types are errors, not guesses: true is not role 1, 1 is not true.
            #expect(try await client.guardant("PUT", "users/\(id)", body: ["roleId": true]).status == 400)
            #expect(try await client.guardant("PUT", "users/\(id)", body: ["userIsActive": 1]).status == 400)
            #expect(try await client.guardant("PUT", "users/\(id)", body: ["firstName": 7]).status == 400)
            var wrongRole = fields
            wrongRole["username"] = "typed@example.com"
            wrongRole["roleId"] = "5"
            #expect(try await client.guardant("POST", "users", body: wrongRole).status == 400)
            let malformed = try await client.send("POST", "/guardant/v1.0/users", headers: ["Authorization": "Bearer " + GuardantAPI.token], body: Data("[1,".utf8))
            #expect(malformed.status == 400)
            #expect(malformed.object["code"] is Int)
        }
    }
}
