/// FaultTests.swift: faults on demand, reproducible from a seed; the control API.
import Emulator
import Engine
import Foundation
import Testing

@Suite struct FaultTests {
    @Test func specsParseAndReject() throws {
        let spec = try FaultSpec(parsing: "latency=50ms,error500=0.1,drop=0.02")
        #expect(spec.latency == .milliseconds(50))
        #expect(spec.error500 == 0.1)
        #expect(spec.drop == 0.02)
        #expect(spec.description == "latency=50ms,error500=0.1,drop=0.02")
        #expect(throws: FaultSpecError.self) { try FaultSpec(parsing: "error500=2") }
        #expect(throws: FaultSpecError.self) { try FaultSpec(parsing: "teapot=0.1") }
        #expect(throws: FaultSpecError.self) { try FaultSpec(parsing: "latency=fast") }
        // Past a day, or not a finite number: refused, where the conversion to nanoseconds trapped.
        for bad in ["latency=99999999999999999999ms", "latency=1e300s", "latency=infms", "slowbody=nanms", "latency=86401s", "latency=-5ms"] {
            #expect(throws: FaultSpecError.self, "\(bad)") { try FaultSpec(parsing: bad) }
        }
        #expect(try FaultSpec(parsing: "latency=86400s").latency == .seconds(86_400))
        #expect(try FaultSpec(parsing: "slowbody=250us").slowBody == .microseconds(250))
        #expect(throws: FaultSpecError.self) { try FaultSpec(parsing: "error500=0.6,error503=0.6") }
    }

