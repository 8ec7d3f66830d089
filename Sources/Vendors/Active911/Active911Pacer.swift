/// Active911Pacer.swift: keeps an account below Active911's rate limit (25 requests a
/// minute) before any 429, with one budget for all concurrent work on that account.
import Foundation
import Synchronization

/// A sliding window of requests per account. A request holds its slot from admission until
/// its answer arrives, and the window runs from the answer: the vendor counts a request
/// when it arrives, which is somewhere in between, so however slow the network the vendor
/// never sees more than `limit` in any window.
public actor Active911Pacer {
    private let limit: Int
    private let window: Duration
    /// Slots in use: nil while the request is in flight, else when its answer came.
    private var slots: [Int: ContinuousClock.Instant?] = [:]
    private var nextSlot = 0
    private let clock = ContinuousClock()

    public init(limit: Int, window: Duration) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// Waits until one more request fits in the window; returns its slot, to `finish`.
    public func admit() async throws -> Int {
        while true {
            let now = clock.now
            slots = slots.filter { _, finished in finished.map { now - $0 < window } ?? true }
            if slots.count < limit {
                nextSlot += 1
                slots[nextSlot] = .some(nil)
                return nextSlot
            }
            // The earliest answered slot frees first; if all are in flight, look again soon.
            let earliest = slots.values.compactMap { $0 }.min()
            try await Task.sleep(until: earliest.map { $0 + window } ?? now + .milliseconds(20), clock: clock)
        }
    }

    /// The request in `slot` has its answer (or failed): its window starts now.
    public func finish(_ slot: Int) {
        if slots[slot] != nil { slots[slot] = .some(clock.now) }
    }

    private static let registry = Mutex<[String: Active911Pacer]>([:])

    /// The pacer shared by every client of one account (keyed by the token service and a
    /// digest of the refresh token, never the token itself).
    static func shared(account: String, limit: Int, window: Duration) -> Active911Pacer {
        registry.withLock { pacers in
            if let pacer = pacers[account] { return pacer }
            let pacer = Active911Pacer(limit: limit, window: window)
            pacers[account] = pacer
            return pacer
        }
    }
}
