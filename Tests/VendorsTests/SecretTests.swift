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
        for value in [encore, activeconnect] as [Any] {
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
        let activeconnect = ActiveconnectClient(ActiveconnectConfiguration(baseURL: "http://127.0.0.1:1", applicationID: "APP", applicationSecret: Secret("ac-secret-hunter2")), http: http)
        let refused = await vendorError { () async throws(VendorError) in _ = try await activeconnect.hasDevice("x") }
        #expect(refused != nil)
        #expect(!String(describing: refused as Any).contains("hunter2"))
    }
}