    /// The statuses of `count` Encore calls under `spec` with `seed`.
    func statuses(_ spec: String, seed: UInt64, count: Int = 40) async throws -> [Int] {
        var configuration = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs, seed: seed)
        configuration.faults = try FaultSpec(parsing: spec)
        return try await withEmulator(configuration) { client in
            var statuses: [Int] = []
            for _ in 0..<count { statuses.append(try await client.encore("GET", "users").status) }
            return statuses
        }
    }

    @Test func theSameSeedGivesTheSameFaults() async throws {
        let first = try await statuses("error500=0.2,error503=0.2,error429=0.1", seed: 7)
        let again = try await statuses("error500=0.2,error503=0.2,error429=0.1", seed: 7)
        let other = try await statuses("error500=0.2,error503=0.2,error429=0.1", seed: 8)
        #expect(first == again)
        #expect(first != other)
        #expect(Set(first) == [200, 500, 503, 429])
        let failures = first.filter { $0 != 200 }.count
        #expect(failures > 8 && failures < 32, "about half of 40 should fail, got \(failures)")
    }

    @Test func faultsHaveTheVendorsShape() async throws {
        var configuration = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs)
        configuration.faults = try FaultSpec(parsing: "error429=1")
        try await withEmulator(configuration) { client in
            let limited = try await client.encore("GET", "users")
            #expect(limited.status == 429)
            #expect(limited.headers["retry-after"] == "1")
            #expect((limited.json as? [[String: Any]])?.first?["Code"] as? Int == 429)
            // The control API is never faulted.
            #expect(try await client.send("GET", "/_emulator/faults").status == 200)
        }
    }

    @Test func latencyDropsAndSlowBodies() async throws {
        var configuration = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs)
        configuration.faults = try FaultSpec(parsing: "latency=150ms")
        try await withEmulator(configuration) { client in
            let start = Date()
            #expect(try await client.encore("GET", "users").status == 200)
            #expect(Date().timeIntervalSince(start) >= 0.15)

            let changed = try await client.send("PUT", "/_emulator/faults", body: Data("drop=1".utf8))
            #expect(changed.object["faults"] as? String == "drop=1.0")
            await #expect(throws: (any Error).self) { try await client.encore("GET", "users") }

            _ = try await client.send("PUT", "/_emulator/faults", body: Data("slow=1,slowbody=300ms".utf8))
            let slowStart = Date()
            let slow = try await client.encore("GET", "users")
            #expect(slow.status == 200)
            #expect((slow.json as? [[String: Any]])?.count == 3)
            #expect(Date().timeIntervalSince(slowStart) >= 0.3)

            let bad = try await client.send("PUT", "/_emulator/faults", body: Data("error500=x".utf8))
            #expect(bad.status == 400)
            #expect((bad.object["error"] as? String)?.contains("error500=x") == true)
        }
    }

    @Test func stateDumpAndReset() async throws {
        try await withEmulator { client in
            _ = try await client.encore("DELETE", "users/1001/active?use-external-id=false")
            let state = try await client.send("GET", "/_emulator/state").object
            let encore = state["encore"] as? [[String: Any]] ?? []
            #expect(encore.first?["IsActive"] as? Bool == false)
            #expect(try await client.send("POST", "/_emulator/reset").status == 200)
            #expect(try await client.encore("GET", "users/1001?use-external-id=false").object["IsActive"] as? Bool == true)
            #expect(try await client.send("GET", "/nowhere").status == 404)
            // Unknown paths under a vendor get the vendor's error shape.
            let unknown = try await client.encore("GET", "nothing/here")
            #expect(unknown.status == 404)
            #expect((unknown.json as? [[String: Any]])?.first?["Code"] as? Int == 404)
            let allthenticate = try await client.allthenticate("POST", "nothing")
            #expect(allthenticate.status == 404)
            #expect(allthenticate.object["error"] is String)
            let active911 = try await client.active911("GET", "v2/agency/x/member/1")
            #expect(active911.status == 404)
            #expect(active911.object["success"] as? Bool == false)
        }
    }

    /// The stats count each vendor's requests and the 429s among them (the vendor's own
    /// limit and injected ones alike), and reset with the state.
    @Test func statsCountRequestsAndRefusals() async throws {
        let configuration = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs, rateLimits: ["active911": RateLimit(requests: 2, window: .seconds(30))])
        try await withEmulator(configuration) { client in
            for _ in 0..<3 { _ = try await client.active911("GET", "v2/agencies") }
            _ = try await client.encore("GET", "users")
            let stats = try await client.send("GET", "/_emulator/stats").object
            #expect((stats["active911"] as? [String: Int]) == ["requests": 3, "429": 1])
            #expect((stats["encore"] as? [String: Int]) == ["requests": 1, "429": 0])
            #expect((stats["guardant"] as? [String: Int]) == ["requests": 0, "429": 0])
            _ = try await client.send("POST", "/_emulator/reset")
            #expect((try await client.send("GET", "/_emulator/stats").object["active911"] as? [String: Int]) == ["requests": 0, "429": 0])
        }
    }

    @Test func rateLimitsParseAndReject() throws {
        #expect(try RateLimit(parsing: "25/60s") == RateLimit(requests: 25, window: .seconds(60)))
        #expect(try RateLimit(parsing: "5/500ms") == RateLimit(requests: 5, window: .milliseconds(500)))
        #expect(try RateLimit(parsing: "100/1m").window == .seconds(60))
        #expect(RateLimit(requests: 25, window: .seconds(60)).description == "25/60s")
        #expect(try RateLimit(parsing: "1/1440m").window == .seconds(86_400))
        for bad in ["25", "0/60s", "x/60s", "25/fast", "25/-1s", "25/0s", "5/99999999999999999999s", "5/infs", "5/1441m"] {
            #expect(throws: RateLimitError.self, "\(bad)") { try RateLimit(parsing: bad) }
        }
    }

    /// `only=writes` spares reads; `lost` applies the change and loses the answer.
    @Test func lostAnswersAndWritesOnly() async throws {
        var configuration = EmulatorConfiguration(apis: VendorRegistry.standard.emulatedAPIs)
        configuration.faults = try FaultSpec(parsing: "lost=1,only=writes")
        try await withEmulator(configuration) { client in
            #expect(try await client.encore("GET", "users").status == 200)
            await #expect(throws: (any Error).self) { try await client.encore("DELETE", "users/1001/active?use-external-id=false") }
            let encore = try await client.send("GET", "/_emulator/state").object["encore"] as? [[String: Any]] ?? []
            #expect(encore.first?["IsActive"] as? Bool == false)
        }
    }
}
