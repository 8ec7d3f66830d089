/// EncoreActiveconnectClientTests.swift: every Encore and Activeconnect operation against the built-in emulator,
/// including the failure paths.
import Emulator
import Engine
import Foundation
import Testing
@testable import Vendors

@Suite struct EncoreActiveconnectClientTests {
    /// Generous timeouts, as `EncoreActiveconnectRequestTests.fast`: the emulator answers at
    /// once, but not always within 5 s while a full suite loads a 2-core machine.
    static let http = VendorHTTP(timeout: .seconds(60), retry: RetryPolicy(attempts: 4, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(20)))

    func withClients(_ configuration: EmulatorConfiguration = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs),
                     _ body: (RunningEmulator, EncoreClient, ActiveconnectClient) async throws -> Void) async throws {
        let emulator = try await Emulator.start(configuration)
        defer { Task { await emulator.stop() } }
        let encore = EncoreClient(EncoreConfiguration(baseURL: emulator.baseURL("encore"), subscriptionKey: Secret(EncoreAPI.subscriptionKey)), http: Self.http)
        let activeconnect = ActiveconnectClient(ActiveconnectConfiguration(
            baseURL: emulator.baseURL("activeconnect"), applicationID: ActiveconnectAPI.applicationID,
            applicationSecret: Secret(ActiveconnectAPI.applicationSecret)), http: Self.http)
        try await body(emulator, encore, activeconnect)
        await emulator.stop()
    }

    @Test func encoreEveryOperation() async throws {
        try await withClients { _, encore, _ in
            #expect(try await encore.listUsers().compactMap { $0["UserName"]?.string } == ["ada", "grace", "linus"])
            #expect(try await encore.getUser(.external("E1002"))["FirstName"]?.string == "Grace")
            var user = EncoreUser()
            user.userName = "alan"
            user.password = "Secret#1"
            user.licenseType = 1
            user.roleId = 3
            let id = try await encore.createUser(user)
            var change = EncoreUser()
            change.phone = "5550199"
            #expect(try await encore.updateUser(.internal(id), change) == id)
            #expect(try await encore.getUser(.internal(id))["Phone"]?.string == "5550199")
            var replacement = user
            replacement.firstName = "Alan"
            #expect(try await encore.replaceUser(.internal(id), replacement) == id)
            try await encore.deactivateUser(.internal(id))
            #expect(try await encore.getUser(.internal(id))["IsActive"] == .bool(false))
            #expect(try await encore.activateUser(.internal(id)) == id)
        }
    }

    @Test func encoreFailures() async throws {
        try await withClients { (emulator: RunningEmulator, encore: EncoreClient, _: ActiveconnectClient) async throws in
            var duplicate = EncoreUser()
            duplicate.userName = "ada"
            duplicate.password = "x"
            duplicate.licenseType = 1
            await #expect(throws: VendorError(vendor: .encore, operation: "create_user", status: 400, code: "115", message: "UserName already exists", retryable: false)) {
                try await encore.createUser(duplicate)
            }
            await #expect(throws: VendorError(vendor: .encore, operation: "get_user", status: 404, code: "128", message: "User not found or deleted.", retryable: false)) {
                try await encore.getUser(.internal(9999))
            }
            await #expect(throws: VendorError(vendor: .encore, operation: "deactivate_user", status: 400, code: "106", message: "User already deleted or deactivated", retryable: false)) {
                try await encore.deactivateUser(.internal(1003))
            }
            let wrongKey = EncoreClient(EncoreConfiguration(baseURL: emulator.baseURL("encore"), subscriptionKey: Secret("wrong")), http: Self.http)
            let error = await vendorError { () async throws(VendorError) in _ = try await wrongKey.listUsers() }
            #expect(error?.status == 401)
            #expect(error?.message.hasPrefix("Access denied") == true)
        }
    }

    @Test func transientFaultsAreRetriedThrough() async throws {
        // Half the answers are 503s and 429s (the same ones for this seed); reads get through.
        var configuration = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs, seed: 3)
        configuration.faults = try FaultSpec(parsing: "error503=0.3,error429=0.2")
        try await withClients(configuration) { (emulator: RunningEmulator, encore: EncoreClient, _: ActiveconnectClient) async throws in
            let patient = EncoreClient(encore.configuration, http: VendorHTTP(
                timeout: .seconds(60), retry: RetryPolicy(attempts: 8, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(5))))
            for _ in 0..<10 { #expect(try await patient.getUser(.internal(1001))["UserName"]?.string == "ada") }
            emulator.world.faults.update(try FaultSpec(parsing: "error503=1"), seed: 1)
            let error = await vendorError { () async throws(VendorError) in _ = try await encore.getUser(.internal(1001)) }
            #expect(error?.status == 503)
            #expect(error?.retryable == true)
        }
    }

    @Test func activeconnectEveryOperation() async throws {
        try await withClients { (emulator: RunningEmulator, _: EncoreClient, activeconnect: ActiveconnectClient) async throws in
            let added = try await activeconnect.addUsers(["new user@example.com", "ada@example.com"])
            #expect(added == .init(created: ["new user@example.com"], existing: ["ada@example.com"]))
            #expect(try await activeconnect.hasDevice("new user@example.com") == false)
            let link = try await activeconnect.registrationLink("new user@example.com", displayName: "New User")
            #expect(link.hasPrefix(emulator.origin))
            try await activeconnect.sendRegistrationSMS("new user@example.com", phone: "+15550100", displayName: "New", message: "Welcome")
            #expect(try await activeconnect.hasDevice("ada@example.com"))
            let newLink = try await activeconnect.lostDevice("ada@example.com")
            #expect(!newLink.isEmpty)
            #expect(try await activeconnect.hasDevice("ada@example.com") == false)
            try await activeconnect.deleteUsers(["new user@example.com"])
        }
    }

    @Test func activeconnectFailures() async throws {
        try await withClients { (emulator: RunningEmulator, _: EncoreClient, activeconnect: ActiveconnectClient) async throws in
            // HTTP 200 with status false is a failure.
            let error = await vendorError { () async throws(VendorError) in try await activeconnect.deleteUsers(["nobody@example.com"]) }
            #expect(error?.status == 200)
            #expect(error?.message.contains("nobody@example.com") == true)
            #expect(error?.retryable == false)
            // Said as the vendor's refusal, not as if HTTP had failed.
            #expect(error?.description.hasPrefix("activeconnect.delete_users: refused (HTTP 200): ") == true, "\(String(describing: error))")
            let missing = await vendorError { () async throws(VendorError) in _ = try await activeconnect.hasDevice("nobody@example.com") }
            #expect(missing?.status == 404)
            #expect(missing?.message == "User nobody@example.com not found")
            let wrong = ActiveconnectClient(ActiveconnectConfiguration(
                baseURL: emulator.baseURL("activeconnect"), applicationID: ActiveconnectAPI.applicationID,
                applicationSecret: Secret("not-the-secret")), http: Self.http)
            let denied = await vendorError { () async throws(VendorError) in _ = try await wrong.hasDevice("ada@example.com") }
            #expect(denied?.status == 401)
            #expect(denied?.operation == "has_device")
        }
    }
}
