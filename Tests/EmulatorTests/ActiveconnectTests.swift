/// ActiveconnectTests.swift: the Activeconnect Management API as emulated.
import Emulator
import Foundation
import Testing

@Suite struct ActiveconnectTests {
    /// VENDORS.md's test vector.
    @Test func theSignatureMatchesTheTestVector() {
        let token = ActiveconnectSignature.token(nonce: "9223372036854775807", secret: "0123456789ABCDEF01234567")
        #expect(token.map { String(format: "%02x", $0) }.joined() == "36580c951387a921e51cb96f149e52f5")
        let signature = ActiveconnectSignature.signature(
            nonce: "9223372036854775807", secret: "0123456789ABCDEF01234567",
            url: "activeconnect.activeapi.ninja/management/add_users/ABCD", timestamp: "1234567890")
        #expect("hmac ABCD:9223372036854775807:\(signature)" == "hmac ABCD:9223372036854775807:5FUib2caaGogu1m8ZzkFEA==")
        #expect(ActiveconnectSignature.Header("hmac ABCD:9223372036854775807:5FUib2caaGogu1m8ZzkFEA==")?.applicationID == "ABCD")
        #expect(ActiveconnectSignature.Header("Bearer x") == nil)
    }

    @Test func addAndDeleteUsers() async throws {
        try await withEmulator { client in
            let added = try await client.activeconnect("POST", "add_users/DEMOAPP", body: ["users": ["new@example.com", "ada@example.com"]])
            #expect(added.status == 201)
            let users = added.object["users"] as? [String: [String]]
            #expect(added.object["status"] as? Bool == true)
            #expect(users?["created"] == ["new@example.com"])
            #expect(users?["existing"] == ["ada@example.com"])

            #expect(try await client.activeconnect("POST", "add_users/DEMOAPP", body: ["users": "not-a-list"]).status == 400)
            let deleted = try await client.activeconnect("POST", "delete_users/DEMOAPP", body: ["users": ["new@example.com"]])
            #expect(deleted.status == 200)
            #expect(deleted.object["status"] as? Bool == true)
            // A logical failure is HTTP 200 with status false.
            let again = try await client.activeconnect("POST", "delete_users/DEMOAPP", body: ["users": ["new@example.com"]])
            #expect(again.status == 200)
            #expect(again.object["status"] as? Bool == false)
            #expect((again.object["reason"] as? String)?.contains("new@example.com") == true)
        }
    }

    @Test func credentialsAreVerified() async throws {
        try await withEmulator { client in
            let path = "has_registered_mobile_device/DEMOAPP/ada%40example.com"
            #expect(try await client.activeconnect("GET", path).status == 200)
            #expect(try await client.activeconnect("GET", path, secret: "wrong-secret").status == 401)
            let stale = Int(Date().timeIntervalSince1970) - 301
            #expect(try await client.activeconnect("GET", path, timestamp: stale).status == 401)
            #expect(try await client.activeconnect("GET", path, app: "OTHER").status == 401)
            let unsigned = try await client.send("GET", "/activeconnect/management/" + path)
            #expect(unsigned.status == 401)
            #expect(unsigned.text.hasPrefix("Unauthorized"))
        }
    }

    @Test func unknownUsersAndApplicationsAre404PlainText() async throws {
        try await withEmulator { client in
            let user = try await client.activeconnect("GET", "has_registered_mobile_device/DEMOAPP/nobody%40example.com")
            #expect(user.status == 404)
            #expect(user.headers["content-type"]?.hasPrefix("text/plain") == true)
            let app = try await client.activeconnect("GET", "has_registered_mobile_device/NOAPP/ada", app: "NOAPP")
            #expect(app.status == 404)
        }
    }

    @Test func theDeviceLifeCycle() async throws {
        try await withEmulator { client in
            let user = "grace%40example.com"
            #expect(try await client.activeconnect("GET", "has_registered_mobile_device/DEMOAPP/\(user)").object["device_registered"] as? Bool == false)
            let link = try await client.activeconnect("GET", "device_registration_link/DEMOAPP/\(user)?display_name=Grace")
            #expect(link.object["status"] as? Bool == true)
            let url = try #require(link.object["register_url"] as? String)
            #expect(url.hasPrefix(client.emulator.origin))

            // The control API marks the link used: the device is registered.
            let used = try await client.send("POST", "/_emulator/activeconnect/DEMOAPP/\(user)/register-device")
            #expect(used.status == 200)
            #expect(try await client.activeconnect("GET", "has_registered_mobile_device/DEMOAPP/\(user)").object["device_registered"] as? Bool == true)

            // Lost: the device is disabled and a new link issued.
            let lost = try await client.activeconnect("GET", "lost_user_mobile_device/DEMOAPP/\(user)")
            let newURL = try #require(lost.object["register_url"] as? String)
            #expect(newURL != url)
            #expect(try await client.activeconnect("GET", "has_registered_mobile_device/DEMOAPP/\(user)").object["device_registered"] as? Bool == false)
            let lostAgain = try await client.activeconnect("GET", "lost_user_mobile_device/DEMOAPP/\(user)")
            #expect(lostAgain.object["status"] as? Bool == false)
            #expect(try await client.send("POST", "/_emulator/activeconnect/DEMOAPP/linus%40example.com/register-device").status == 404)
        }
    }

    @Test func registrationSMS() async throws {
        try await withEmulator { client in
            let sent = try await client.activeconnect("POST", "send_registration_sms/DEMOAPP/ada%40example.com", body: ["phone_number": "+15550100"])
            #expect(sent.object["status"] as? Bool == true)
            let bad = try await client.activeconnect("POST", "send_registration_sms/DEMOAPP/ada%40example.com", body: ["phone_number": "555"])
            #expect(bad.status == 200)
            #expect(bad.object["status"] as? Bool == false)
            let malformed = try await client.activeconnect("POST", "send_registration_sms/DEMOAPP/ada%40example.com", body: ["phone": 1])
            #expect(malformed.status == 400)
        }
    }
}
