/// GuardantActive911AllthenticateRequestTests.swift: the exact requests of Guardant, Active911 and
/// Allthenticate operations, on the recording server.
import Foundation
import Testing
@testable import Vendors

@Suite struct GuardantActive911AllthenticateRequestTests {
    static let fast = EncoreActiveconnectRequestTests.fast

    @Test func guardantRequests() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            let client = GuardantClient(GuardantConfiguration(baseURL: server.origin, token: HeaderCredential(Secret("tok")), pageSize: 1), http: Self.fast)
            server.answer(
                ScriptedResponse(status: 200, body: #"{"users": [{"_id": 1}]}"#),
                ScriptedResponse(status: 200, body: #"{"users": []}"#),
                ScriptedResponse(status: 200, body: #"{"roles": []}"#),
                ScriptedResponse(status: 200, body: #"{"user": {"_id": 9}}"#),
                ScriptedResponse(status: 200, body: #"{"user": {"_id": 9}}"#))
            #expect(try await client.listUsers(archived: false).map { $0["_id"]?.int } == [1])
            _ = try await client.listRoles()
            _ = try await client.createUser(GuardantNewUser(username: "a@x.com", roleId: 5, password: "pw12345678", firstName: "A"))
            _ = try await client.updateUser(9, GuardantUserChanges(userIsActive: false))
            let requests = server.requests
            #expect(requests.map(\.method) == ["GET", "GET", "GET", "POST", "PUT"])
            #expect(requests.map(\.target) == [
                "/v1.0/users?sortby=name&direction=asc&offset=0&limit=1&archived=false",
                "/v1.0/users?sortby=name&direction=asc&offset=1&limit=1&archived=false",
                "/v1.0/users/roles", "/v1.0/users", "/v1.0/users/9",
            ])
            #expect(requests[3].bodyText == #"{"firstName":"A","password":"pw12345678","passwordConfirm":"pw12345678","roleId":5,"username":"a@x.com"}"#)
            #expect(requests[4].bodyText == #"{"userIsActive":false}"#)
            #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer tok" })
        }
    }

    @Test func active911Requests() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            let client = Active911Client(Active911Configuration(baseURL: server.origin, tokenURL: server.origin, refreshToken: Secret("refresh"),
                                                                agency: "ag-1", requestsPerWindow: 100, window: .seconds(1)), http: Self.fast)
            server.answer(
                ScriptedResponse(status: 200, body: #"{"success": true, "result": [], "message": "", "code": 200, "token": "access-1"}"#),
                ScriptedResponse(status: 200, body: #"{"success": true, "result": [{"id": 5}], "message": "", "code": 200, "token": null}"#),
                ScriptedResponse(status: 200, body: #"{"success": true, "result": {}, "message": "", "code": 200, "token": "access-2"}"#),
                ScriptedResponse(status: 200, body: #"{"success": true, "result": [], "message": "", "code": 200, "token": ""}"#))
            _ = try await client.agencies()
            _ = try await client.createMember(Active911NewMember(name: "N", email: "n@x.com", permissions: ["view_agency"]))
            try await client.deleteMember(5)
            _ = try await client.agencies()
            let requests = server.requests
            #expect(requests.map(\.method) == ["GET", "POST", "DELETE", "GET"])
            #expect(requests.map(\.target) == ["/v2/agencies", "/v2/agency/ag-1/member/create", "/v2/agency/ag-1/member/5", "/v2/agencies"])
            #expect(requests[1].bodyText == #"{"email":"n@x.com","name":"N","permissions":["view_agency"]}"#)
            #expect(requests.allSatisfy { $0.headers["cookie"] == "a911Auth=refresh" })
            // The cookie alone first; then every non-empty token is adopted.
            #expect(requests.map { $0.headers["authorization"] } == [nil, "a911Access access-1", "a911Access access-1", "a911Access access-2"])
        }
    }

    /// A refusal with no body of the vendor's names its status, not the status twice
    /// (`HTTP 404: HTTP 404`); one with an unnamed status says only that nothing came.
    @Test func refusalsWithoutAMessageNameTheirStatus() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            let active911 = Active911Client(Active911Configuration(baseURL: server.origin, tokenURL: server.origin, refreshToken: Secret("refresh"),
                                                                   agency: "ag-1", requestsPerWindow: 100, window: .seconds(1)), http: Self.fast)
            let allthenticate = AllthenticateClient(AllthenticateConfiguration(baseURL: server.origin, apiKey: HeaderCredential(Secret("k"))), http: Self.fast)
            server.answer(ScriptedResponse(status: 404, body: ""), ScriptedResponse(status: 422, body: "  "), ScriptedResponse(status: 499, body: ""))
            let notFound = await vendorError { () async throws(VendorError) in try await active911.deleteMember(5) }
            #expect(notFound?.description == "active911.delete_member: HTTP 404: Not Found (no message from active911)")
            let unprocessable = await vendorError { () async throws(VendorError) in try await allthenticate.promoteGuest(emailID: 7) }
            #expect(unprocessable?.description == "allthenticate.promote_guest: HTTP 422: Unprocessable Entity (no message from allthenticate)")
            let unnamed = await vendorError { () async throws(VendorError) in try await active911.deleteMember(6) }
            #expect(unnamed?.description == "active911.delete_member: HTTP 499: no message from active911")
        }
    }

    @Test func allthenticateRequests() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            let client = AllthenticateClient(AllthenticateConfiguration(baseURL: server.origin, apiKey: HeaderCredential(Secret("key"))), http: Self.fast)
            server.answer(
                ScriptedResponse(status: 200, body: "[]"),
                ScriptedResponse(status: 200, body: #"{"success": "ok"}"#),
                ScriptedResponse(status: 200, body: #"{"success": "ok"}"#),
                ScriptedResponse(status: 200, body: #"{"success": "ok", "added": [], "invited": []}"#))
            _ = try await client.listUsers(includeEmail: true, guests: true)
            try await client.setSmartcards(emailID: 7, [AllthenticateSmartcard(number: "123", label: "Main door")], allowDuplicates: true)
            try await client.deleteUser(emailID: 7, email: "ignored@x.com")
            _ = try await client.invite(["a@x.com"], noEmail: true)
            let requests = server.requests
            #expect(requests.map(\.method) == ["GET", "POST", "DELETE", "PUT"])
            #expect(requests.map(\.target) == ["/multipleusers?email=true&user_tag=GUEST", "/modifysmartcard", "/user", "/invites"])
            #expect(requests[1].bodyText == "email_id=7&smartcards=%5B%7B%22label%22%3A%22Main%20door%22%2C%22number%22%3A%22123%22%7D%5D&allow_duplicates=true")
            #expect(requests[2].bodyText == "email_id=7", "email_id wins over email")
            #expect(requests[3].bodyText == "emails=%5B%22a%40x.com%22%5D&no_email=true")
            #expect(requests[1].headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer key" })
            #expect(requests[0].body.isEmpty)
        }
    }

    @Test func active911AuthenticateAndBulkCreate() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            server.answer(
                ScriptedResponse(status: 200, body: #"{"success": true, "result": {"token": "refresh-new"}, "message": "", "code": 200, "token": null}"#),
                ScriptedResponse(status: 200, body: #"{"success": true, "result": [{"id": 1}, {"id": 2}], "message": "", "code": 200, "token": "access-1"}"#))
            let refresh = try await Active911Client.authenticate(email: "admin@x.com", password: Secret("pw"), tokenURL: server.origin, http: Self.fast)
            #expect(refresh.reveal() == "refresh-new")
            let client = Active911Client(Active911Configuration(baseURL: server.origin, tokenURL: server.origin, refreshToken: refresh,
                                                                agency: "ag-1", requestsPerWindow: 100, window: .seconds(1)), http: Self.fast)
            let created = try await client.createMembers(agency: "ag-2", [
                Active911NewMember(name: "A", email: "a@x.com"),
                Active911NewMember(name: "B", email: "b@x.com", phone: "+15550100", permissions: ["view_agency"]),
            ])
            #expect(created.map { $0["id"]?.int } == [1, 2])
            let requests = server.requests
            #expect(requests.map(\.method) == ["POST", "POST"])
            #expect(requests.map(\.target) == ["/v1/authenticate", "/v2/agency/ag-2/member/bulk_create"])
            #expect(requests[0].bodyText == #"{"email":"admin@x.com","password":"pw"}"#)
            #expect(requests[0].headers["content-type"] == "application/json")
            #expect(requests[0].headers["cookie"] == nil)
            #expect(requests[1].bodyText == #"{"members":[{"email":"a@x.com","name":"A"},{"email":"b@x.com","name":"B","permissions":["view_agency"],"phone":"+15550100"}]}"#)
            #expect(requests[1].headers["cookie"] == "a911Auth=refresh-new")
        }
    }

    @Test func allthenticateRemainingRequests() async throws {
        try await withRecorder { (server: RecordingServer) async throws in
            let client = AllthenticateClient(AllthenticateConfiguration(baseURL: server.origin, apiKey: HeaderCredential(Secret("key"), header: "X-Key", prefix: "")), http: Self.fast)
            let ok = ScriptedResponse(status: 200, body: #"{"success": "ok"}"#)
            server.answer(
                ScriptedResponse(status: 200, body: #"{"policies": [], "computer_usernames": [{"computer_username": "jd"}], "smartcards": []}"#),
                ScriptedResponse(status: 200, body: #"{"policies": [], "computer_usernames": ["jd", "j.doe"], "smartcards": []}"#),
                ok, ok,
                ScriptedResponse(status: 200, body: #"{"email_id": 7, "smartcards": [{"label": "L", "number": "42"}]}"#),
                ok,
                ScriptedResponse(status: 200, body: #"{"suspended": true}"#),
                ok,
                ScriptedResponse(status: 200, body: #"[{"email": "p@x.com", "added_date": "2026-01-02"}]"#),
                ScriptedResponse(status: 200, body: #"{"success": "ok", "invited": ["c@x.com"]}"#))
            // Objects (as /modifyallusernames takes them) and strings (as the page shows) both read.
            #expect(try await client.getUser(emailID: 7)["computer_usernames"] == .array([.string("jd")]))
            #expect(try await client.getUser(emailID: 7)["computer_usernames"] == .array([.string("jd"), .string("j.doe")]))
            try await client.setComputerUsernames(emailID: 7, ["jd", "j.doe"])
            try await client.setRank(userID: 3, .admin)
            #expect(try await client.smartcards(emailID: 7) == [.object(["number": .string("42"), "label": .string("L")])])
            try await client.promoteGuest(emailID: 7)
            #expect(try await client.toggleSuspension(emailID: 7) == .object(["suspended": .bool(true)]))
            try await client.resendInvite("p@x.com")
            #expect(try await client.invites().map { $0["email"]?.string } == ["p@x.com"])
            _ = try await client.invite(["c@x.com"], smartcards: [AllthenticateSmartcard(number: "9")], groups: ["staff"])
            let requests = server.requests
            #expect(requests.map(\.method) == ["GET", "GET", "POST", "POST", "GET", "POST", "POST", "POST", "GET", "PUT"])
            #expect(requests.map(\.target) == [
                "/user?email_id=7", "/user?email_id=7", "/modifyallusernames", "/modifyrank", "/modifysmartcard?email_id=7", "/promoteguest",
                "/togglesuspension", "/invites", "/invites", "/invites",
            ])
            #expect(requests.map(\.bodyText) == [
                "", "",
                "email_id=7&computer_usernames=%5B%7B%22computer_username%22%3A%22jd%22%7D%2C%7B%22computer_username%22%3A%22j.doe%22%7D%5D",
                "admin_user_id=3&rank=ADMIN",
                "",
                "email_id=7",
                "email_id=7",
                "email=p%40x.com",
                "",
                "emails=%5B%22c%40x.com%22%5D&smartcards=%5B%7B%22number%22%3A%229%22%7D%5D&groups=%5B%22staff%22%5D&no_email=false",
            ])
            #expect(requests.allSatisfy { $0.headers["x-key"] == "key" && $0.headers["authorization"] == nil })
        }
    }
}
