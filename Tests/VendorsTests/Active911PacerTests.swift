/// Active911PacerTests.swift: a slow request keeps its slot until its answer comes, so the
/// vendor never sees more than the limit in a window however late requests arrive.
import Testing
@testable import Vendors

@Suite struct Active911PacerTests {
    @Test func aSlotIsHeldUntilTheAnswerAndAWindowAfter() async throws {
        let pacer = Active911Pacer(limit: 1, window: .milliseconds(200))
        let clock = ContinuousClock()
        let first = try await pacer.admit()
        let start = clock.now
        let second = Task { try await pacer.admit() }
        try await Task.sleep(for: .milliseconds(300)) // the first request is still in flight
        await pacer.finish(first)
        let finished = clock.now
        _ = try await second.value
        #expect(clock.now - finished >= .milliseconds(190), "admitted only a window after the answer")
        #expect(clock.now - start >= .milliseconds(490))
    }
}
