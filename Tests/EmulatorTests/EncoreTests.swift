/// EncoreTests.swift: the Actsoft Encore Users API as emulated.
import Emulator
import Engine
import Foundation
import Testing

@Suite struct EncoreTests {
    func codes(_ reply: Reply) -> [Int] {
        (reply.json as? [[String: Any]] ?? []).compactMap { $0["Code"] as? Int }
    }

    @Test func theSubscriptionKeyIsRequired() async throws {
        try await withEmulator { client in
            for key in [nil, "wrong"] {
                let reply = try await client.encore("GET", "users", key: key)
                #expect(reply.status == 401)
                #expect(reply.object["statusCode"] as? Int == 401)
            }
            #expect(try await client.encore("GET", "users").status == 200)
        }
    }

    @Test func listingPagesAndAnEmptyPageIs204() async throws {
        try await withEmulator { client in
            let all = try await client.encore("GET", "users")
            let users = all.json as? [[String: Any]] ?? []
            #expect(users.map { $0["UserName"] as? String } == ["ada", "grace", "linus"])
            #expect(users.allSatisfy { $0["Password"] == nil && $0["UserId"] is Int })
            let second = try await client.encore("GET", "users?pageNumber=2&pageSize=2")
            #expect((second.json as? [[String: Any]])?.count == 1)
            let empty = try await client.encore("GET", "users?pageNumber=3&pageSize=2")
            #expect(empty.status == 204)
            #expect(empty.body.isEmpty)
            #expect(codes(try await client.encore("GET", "users?pageNumber=zero")) == [3])
        }
    }

    @Test func gettingByInternalOrExternalId() async throws {
        try await withEmulator { client in
            let byInternal = try await client.encore("GET", "users/1001?use-external-id=false")
            #expect(byInternal.object["UserName"] as? String == "ada")
            let byExternal = try await client.encore("GET", "users/E1002?use-external-id=true")
            #expect(byExternal.object["UserName"] as? String == "grace")
            #expect(codes(try await client.encore("GET", "users/1001")) == [1])
            #expect(codes(try await client.encore("GET", "users/abc?use-external-id=false")) == [2])
            let missing = try await client.encore("GET", "users/9999?use-external-id=false")
            #expect(missing.status == 404)
            #expect(codes(missing) == [128])
        }
    }

    @Test func creatingChecksTheFields() async throws {
        try await withEmulator { client in
            let user: [String: Any] = ["UserName": "alan", "Password": "Secret#1", "FirstName": "Alan", "LastName": "Turing",
                                       "Email": "alan@example.com", "RoleId": 3, "LicenseType": 1, "EmployeeNumber": "E2000"]
            let created = try await client.encore("POST", "users", body: user)
            #expect(created.status == 201)
            let id = try #require(created.object["Id"] as? Int)
            #expect(try await client.encore("GET", "users/\(id)?use-external-id=false").object["IsActive"] as? Bool == true)

            let duplicate = try await client.encore("POST", "users", body: user)
            #expect(duplicate.status == 400)
            #expect(Set(codes(duplicate)) == [115, 101])
            var broken = user
            broken["UserName"] = "someone"
            broken["EmployeeNumber"] = "E2001"
            broken["RoleId"] = 2
            broken["Email"] = "no-at-sign"
            broken["LicenseType"] = 9
            #expect(Set(codes(try await client.encore("POST", "users", body: broken))) == [113, 104, 132])
            #expect(Set(codes(try await client.encore("POST", "users", body: ["FirstName": "x"]))) == [114, 118, 133])
            let malformed = try await client.send("POST", "/encore/users/v1/users", headers: ["Ocp-Apim-Subscription-Key": EncoreAPI.subscriptionKey], body: Data("{not json".utf8))
            #expect(malformed.status == 400)
            #expect(codes(malformed) == [3])
            let wrongType = try await client.encore("POST", "users", body: ["UserName": 5])
            #expect(codes(wrongType) == [3])
        }
    }

    @Test func patchReplaceActivateDeactivate() async throws {
        try await withEmulator { client in
            let patched = try await client.encore("PATCH", "users/1002?use-external-id=false", body: ["Phone": "5550199"])
            #expect(patched.object["Id"] as? Int == 1002)
            let read = try await client.encore("GET", "users/1002?use-external-id=false")
            #expect(read.object["Phone"] as? String == "5550199")
            #expect(read.object["FirstName"] as? String == "Grace")
            #expect(codes(try await client.encore("PATCH", "users/1002?use-external-id=false", body: ["UserName": "ada"])) == [115])

            let replaced = try await client.encore("PUT", "users/E1002?use-external-id=true",
                                                   body: ["UserName": "grace.h", "LicenseType": 2, "RoleId": 5])
            #expect(replaced.object["Id"] as? Int == 1002)
            let afterReplace = try await client.encore("GET", "users/1002?use-external-id=false")
            #expect(afterReplace.object["UserName"] as? String == "grace.h")
            #expect(afterReplace.object["FirstName"] == nil)
            #expect(codes(try await client.encore("PUT", "users/1002?use-external-id=false", body: ["UserName": "ada", "LicenseType": 1])) == [115])
            #expect(codes(try await client.encore("PUT", "users/1002?use-external-id=false", body: ["UserName": "g2"])) == [133])
            // Names are unique whatever their case; a renamed user frees its old name, keeps its new one.
            #expect(codes(try await client.encore("POST", "users", body: ["UserName": "ADA", "Password": "x", "LicenseType": 1])) == [115])
            #expect(try await client.encore("POST", "users", body: ["UserName": "Grace", "Password": "x", "LicenseType": 1]).status == 201)
            #expect(try await client.encore("PATCH", "users/1002?use-external-id=false", body: ["UserName": "Grace.H"]).status == 200)

            // linus (1003) is the inactive demo user: deactivating again is code 106.
            #expect(codes(try await client.encore("DELETE", "users/1003/active?use-external-id=false")) == [106])
            #expect(try await client.encore("PUT", "users/1003/active?use-external-id=false").object["Id"] as? Int == 1003)
            #expect(try await client.encore("DELETE", "users/1003/active?use-external-id=false").status == 200)
            #expect(try await client.encore("GET", "users/1003?use-external-id=false").object["IsActive"] as? Bool == false)
        }
    }

    @Test func hugeBodiesGetTheVendorsErrorShape() async throws {
        var configuration = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs)
        configuration.maximumBodySize = 1024
        try await withEmulator(configuration) { client in
            let huge = try await client.encore("POST", "users", body: ["UserName": String(repeating: "x", count: 10_000)])
            #expect(huge.status == 400)
            #expect(codes(huge) == [3])
        }
    }
}
