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
        let units: [(String, Int64)] = [("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000)]
        for (suffix, nanoseconds) in units where parts[1].hasSuffix(suffix) {
            if let number = Double(parts[1].dropLast(suffix.count)), number > 0 {
                self.init(requests: requests, window: .nanoseconds(Int64(number * Double(nanoseconds))))
                return
            }
        }
        throw RateLimitError("the window is a number with ms, s or m (60s), got '\(parts[1])'")
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
