/// RateLimit.swift: a vendor's request limit as the emulator enforces it (`25/60s`), and the
/// counts it keeps per vendor so that tests and admins can prove a client's pacing.
import Synchronization

/// Requests allowed per window per account.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    public var requests: Int
    public var window: Duration

    public init(requests: Int, window: Duration) {
        self.requests = requests
        self.window = window
    }

    /// `25/60s`, `10/2s`, `100/500ms`.
    public init(parsing text: String) throws(RateLimitError) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let requests = Int(parts[0]), requests > 0 else {
            throw RateLimitError("expected REQUESTS/WINDOW such as 25/60s, got '\(text)'")
        }
        guard let window = DurationText.parse(parts[1], units: [("ms", 1e-3), ("s", 1), ("m", 60)]), window > .zero else {
            throw RateLimitError("the window is a number with ms, s or m, more than 0 and up to a day (60s), got '\(parts[1])'")
        }
        self.init(requests: requests, window: window)
    }

    public var description: String {
        let (seconds, attoseconds) = window.components
        return attoseconds == 0 ? "\(requests)/\(seconds)s" : "\(requests)/\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }
}

/// A rate limit that does not parse.
public struct RateLimitError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Requests served per vendor, and how many of them were refused with 429.
final class RequestCounts: Sendable {
    private let counts = Mutex<[String: (requests: Int, refused: Int)]>([:])

    func count(_ api: String, status: Int) {
        counts.withLock { counts in
            var entry = counts[api] ?? (0, 0)
            entry.requests += 1
            if status == 429 { entry.refused += 1 }
            counts[api] = entry
        }
    }

    func reset() { counts.withLock { $0 = [:] } }

    /// `{"active911": {"requests": 31, "429": 0}, ...}` for every vendor in `apis`.
    func dump(_ apis: [String]) -> [String: Any] {
        counts.withLock { counts in
            Dictionary(uniqueKeysWithValues: apis.map { api in
                let entry = counts[api] ?? (0, 0)
                return (api, ["requests": entry.requests, "429": entry.refused] as [String: Any])
            })
        }
    }
}
