/// Active911Pacer.swift: keeps an account below Active911's rate limit (25 requests a
/// minute) before any 429, with one budget for all concurrent work on that account.
import Foundation
import Synchronization

/// A sliding window of request times per account.
public actor Active911Pacer {
    private let limit: Int
    private let window: Duration
    private var sent: [ContinuousClock.Instant] = []
    private let clock = ContinuousClock()

    public init(limit: Int, window: Duration) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// Waits until one more request fits in the window, and counts it.
    public func admit() async throws {
        while true {
            let now = clock.now
            sent.removeAll { now - $0 >= window }
            if sent.count < limit {
                sent.append(now)
                return
            }
            try await Task.sleep(until: sent[0] + window, clock: clock)
        }
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
