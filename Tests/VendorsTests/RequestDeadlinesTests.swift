/// RequestDeadlinesTests.swift: one sweep cancels the requests past their deadline, and goes
/// on cancelling one until its sender lets go of it.
import Synchronization
import Testing
@testable import Vendors

struct RequestDeadlinesTests {
    @Test func anExpiredRequestIsCancelledAtEveryTickUntilForgotten() async throws {
        let deadlines = RequestDeadlines(tick: .milliseconds(10))
        let cancels = Atomic(0)
        let watch = deadlines.watch(until: .now + .milliseconds(20)) { cancels.add(1, ordering: .relaxed) }
        // A cancel the client could not act on is not the last: a later tick sends another.
        for _ in 0..<500 where cancels.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(cancels.load(ordering: .relaxed) >= 2)
        #expect(deadlines.forget(watch)) // the deadline passed first
        let afterForget = cancels.load(ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(50))
        #expect(cancels.load(ordering: .relaxed) == afterForget)
    }

    @Test func aRequestAnsweredInTimeIsNeverCancelled() async throws {
        let deadlines = RequestDeadlines(tick: .milliseconds(10))
        let cancels = Atomic(0)
        let watch = deadlines.watch(until: .now + .seconds(60)) { cancels.add(1, ordering: .relaxed) }
        try await Task.sleep(for: .milliseconds(30))
        #expect(!deadlines.forget(watch))
        #expect(cancels.load(ordering: .relaxed) == 0)
    }
}
