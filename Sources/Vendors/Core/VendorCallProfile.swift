/// VendorCallProfile.swift: where a vendor call's time goes — handed from the script to a
/// worker, building the request, sending it, waiting for the answer, reading it, writing it
/// for Lua, handed back to the script — summed over the calls made while it is on
/// (`roster bench --vendors`). Off, a call pays one relaxed load.
import Synchronization

/// Time per phase of every call made while profiling is on, for the whole process.
public final class VendorCallProfile: Sendable {
    public static let shared = VendorCallProfile()

    /// A step of one call, in the order a call takes them. A step may be counted in more
    /// than one place (the request is built in parts, the answer checked then written); a
    /// call's figure is the sum.
    public enum Phase: Int, CaseIterable, Sendable {
        /// From the script's call to the worker task that makes it (the script's coroutine
        /// yields; a worker takes the call).
        case dispatch
        /// The request: URL, headers, body, credentials.
        case encode
        /// The request written to a connection (taken from the pool, or opened).
        case send
        /// From the request written to its answer read whole: the vendor's time and the wire's.
        case wait
        /// The answer's JSON read.
        case decode
        /// The answer checked against the declared result's form, and written as the script sees it.
        case convert
        /// From the answer checked to the script resuming with it (its Lua thread takes it).
        case resume

        public var name: String {
            switch self {
            case .dispatch: "dispatch"
            case .encode: "encode"
            case .send: "send"
            case .wait: "wait"
            case .decode: "decode"
            case .convert: "convert"
            case .resume: "resume"
            }
        }
    }

    private let on = Atomic<Bool>(false)
    /// Nanoseconds counted, by phase, and the requests answered (a call's last phase on
    /// the wire, counted once per request).
    private let totals = Mutex((nanoseconds: [Int](repeating: 0, count: Phase.allCases.count), requests: 0))

    /// Starts counting from zero.
    public func start() {
        totals.withLock { $0 = ([Int](repeating: 0, count: Phase.allCases.count), 0) }
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
        guard isOn else { return }
        add(phase, from: start, to: .now)
    }

    /// Counts the time from `start` to `end` as `phase`.
    public func add(_ phase: Phase, from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) {
        guard on.load(ordering: .relaxed) else { return }
        let elapsed = (end - start).components
        totals.withLock { totals in
            totals.nanoseconds[phase.rawValue] += Int(elapsed.seconds) * 1_000_000_000 + Int(elapsed.attoseconds / 1_000_000_000)
            if phase == .wait { totals.requests += 1 }
        }
    }

    /// The instant to count a later step from, when profiling is on.
    public var now: ContinuousClock.Instant? { isOn ? .now : nil }

    /// Whether profiling is on (a step that awaits reads the clock only then).
    public var isOn: Bool { on.load(ordering: .relaxed) }

    /// Microseconds per call in each phase, over the calls made since `start()`: each
    /// phase's time over the requests answered (one per call, unless one was retried).
    public func microsecondsPerCall() -> [(phase: Phase, microseconds: Double)] {
        let totals = totals.withLock { $0 }
        let calls = totals.requests
        return Phase.allCases.map { phase in
            (phase, calls == 0 ? 0 : Double(totals.nanoseconds[phase.rawValue]) / Double(calls) / 1000)
        }
    }
}
