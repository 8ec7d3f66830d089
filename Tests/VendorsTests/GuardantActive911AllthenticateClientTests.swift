/// GuardantActive911AllthenticateClientTests.swift: Guardant, Active911 and Allthenticate against the
/// emulator: every operation, and the failure paths.
import Emulator
import Engine
import Foundation
import Testing
@testable import Vendors

@Suite struct GuardantActive911AllthenticateClientTests {
    static let http = EncoreActiveconnectClientTests.http

    func withEmulator(_ configuration: EmulatorConfiguration = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs), _ body: (RunningEmulator) async throws -> Void) async throws {
        let emulator = try await Emulator.start(configuration)
        do {
            try await body(emulator)
        } catch {
            await emulator.stop()
            throw error
        }
        await emulator.stop()
    }

    @Test func guardantEveryOperation() async throws {
        try await withEmulator { emulator in
            let guardant = GuardantClient(GuardantConfiguration(baseURL: emulator.baseURL("guardant"), token: HeaderCredential(Secret(GuardantAPI.token)), pageSize: 2), http: Self.http)
            #expect(try await guardant.listUsers().compactMap { $0["email"]?.string } == ["grace@example.com", "ada@example.com", "alan@example.com"])
            #expect(try await guardant.listUsers(archived: true).compactMap { $0["email"]?.string } == ["alan@example.com"])
            #expect(try await guardant.listRoles().map { $0["_id"]?.int } == [2, 3, 4, 5])
            let user = try await guardant.createUser(GuardantNewUser(username: "linus@example.com", roleId: 5, password: "Str0ng-pass", firstName: "Linus", lastName: "T"))
            #expect(user["userdetails"]?["role"]?["_id"]?.int == 5)
            let changed = try await guardant.updateUser(user["_id"]?.int ?? 0, GuardantUserChanges(userIsActive: false, archived: true))
            #expect(changed["status"] == .bool(false))
            #expect(changed["userdetails"]?["archived"] == .bool(true))

            let duplicate = await vendorError { () async throws(VendorError) in
                _ = try await guardant.createUser(GuardantNewUser(username: "linus@example.com", roleId: 5, password: "Str0ng-pass"))
            }
            #expect(duplicate?.status == 409)
            #expect(duplicate?.code == "7")
            let missing = await vendorError { () async throws(VendorError) in _ = try await guardant.updateUser(999_999, GuardantUserChanges(firstName: "x")) }
            #expect(missing?.status == 404)
            let wrong = GuardantClient(GuardantConfiguration(baseURL: emulator.baseURL("guardant"), token: HeaderCredential(Secret("wrong"))), http: Self.http)
            #expect(await vendorError { () async throws(VendorError) in _ = try await wrong.listRoles() }?.status == 401)
        }
    }

    @Test func allthenticateEveryOperation() async throws {
        try await withEmulator { emulator in
            let client = AllthenticateClient(AllthenticateConfiguration(baseURL: emulator.baseURL("allthenticate"), apiKey: HeaderCredential(Secret(AllthenticateAPI.apiKey))), http: Self.http)
            #expect(try await client.listUsers(includeEmail: true).count == 3)
            let guests = try await client.listUsers(guests: true)
            #expect(guests.first?["email_id"] == .int(103))
            try await client.promoteGuest(emailID: 103)
            try await client.setSmartcards(emailID: 103, [AllthenticateSmartcard(number: "555000111", label: "Gus")])
            #expect(try await client.smartcards(emailID: 103) == [.object(["number": .string("555000111"), "label": .string("Gus")])])
            try await client.setComputerUsernames(emailID: 103, ["gus"])
            #expect(try await client.getUser(emailID: 103)["computer_usernames"] == .array([.string("gus")]))
            try await client.setRank(userID: 3, .admin)
            #expect(try await client.toggleSuspension(emailID: 103)["suspended"] == .bool(true))
            let invited = try await client.invite(["new@example.com", "ada@example.com"], groups: ["Ops"])
            #expect(invited["invited"] == .array([.string("new@example.com")]))
            #expect(invited["exists"] == .array([.string("ada@example.com")]))
            try await client.resendInvite("new@example.com")
            #expect(try await client.invites().map { $0["email"]?.string } == ["pending@example.com", "new@example.com"])
            try await client.deleteUser(emailID: 103)

            let again = await vendorError { () async throws(VendorError) in try await client.promoteGuest(emailID: 102) }
            #expect(again?.status == 400)
            #expect(again?.message == "grace@example.com is not a guest")
            let taken = await vendorError { () async throws(VendorError) in
                try await client.setSmartcards(emailID: 102, [AllthenticateSmartcard(number: "100200300")])
            }
            #expect(taken?.status == 400)
            try await client.setSmartcards(emailID: 102, [AllthenticateSmartcard(number: "100200300")], allowDuplicates: true)
            let wrong = AllthenticateClient(AllthenticateConfiguration(baseURL: emulator.baseURL("allthenticate"), apiKey: HeaderCredential(Secret("wrong"))), http: Self.http)
            #expect(await vendorError { () async throws(VendorError) in _ = try await wrong.invites() }?.status == 401)
        }
    }

    @Test func active911EveryOperationAdoptingTokens() async throws {
        try await withEmulator { emulator in
            let base = emulator.baseURL("active911")
            let refresh = try await Active911Client.authenticate(email: Active911API.email, password: Secret(Active911API.password), tokenURL: base, http: Self.http)
            #expect(refresh.reveal() == Active911API.refreshToken)
            let bad = await vendorError { () async throws(VendorError) in
                _ = try await Active911Client.authenticate(email: Active911API.email, password: Secret("nope"), tokenURL: base, http: Self.http)
            }
            #expect(bad?.status == 401)

            let client = Active911Client(Active911Configuration(baseURL: base, tokenURL: base, refreshToken: refresh, agency: Active911API.agency), http: Self.http)
            #expect(try await client.agencies().count == 2)
            let token = client.currentAccessToken
            #expect(token != nil, "the token the first call returned is adopted")
            #expect(try await client.agencies().count == 2)
            #expect(client.currentAccessToken == token, "a valid token is kept")
            let member = try await client.createMember(Active911NewMember(name: "Grace", email: "grace@example.com", permissions: ["view_agency"]))
            let members = try await client.createMembers([Active911NewMember(name: "A", email: "a@example.com"), Active911NewMember(name: "B", email: "b@example.com")])
            #expect(members.count == 2)
            try await client.deleteMember(member["id"]?.int ?? 0)
            let gone = await vendorError { () async throws(VendorError) in try await client.deleteMember(member["id"]?.int ?? 0) }
            #expect(gone?.status == 404)
            #expect(gone?.message == "member not found")
            let invalid = await vendorError { () async throws(VendorError) in
                _ = try await client.createMember(Active911NewMember(name: "X", email: "x@example.com", permissions: ["fly"]))
            }
            #expect(invalid?.status == 400)
            let noAgency = Active911Client(Active911Configuration(baseURL: base, tokenURL: base, refreshToken: refresh), http: Self.http)
            #expect(await vendorError { () async throws(VendorError) in try await noAgency.deleteMember(1) }?.message.contains("no agency") == true)
            let wrong = Active911Client(Active911Configuration(baseURL: base, tokenURL: base, refreshToken: Secret("wrong")), http: Self.http)
            #expect(await vendorError { () async throws(VendorError) in _ = try await wrong.agencies() }?.status == 401)
        }
    }

    @Test func active911PacesBelowTheLimit() async throws {
        // The emulator allows 4 requests a second; the client paces itself to 4 per 1.3 s,
        // shared by concurrent calls, so no call meets a 429.
        try await withEmulator(EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs, rateLimits: ["active911": RateLimit(requests: 4, window: .seconds(1))])) { emulator in
            let base = emulator.baseURL("active911")
            let configuration = Active911Configuration(baseURL: base, tokenURL: base, refreshToken: Secret(Active911API.refreshToken),
                                                       requestsPerWindow: 4, window: .milliseconds(1300))
            let clock = ContinuousClock()
            let start = clock.now
            let noRetry = VendorHTTP(timeout: .seconds(60), retry: .none)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        // A second client of the same account shares the budget.
                        try await Active911Client(configuration, http: noRetry).agencies().count
                    }
                }
                for try await count in group { #expect(count == 2) }
            }
            #expect(clock.now - start >= .seconds(2), "10 calls at 4 a second take two windows")
        }
    }
}
