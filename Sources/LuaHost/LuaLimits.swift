/// LuaLimits.swift: the limits every run has, and what hitting one looks like.
import CRosterLua

/// The limits of one run. All are always on; the instruction budget is opt-in because
/// counting instructions needs a count hook, which costs Debian's Lua about half its speed
/// (the wall-clock deadline covers runaway loops without one: see limits.c).
public struct LuaLimits: Sendable, Equatable {
    /// Bytes the Lua state may hold.
    public var memory: Int
    /// Wall-clock time for the whole run, including time spent waiting on I/O.
    public var timeout: Duration
    /// Lua VM instructions (nil: not counted).
    public var instructions: Int64?
    /// Bytes the script may print.
    public var output: Int
    /// How long past the deadline a run stuck inside one C function may go before the
    /// watchdog ends the process with exit code 3: the last resort of a one-shot `roster run`
    /// (Roster's own pattern matcher and table functions stop at the deadline themselves).
    /// nil for a long-lived host (the REPL, the plugin test runner), which must never end.
    public var watchdogGrace: Duration?
    /// How long the calls in flight when a run ends (a limit, a stop) may still take to
    /// answer, so that their outcomes are known rather than cut.
    public var drainGrace: Duration = .seconds(5)

    public init(
        memory: Int = 64 << 20, timeout: Duration = .seconds(60), instructions: Int64? = nil,
        output: Int = 16 << 20, watchdogGrace: Duration? = .seconds(2)
    ) {
        self.memory = memory
        self.timeout = timeout
        self.instructions = instructions
        self.output = output
        self.watchdogGrace = watchdogGrace
    }

    /// These limits for a host that must outlive every run: the watchdog never ends it.
    public var forLongLivedHost: LuaLimits {
        var limits = self
        limits.watchdogGrace = nil
        return limits
    }

    /// The watchdog's grace in nanoseconds, or -1 for never.
    var watchdogGraceNanoseconds: Int64 { watchdogGrace?.nanoseconds ?? -1 }

    /// The message for hitting `kind`, naming the limit and its value.
    public func message(for kind: LuaLimitKind) -> String {
        switch kind {
        case .timeout: "timeout: the script ran longer than its \(timeout.roundedDescription) limit (--timeout)"
        case .memory: "memory limit: the script needed more than \(memory.megabytes) (--memory-limit)"
        case .instructions: "instruction limit: the script ran more than \(instructions ?? 0) Lua instructions"
        case .output: "output limit: the script printed more than \(output.megabytes)"
        case .stack: "stack overflow: recursion too deep"
        case .interrupted: "interrupted"
        case .permission: "permission denied"
        case .decision: "a change needs a decision"
        case .journal: "the journal could not be written"
        case .stalePlan: "the plan is stale"
        }
    }
}

/// Which limit ended a run.
public enum LuaLimitKind: String, Sendable, Equatable, CaseIterable {
    case timeout, memory, instructions, output
    /// Lua's own C-stack and stack-size limits (deep recursion).
    case stack
    /// Stopped by the user (Ctrl-C in the REPL).
    case interrupted
    /// A call the run is not permitted to make (a plugin outside its manifest).
    case permission
    /// A change whose outcome is unknown, which Roster cannot check: the admin decides.
    case decision
    /// The journal could not record a change: nothing more is sent.
    case journal
    /// Applying a saved plan, a change differs from the plan's: nothing more is sent.
    case stalePlan = "stale plan"

    init?(_ raw: roster_limit) {
        switch raw {
        case ROSTER_LIMIT_TIMEOUT: self = .timeout
        case ROSTER_LIMIT_MEMORY: self = .memory
        case ROSTER_LIMIT_INSTRUCTIONS: self = .instructions
        case ROSTER_LIMIT_OUTPUT: self = .output
        case ROSTER_LIMIT_INTERRUPTED: self = .interrupted
        case ROSTER_LIMIT_PERMISSION: self = .permission
        case ROSTER_LIMIT_DECISION: self = .decision
        case ROSTER_LIMIT_JOURNAL: self = .journal
        case ROSTER_LIMIT_STALE_PLAN: self = .stalePlan
        default: return nil
        }
    }

    var raw: roster_limit? {
        switch self {
        case .timeout: ROSTER_LIMIT_TIMEOUT
        case .memory: ROSTER_LIMIT_MEMORY
        case .instructions: ROSTER_LIMIT_INSTRUCTIONS
        case .output: ROSTER_LIMIT_OUTPUT
        case .interrupted: ROSTER_LIMIT_INTERRUPTED
        case .permission: ROSTER_LIMIT_PERMISSION
        case .decision: ROSTER_LIMIT_DECISION
        case .journal: ROSTER_LIMIT_JOURNAL
        case .stalePlan: ROSTER_LIMIT_STALE_PLAN
        case .stack: nil
        }
    }
}

extension Int {
    var megabytes: String {
        self % (1 << 20) == 0 ? "\(self >> 20) MB" : "\(self) bytes"
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    var roundedDescription: String {
        let milliseconds = nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
