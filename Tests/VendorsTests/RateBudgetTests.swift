/// RateBudgetTests.swift: a slow request keeps its slot until its answer comes, so the
/// vendor never sees more than the limit in a window however late requests arrive; a share
/// is kept free; a wait past the run's deadline fails at once.
import Testing
@testable import Vendors

@Suite struct RateBudgetTests {
    @Test func aSlotIsHeldUntilTheAnswerAndAWindowAfter() async throws {
        let budget = RateBudget(vendor: .active911, limit: 1, window: .milliseconds(200))
        let clock = ContinuousClock()
        let first = try await budget.admit(operation: "x")
        let start = clock.now
        let second = Task { try await budget.admit(operation: "x") }
        try await Task.sleep(for: .milliseconds(300)) // the first request is still in flight
        await budget.finish(first)
        let finished = clock.now
        _ = try await second.value
        #expect(clock.now - finished >= .milliseconds(190), "admitted only a window after the answer")
        #expect(clock.now - start >= .milliseconds(490))
    }

    @Test func aReserveKeepsAShareFree() async throws {
        let budget = RateBudget(vendor: .active911, limit: 10, window: .seconds(600), reserve: 0.2)
        for _ in 0..<8 { await budget.finish(try await budget.admit(operation: "x")) }
        // The ninth would wait 600 s: past a deadline 120 s away, it fails at once (well
        // before the deadline, even on a machine a full suite loads).
        let start = ContinuousClock.now
        await #expect(throws: VendorError.self) {
            try await VendorDeadline.$current.withValue(.now + .seconds(120)) { try await budget.admit(operation: "create_member") }
        }
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    @Test func aWaitPastTheDeadlineSaysSo() async throws {
        let budget = RateBudget(vendor: .active911, limit: 1, window: .seconds(40))
        await budget.finish(try await budget.admit(operation: "x"))
        do {
            _ = try await VendorDeadline.$current.withValue(.now + .seconds(5)) { try await budget.admit(operation: "create_member") }
            Issue.record("admitted past the deadline")
        } catch let error as VendorError {
            #expect(error.message.hasPrefix("active911's rate budget is spent for "), "\(error.message)")
            #expect(error.message.hasSuffix("s of --timeout are left"), "\(error.message)")
        }
    }

    /// A call waiting for its budget is listed, with the time left, for progress lines;
    /// once it stops waiting (here: cancelled), it is not.
    @Test func aWaitIsListedWhileItLasts() async throws {
        let budget = RateBudget(vendor: Vendor("paced"), limit: 1, window: .seconds(60))
        await budget.finish(try await budget.admit(operation: "x"))
        let waiting = Task { try await budget.admit(operation: "x") }
        var listed: (vendor: String, left: Duration)?
        let deadline = ContinuousClock.now + .seconds(20)
        while listed == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            listed = RateWaits.shared.current().first { $0.vendor == "paced" }
        }
        #expect(listed.map { $0.left > .seconds(30) && $0.left <= .seconds(60) } == true, "\(String(describing: listed))")
        waiting.cancel()
        await #expect(throws: VendorError.self) { try await waiting.value }
        #expect(!RateWaits.shared.current().contains { $0.vendor == "paced" })
    }
}
