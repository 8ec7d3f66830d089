/// CallProfileTests.swift: a profiled vendor call from Lua is timed in every phase, from
/// the script's call handed to a worker to the script resuming with the answer.
import Testing
import Vendors

@Suite struct CallProfileTests {
    @Test func aCallFromLuaIsTimedInEveryPhase() async throws {
        try await EmulatedRun.with { run in
            VendorCallProfile.shared.start()
            await run.expectSuccess("for _ = 1, 5 do assert(encore.get_user(1001).user_name == 'ada') end")
            VendorCallProfile.shared.stop()
            let profile = VendorCallProfile.shared.microsecondsPerCall()
            #expect(profile.allSatisfy { $0.microseconds > 0 }, "\(profile)")
        }
    }
}
