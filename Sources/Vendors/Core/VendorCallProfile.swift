/// VendorCallProfile.swift: where a vendor call's time goes — building the request, the
/// exchange with the vendor, reading its answer, writing it for Lua — summed over the calls
/// made while it is on (`roster bench --vendors`). Off, a call pays one relaxed load.
import Synchronization

/// Time per phase of every call made while profiling is on, for the whole process.
public final class VendorCallProfile: Sendable {
    public static let shared = VendorCallProfile()

    /// A step of one call, in the order a call takes them.
    public enum Phase: Int, CaseIterable, Sendable {
        /// The request: URL, headers, body, credentials.
        case encode
        /// Sent, waited for, and its body received (the vendor's time and the wire's).
        case exchange
        /// The answer's JSON read.
        case decode
        /// The answer written as the script sees it (the declared result's form).
        case convert

        public var name: String {
            switch self {
            case .encode: "encode"
            case .exchange: "send and wait"
            case .decode: "decode"
            case .convert: "convert"
            }
        }
    }

    private let on = Atomic<Bool>(false)
    /// Nanoseconds and steps counted, by phase.
    private let totals = Mutex((nanoseconds: [Int](repeating: 0, count: Phase.allCases.count), counts: [Int](repeating: 0, count: Phase.allCases.count)))

    /// Starts counting from zero.
    public func start() {
        totals.withLock { $0 = ([Int](repeating: 0, count: Phase.allCases.count), [Int](repeating: 0, count: Phase.allCases.count)) }
        on.store(true, ordering: .releasing)
    }

    public func stop() { on.store(false, ordering: .releasing) }

    /// Runs `body`, counting its time as `phase` when profiling is on.
    @inline(__always)
    public func measure<Value, Failure: Error>(_ phase: Phase, _ body: () throws(Failure) -> Value) throws(Failure) -> Value {
        guard on.load(ordering: .relaxed) else { return try body() }
        let start = ContinuousClock.now
        defer { add(phase, since: start) }
        return try body()
    }

    /// Counts the time since `start` as `phase` (for a step that awaits).
    public func add(_ phase: Phase, since start: ContinuousClock.Instant) {
        guard on.load(ordering: .relaxed) else { return }
        let elapsed = (ContinuousClock.now - start).components
        totals.withLock { totals in
            totals.nanoseconds[phase.rawValue] += Int(elapsed.seconds) * 1_000_000_000 + Int(elapsed.attoseconds / 1_000_000_000)
            totals.counts[phase.rawValue] += 1
        }
    }

    /// Whether profiling is on (a step that awaits reads the clock only then).
    public var isOn: Bool { on.load(ordering: .relaxed) }

    /// Microseconds per call in each phase, over the calls made since `start()`.
    public func microsecondsPerCall() -> [(phase: Phase, microseconds: Double)] {
        let totals = totals.withLock { $0 }
        return Phase.allCases.map { phase in
            let count = totals.counts[phase.rawValue]
            return (phase, count == 0 ? 0 : Double(totals.nanoseconds[phase.rawValue]) / Double(count) / 1000)
        }
    }
}
