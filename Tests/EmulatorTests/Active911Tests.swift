/// Active911Tests.swift: the Active911 Member API, its token refresh and rate limit.
import Emulator
import Engine
import Foundation
import Testing

@Suite struct Active911Tests {
    let agency = Active911API.agency

    @Test func authenticatingGivesTheRefreshToken() async throws {
        try await withEmulator { client in
            let good = try await client.active911("POST", "v1/authenticate", body: ["email": "admin@example.com", "password": "demo-active911-password"], refresh: nil)
            #expect((good.object["result"] as? [String: Any])?["token"] as? String == Active911API.refreshToken)
            let bad = try await client.active911("POST", "v1/authenticate", body: ["email": "admin@example.com", "password": "nope"], refresh: nil)
            #expect(bad.status == 401)
            #expect(bad.object["success"] as? Bool == false)
        }
    }

    @Test func anExpiredAccessTokenIsRefreshedFromTheCookie() async throws {
        try await withEmulator { client in
            // No access token yet: served, with a fresh one in `token`.
            let first = try await client.active911("GET", "v2/agencies")
            #expect(first.status == 200)
            #expect((first.object["result"] as? [[String: Any]])?.count == 2)
            let token = try #require(first.object["token"] as? String)
            // The token's exp is in milliseconds, iat in seconds.
            let payload = token.split(separator: ".")[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            let padded = payload + String(repeating: "=", count: (4 - payload.count % 4) % 4)
            let claims = try #require(try JSONSerialization.jsonObject(with: Data(base64Encoded: padded)!) as? [String: Any])
            let exp = try #require(claims["exp"] as? Int64), iat = try #require(claims["iat"] as? Int64)
            #expect(exp > iat * 1000)

            // A valid access token: served, no new token.
            let second = try await client.active911("GET", "v2/agencies", access: token)
            #expect(second.object["token"] is NSNull)
            // Expired: served with a fresh token.
            #expect(try await client.send("POST", "/_emulator/active911/expire-tokens").status == 200)
            let third = try await client.active911("GET", "v2/agencies", access: token)
            #expect(third.status == 200)
            #expect((third.object["token"] as? String).map { $0 != token } == true)
            // A bad cookie is refused whatever the access token.
            #expect(try await client.active911("GET", "v2/agencies", access: token, refresh: "wrong").status == 401)
        }
    }

    @Test func aValidAccessTokenNeedsNoCookie() async throws {
        try await withEmulator { client in
            let first = try await client.active911("GET", "v2/agencies")
            let token = try #require(first.object["token"] as? String)
            // The vendor's page: the cookie is optional, only there to refresh.
            let bare = try await client.active911("GET", "v2/agencies", access: token, refresh: nil)
            #expect(bare.status == 200)
            #expect(bare.object["token"] is NSNull)
            // The listing carries each agency's members.
            let agencies = try #require(bare.object["result"] as? [[String: Any]])
            let members = try #require(agencies.first { $0["id"] as? String == agency }?["members"] as? [[String: Any]])
            #expect(members.first?["email"] as? String == "ada@example.com")
            #expect(members.first?["id"] as? Int == 501)
            // Neither a usable token nor a cookie: refused.
            #expect(try await client.active911("GET", "v2/agencies", refresh: nil).status == 401)
            #expect(try await client.active911("GET", "v2/agencies", access: "forged", refresh: nil).status == 401)
            #expect(try await client.send("POST", "/_emulator/active911/expire-tokens").status == 200)
            let expired = try await client.active911("GET", "v2/agencies", access: token, refresh: nil)
            #expect(expired.status == 401)
            #expect((expired.object["message"] as? String)?.contains("expired") == true)
        }
    }

    @Test func membersAreCreatedInBulkAndDeleted() async throws {
        try await withEmulator { client in
            let created = try await client.active911("POST", "v2/agency/\(agency)/member/create",
                                                     body: ["name": "Grace Hopper", "email": "grace@example.com", "phone": "+15550102", "permissions": ["view_agency"]])
            let member = try #require((created.object["result"] as? [[String: Any]])?.first)
            let id = try #require(member["id"] as? Int)
            let bulk = try await client.active911("POST", "v2/agency/\(agency)/member/bulk_create",
                                                  body: ["members": [["name": "A", "email": "a@example.com"], ["name": "B", "email": "b@example.com", "permissions": ["edit_agency"]]]])
            #expect((bulk.object["result"] as? [[String: Any]])?.count == 2)
            let invalid = try await client.active911("POST", "v2/agency/\(agency)/member/bulk_create",
                                                     body: ["members": [["name": "C", "email": "c@example.com", "permissions": ["fly"]]]])
            #expect(invalid.status == 400)
            #expect((invalid.object["message"] as? String)?.contains("member #1") == true)

            for wrong in [["name": 5, "email": "x@example.com"], ["name": "X", "email": "x@example.com", "permissions": "view_agency"],
                          ["name": "X", "email": "x@example.com", "phone": 5550100]] as [[String: Any]] {
                let refused = try await client.active911("POST", "v2/agency/\(agency)/member/create", body: wrong)
                #expect(refused.status == 400, "\(wrong)")
                #expect(refused.object["success"] as? Bool == false)
            }

            let deleted = try await client.active911("DELETE", "v2/agency/\(agency)/member/\(id)")
            #expect(deleted.object["success"] as? Bool == true)
            #expect(try await client.active911("DELETE", "v2/agency/\(agency)/member/\(id)").status == 404)
            #expect(try await client.active911("GET", "v2/agency/no-such-agency/member/1").status == 404)
            #expect(try await client.active911("POST", "v2/agency/no-such-agency/member/create", body: ["name": "x", "email": "x@example.com"]).status == 404)
        }
    }

    @Test func theRateLimitAnswers429WithRetryAfter() async throws {
        // A window no loaded machine outlasts while sending six requests.
        let configuration = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs, rateLimits: ["active911": RateLimit(requests: 5, window: .seconds(60))])
        try await withEmulator(configuration) { client in
            for _ in 0..<5 { #expect(try await client.active911("GET", "v2/agencies").status == 200) }
            let limited = try await client.active911("GET", "v2/agencies")
            #expect(limited.status == 429)
            let retryAfter = try #require(limited.headers["retry-after"].flatMap { Int($0) })
            #expect((1...60).contains(retryAfter))
            #expect(limited.object["success"] as? Bool == false)
        }
        // The budget frees as its window passes (a slow machine only waits longer).
        let short = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs, rateLimits: ["active911": RateLimit(requests: 1, window: .seconds(1))])
        try await withEmulator(short) { client in
            #expect(try await client.active911("GET", "v2/agencies").status == 200)
            let limited = try await client.active911("GET", "v2/agencies")
            let retryAfter = limited.headers["retry-after"].flatMap { Int($0) } ?? 0
            try await Task.sleep(for: .seconds(max(1, retryAfter)) + .milliseconds(100))
            #expect(try await client.active911("GET", "v2/agencies").status == 200)
        }
    }
}
