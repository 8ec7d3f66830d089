/// SecretTests.swift: credentials never show in a description, a dump or an error.
import Foundation
import Testing
@testable import Vendors

@Suite struct SecretTests {
    @Test func secretsNeverPrint() throws {
        let secret = Secret("hunter2-very-secret")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))

        let encore = EncoreConfiguration(subscriptionKey: Secret("encore-key-hunter2"))
        let activeconnect = ActiveconnectConfiguration(applicationID: "APP", applicationSecret: Secret("ac-secret-hunter2"))
        let guardant = GuardantConfiguration(token: HeaderCredential(Secret("guardant-hunter2")))
        let active911 = Active911Configuration(refreshToken: Secret("a911-hunter2"))
        let allthenticate = AllthenticateConfiguration(apiKey: HeaderCredential(Secret("allth-hunter2")))
        let clients: [Any] = [EncoreClient(encore), ActiveconnectClient(activeconnect), GuardantClient(guardant),
                              Active911Client(active911), AllthenticateClient(allthenticate)]
        for value in [encore, activeconnect, guardant, active911, allthenticate] as [Any] + clients {
            var text = ""
            dump(value, to: &text)
            #expect(!text.contains("hunter2"), "\(text)")
            #expect(!String(describing: value).contains("hunter2"))
            #expect(!String(reflecting: value).contains("hunter2"))
        }
    }

    @Test func errorsCarryNoCredentials() async throws {
        // A refused connection: the error names the operation, not the request.
        let http = VendorHTTP(timeout: .seconds(2), retry: .none)
        let encore = EncoreClient(EncoreConfiguration(baseURL: "http://127.0.0.1:1", subscriptionKey: Secret("encore-key-hunter2")), http: http)
        let error = await vendorError { () async throws(VendorError) in _ = try await encore.getUser(.internal(1)) }
        #expect(error?.status == nil)
        #expect(error?.retryable == true)
        #expect(error?.description.contains("hunter2") == false)
        #expect(error?.description.hasPrefix("encore.get_user: no response: ") == true)
        // Where it could not connect, from the base URL: never its user or password. (A long
        // timeout: on a loaded machine a refusal must not turn into a timeout.)
        let patient = VendorHTTP(timeout: .seconds(60), retry: .none)
        let withUser = EncoreClient(EncoreConfiguration(baseURL: "http://ada:hunter2@127.0.0.1:1/encore", subscriptionKey: Secret("k")), http: patient)
        let named = await vendorError { () async throws(VendorError) in _ = try await withUser.getUser(.internal(1)) }
        #expect(named?.description == "encore.get_user: no response: could not connect to 127.0.0.1:1 (connection refused)", "\(String(describing: named))")
        let activeconnect = ActiveconnectClient(ActiveconnectConfiguration(baseURL: "http://127.0.0.1:1", applicationID: "APP", applicationSecret: Secret("ac-secret-hunter2")), http: http)
        let guardant = GuardantClient(GuardantConfiguration(baseURL: "http://127.0.0.1:1", token: HeaderCredential(Secret("guardant-hunter2"))), http: http)
        let allthenticate = AllthenticateClient(AllthenticateConfiguration(baseURL: "http://127.0.0.1:1", apiKey: HeaderCredential(Secret("allth-hunter2"))), http: http)
        let active911 = Active911Client(Active911Configuration(baseURL: "http://127.0.0.1:1", tokenURL: "http://127.0.0.1:1", refreshToken: Secret("a911-hunter2")), http: http)
        for failure in [
            await vendorError { () async throws(VendorError) in _ = try await guardant.listRoles() },
            await vendorError { () async throws(VendorError) in _ = try await allthenticate.invites() },
            await vendorError { () async throws(VendorError) in _ = try await active911.agencies() },
        ] {
            #expect(failure != nil)
            #expect(!String(describing: failure as Any).contains("hunter2"))
        }
        let refused = await vendorError { () async throws(VendorError) in _ = try await activeconnect.hasDevice("x") }
        #expect(refused != nil)
        #expect(!String(describing: refused as Any).contains("hunter2"))
    }
}
