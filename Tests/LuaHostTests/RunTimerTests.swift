/// RunTimerTests.swift: a run's timers fire once, not before their delay, and never once
/// cancelled; a delay longer than one wait step still fires, at its end.
import Synchronization
import Testing
@testable import LuaHost

@Suite struct RunTimerTests {
    /// The instants a timer fired at.
    final class Firings: Sendable {
        let instants = Mutex<[ContinuousClock.Instant]>([])
        func fire() { instants.withLock { $0.append(.now) } }
        var count: Int { instants.withLock { $0.count } }
    }

    /// Waits until `firings` has one, for at most `limit`.
    func waitForFiring(_ firings: Firings, limit: Duration) async throws {
        let start = ContinuousClock.now
        while firings.count == 0, ContinuousClock.now - start < limit { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func firesOnceAfterItsDelay() async throws {
        let firings = Firings()
        let start = ContinuousClock.now
        let timer = RunTimer(after: .milliseconds(80)) { firings.fire() }
        try await waitForFiring(firings, limit: .seconds(20))
        try await Task.sleep(for: .milliseconds(100))
        let fired = firings.instants.withLock { $0 }
        #expect(fired.count == 1)
        #expect(fired.allSatisfy { $0 - start >= .milliseconds(80) })
        timer.cancel() // after firing: nothing happens
    }

    @Test func aCancelledTimerNeverFires() async throws {
        let firings = Firings()
        let timer = RunTimer(after: .milliseconds(100)) { firings.fire() }
        timer.cancel()
        try await Task.sleep(for: .milliseconds(400))
        #expect(firings.count == 0)
    }

    @Test func aDelayLongerThanOneStepFiresAtItsEnd() async throws {
        let firings = Firings()
        let start = ContinuousClock.now
        let delay = RunTimer.step + .milliseconds(300)
        _ = RunTimer(after: delay) { firings.fire() }
        try await waitForFiring(firings, limit: .seconds(30))
        let fired = firings.instants.withLock { $0 }
        #expect(fired.count == 1)
        #expect(fired.allSatisfy { $0 - start >= delay })
    }
}
