/// FaultSpec.swift: which faults to inject, as `roster emulator --faults` spells them:
/// `latency=50ms,error500=0.1,error503=0.05,error429=0.05,drop=0.02,lost=0.01,slow=0.1`.

/// Faults to inject into vendor responses. Shares are probabilities per request.
public struct FaultSpec: Sendable, Equatable, CustomStringConvertible {
    /// Added to every response.
    public var latency: Duration = .zero
    public var error500: Double = 0
    public var error503: Double = 0
    /// 429 with `Retry-After`.
    public var error429: Double = 0
    /// The connection closes without a response body, before the request takes effect.
    public var drop: Double = 0
    /// The request takes effect, then the connection closes before the answer: the
    /// client cannot tell whether it did.
    public var lost: Double = 0
    /// The body arrives `slowBody` after the headers.
    public var slow: Double = 0
    public var slowBody: Duration = .seconds(1)
    /// Faults hit only requests that change something (not GETs): `only=writes`. A check
    /// made before or after a change then gets through.
    public var onlyWrites = false

    public init() {}

    /// Parses `key=value,...`; throws naming the part it does not understand.
    public init(parsing text: String) throws(FaultSpecError) {
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let pieces = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pieces.count == 2 else { throw FaultSpecError(part: part, reason: "expected key=value") }
            let (key, value) = (pieces[0], pieces[1])
            switch key {
            case "latency": latency = try Self.duration(value, part: part)
            case "slowbody": slowBody = try Self.duration(value, part: part)
            case "error500": error500 = try Self.share(value, part: part)
            case "error503": error503 = try Self.share(value, part: part)
            case "error429": error429 = try Self.share(value, part: part)
            case "drop": drop = try Self.share(value, part: part)
            case "lost": lost = try Self.share(value, part: part)
            case "slow": slow = try Self.share(value, part: part)
            case "only":
                guard value == "writes" || value == "all" else { throw FaultSpecError(part: part, reason: "only=writes or only=all") }
                onlyWrites = value == "writes"
            default:
                throw FaultSpecError(part: part, reason: "unknown fault (latency, error500, error503, error429, drop, lost, slow, slowbody, only)")
            }
        }
        guard shares.map(\.share).reduce(0, +) <= 1 else {
            throw FaultSpecError(part: text, reason: "the shares add up to more than 1")
        }
    }

    public var description: String {
        var parts: [String] = []
        if latency > .zero { parts.append("latency=\(Self.format(latency))") }
        for (name, share) in shares where share > 0 {
            parts.append("\(name)=\(share)")
        }
        if slow > 0 { parts.append("slowbody=\(Self.format(slowBody))") }
        if onlyWrites { parts.append("only=writes") }
        return parts.joined(separator: ",")
    }

    /// The faults drawn per request, by name, with their shares.
    var shares: [(name: String, share: Double)] {
        [("error500", error500), ("error503", error503), ("error429", error429), ("drop", drop), ("lost", lost), ("slow", slow)]
    }

    private static func share(_ value: String, part: String) throws(FaultSpecError) -> Double {
        guard let share = Double(value), share >= 0, share <= 1 else {
            throw FaultSpecError(part: part, reason: "a share is a number from 0 to 1")
        }
        return share
    }

    private static func duration(_ value: String, part: String) throws(FaultSpecError) -> Duration {
        guard let duration = DurationText.parse(value, units: [("ms", 1e-3), ("us", 1e-6), ("s", 1)]) else {
            throw FaultSpecError(part: part, reason: "a duration is a number with ms, us or s, up to a day (50ms)")
        }
        return duration
    }

    private static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return "\(milliseconds)ms"
    }
}

/// A `--faults` value that does not parse.
public struct FaultSpecError: Error, CustomStringConvertible {
    public var part: String
    public var reason: String
    public var description: String { "bad fault '\(part)': \(reason)" }
}
