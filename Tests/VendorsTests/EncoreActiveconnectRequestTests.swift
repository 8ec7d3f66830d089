/// EncoreActiveconnectRequestTests.swift: the exact requests each Activeconnect and Encore operation sends (method, path and
/// query, headers, body bytes), checked on a recording server.
import Foundation
import Testing
@testable import Vendors

@Suite struct EncoreActiveconnectRequestTests {
    /// Generous timeouts: the scripted server answers at once, but a full suite on a 2-core
    /// machine runs some 90 threads at a time, and a request then waited over 5 s.
    static let fast = VendorHTTP(timeout: .seconds(60), retry: RetryPolicy(attempts: 3, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(50)))

    func encore(_ server: RecordingServer, apiVersion: Int? = nil, pageSize: Int = 500) -> EncoreClient {
        EncoreClient(EncoreConfiguration(baseURL: server.origin, subscriptionKey: Secret("key-123"), apiVersion: apiVersion, pageSize: pageSize), http: Self.fast)
    }

    @Test func theActiveconnectTestVector() {
        #expect(ActiveconnectSigner.signature(nonce: "9223372036854775807", secret: "0123456789ABCDEF01234567",
                                              url: "activeconnect.activeapi.ninja/management/add_users/ABCD", timestamp: "1234567890")
                == "5FUib2caaGogu1m8ZzkFEA==")
        let signer = ActiveconnectSigner(applicationID: "ABCD", secret: Secret("0123456789ABCDEF01234567"),
                                         nonce: { 9_223_372_036_854_775_807 }, now: { 1_234_567_890 })
        let headers = Dictionary(uniqueKeysWithValues: signer.headers(for: "https://activeconnect.activeapi.ninja/management/add_users/ABCD"))
        #expect(headers["Authentication"] == "hmac ABCD:9223372036854775807:5FUib2caaGogu1m8ZzkFEA==")
        #expect(headers["X-Sonikpass-Authentication-Timestamp"] == "1234567890")
        #expect(headers["X-Sonikpass-Authentication-Version"] == "1")
    }

    @Test func activeconnectRequests() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            let client = ActiveconnectClient(ActiveconnectConfiguration(baseURL: server.origin, applicationID: "APP 1", applicationSecret: Secret("s3cret")), http: Self.fast)
                .fixing(nonce: 42, timestamp: 1_700_000_000)
            server.answer(
                ScriptedResponse(status: 201, body: #"{"status": true, "users": {"created": ["a b@x.com"], "existing": []}}"#),
                ScriptedResponse(status: 200, body: #"{"register_url": "https://r/1", "status": true}"#),
                ScriptedResponse(status: 200, body: #"{"status": true}"#))
            #expect(try await client.addUsers(["a b@x.com"]).created == ["a b@x.com"])
            #expect(try await client.registrationLink("a b@x.com", displayName: "A B") == "https://r/1")
            try await client.sendRegistrationSMS("a b@x.com", phone: "+15550100")

            let requests = server.requests
            #expect(requests.map(\.method) == ["POST", "GET", "POST"])
            #expect(requests.map(\.target) == [
                "/management/add_users/APP+1",
                "/management/device_registration_link/APP+1/a+b%40x.com?display_name=A+B",
                "/management/send_registration_sms/APP+1/a+b%40x.com",
            ])
            #expect(requests[0].bodyText == #"{"users":["a b@x.com"]}"#)
            #expect(requests[2].bodyText == #"{"phone_number":"+15550100"}"#)
            let url = "127.0.0.1:\(server.origin.split(separator: ":").last!)/management/add_users/APP+1"
            let signature = ActiveconnectSigner.signature(nonce: "42", secret: "s3cret", url: url, timestamp: "1700000000")
            #expect(requests[0].headers["authentication"] == "hmac APP 1:42:\(signature)")
            #expect(requests[0].headers["x-sonikpass-authentication-version"] == "1")
            #expect(requests[0].headers["content-type"] == "application/json")
        }
    }

    @Test func encoreRequests() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            server.answer(
                ScriptedResponse(status: 200, body: #"{"UserId": 7, "UserName": "ada"}"#),
                ScriptedResponse(status: 201, body: #"{"Id": 8}"#),
                ScriptedResponse(status: 200, body: #"{"Id": 8}"#),
                ScriptedResponse(status: 200, body: ""))
            let client = encore(server)
            #expect(try await client.getUser(.internal(7))["UserName"]?.string == "ada")
            var user = EncoreUser()
            user.userName = "bob"
            user.email = "bob@example.com"
            user.licenseType = 1
            #expect(try await client.createUser(user) == 8)
            var change = EncoreUser()
            change.phone = "555"
            #expect(try await client.updateUser(.external("E 8/1"), change) == 8)
            try await client.deactivateUser(.internal(8))

            let requests = server.requests
            #expect(requests.map(\.method) == ["GET", "POST", "PATCH", "DELETE"])
            #expect(requests.map(\.target) == [
                "/users/v1/users/7?use-external-id=false", "/users/v1/users",
                "/users/v1/users/E%208%2F1?use-external-id=true", "/users/v1/users/8/active?use-external-id=false",
            ])
            // Only the given fields, never a null.
            #expect(requests[1].bodyText == #"{"Email":"bob@example.com","LicenseType":1,"UserName":"bob"}"#)
            #expect(requests[2].bodyText == #"{"Phone":"555"}"#)
            #expect(requests.allSatisfy { $0.headers["ocp-apim-subscription-key"] == "key-123" })
            #expect(requests.allSatisfy { $0.headers["x-api-version"] == nil })
            #expect(requests[0].body.isEmpty)
        }
    }

    @Test func encoreListingFollowsPagesAndSendsTheVersion() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            server.answer(
                ScriptedResponse(status: 200, body: #"[{"UserId": 1}, {"UserId": 2}]"#),
                ScriptedResponse(status: 200, body: #"[{"UserId": 3}, {"UserId": 4}]"#),
                ScriptedResponse(status: 204, body: ""))
            let users = try await encore(server, apiVersion: 15, pageSize: 2).listUsers()
            #expect(users.compactMap { $0["UserId"]?.int } == [1, 2, 3, 4])
            #expect(server.requests.map(\.target) == [
                "/users/v1/users?pageNumber=1&pageSize=2", "/users/v1/users?pageNumber=2&pageSize=2", "/users/v1/users?pageNumber=3&pageSize=2",
            ])
            #expect(server.requests.allSatisfy { $0.headers["x-api-version"] == "15" })
        }
    }

    @Test func safeRequestsRetryAndCreatingOnesNever() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            server.answer(
                ScriptedResponse(status: 503, body: "busy"),
                ScriptedResponse(status: 429, body: "slow down", headers: ["Retry-After": "0"]),
                ScriptedResponse(status: 200, body: #"{"UserId": 7}"#))
            #expect(try await encore(server).getUser(.internal(7))["UserId"]?.int == 7)
            #expect(server.requests.count == 3)

            server.answer(ScriptedResponse(status: 503, body: "busy"))
            await #expect(throws: VendorError.self) { try await encore(server).createUser(EncoreUser()) }
            #expect(server.requests.count == 4, "a creating POST is never retried")

            server.answer(ScriptedResponse(status: 503, body: ""), ScriptedResponse(status: 503, body: ""), ScriptedResponse(status: 503, body: ""))
            let error = await vendorError { () async throws(VendorError) in _ = try await encore(server).getUser(.internal(7)) }
            #expect(error?.status == 503)
            #expect(error?.retryable == true)
            #expect(error?.description == "encore.get_user: HTTP 503: Service Unavailable (no message from encore)")
            #expect(server.requests.count == 7, "three attempts in all")
        }
    }
}
