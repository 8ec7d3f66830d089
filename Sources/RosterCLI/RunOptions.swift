/// RunOptions.swift: the options every command that runs Lua shares: `--timeout` and
/// `--memory-limit` (`run`, `repl`, `plugin run`, `plugin test`), and `--arg` pairs.
import ArgumentParser
import Journal
import LuaHost
import Vendors

/// `--arg KEY=VALUE`, as `run` and `plugin run` take it.
enum ArgumentPairs {
    /// The pairs as a table. A pair without `=` or without a key is a usage error, and so is
    /// a key given twice: which of two users a destructive run is about must not depend on
    /// the order a wrapper script happened to write its flags in.
    static func parse(_ pairs: [String]) throws -> [String: String] {
        var table: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--arg expects KEY=VALUE, got '\(pair)'")
            }
            let key = String(pair[..<equals]), value = String(pair[pair.index(after: equals)...])
            if let earlier = table.updateValue(value, forKey: key) {
                throw ValidationError("--arg \(key) is given twice ('\(earlier)', then '\(value)'); give it once")
            }
        }
        return table
    }
}

/// `--plan-out PLAN`, as `run` and `plugin run` take it.
enum PlanOutOption {
    static let help = ArgumentHelp("With --dry-run: save the plan to PLAN (JSON, mode 0600, no secrets) for roster apply PLAN.", valueName: "PLAN")

    /// A plan is what a dry run would change: `--plan-out` without `--dry-run` is refused.
    static func check(_ planOut: String?, dryRun: Bool) throws {
        if planOut != nil, !dryRun { throw ValidationError("--plan-out needs --dry-run: a plan is what a dry run would change") }
    }
}

/// `--instruction-limit N`, the Lua instruction budget of a run (off by default: counting
/// costs speed), for the commands that start or finish one: `run`, `submit`, `resume`.
/// Journaled with the run, so that its resumes keep it; a resume's own replaces it.
struct InstructionLimitOption: ParsableArguments {
    @Option(name: .customLong("instruction-limit"), parsing: .unconditional, help: ArgumentHelp("Lua instructions the script may run (off by default: counting costs speed).", valueName: "N"))
    var limit: Int64?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--instruction-limit must be positive, got \(limit)") }
    }
}

/// `--max-changes N`, for every command that starts, finishes or reverses a run (`run`,
/// `plugin run`, `submit`, `resume`, `apply`, `undo`): it may plan up to N
/// changes, whatever the tenant's `max_changes`. Journaled with the run, so that its resumes
/// keep it. (A resume asks only of a run never confirmed; a confirmed one is not checked again.)
struct MaxChangesOption: ParsableArguments {
    @Option(name: .customLong("max-changes"), parsing: .unconditional, help: ArgumentHelp("This run may plan up to N changes, whatever the tenant's max_changes (a run planning more is refused before it sends anything).", valueName: "N"))
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--max-changes must be at least 1, got \(limit)") }
    }
}

/// The limits a command's runs get.
struct LimitOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Wall-clock limit for a run, waiting on I/O included (default 60 s; the REPL: per statement; plugin tests: per pass over a test file).", valueName: "SEC"))
    var timeout: Double?

    /// Seconds a run gets when no `--timeout` is given.
    static let defaultTimeout = 60.0

    @Option(name: .customLong("memory-limit"), parsing: .unconditional, help: ArgumentHelp("Memory a run may use (default 64 MB; the REPL's session: 256 MB).", valueName: "MB"))
    var memoryLimit: Int?

    /// The longest `--timeout`, in seconds, and the largest `--memory-limit`, in MB.
    static let maximumTimeout = 86_400
    static let maximumMemoryMegabytes = 65_536

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout <= Double(Self.maximumTimeout)) {
            throw ValidationError("--timeout must be more than 0 and at most \(Self.maximumTimeout) seconds, got \(Diagnostics.number(timeout))")
        }
        if let memoryLimit, !(1...Self.maximumMemoryMegabytes).contains(memoryLimit) {
            throw ValidationError("--memory-limit must be between 1 and \(Self.maximumMemoryMegabytes) MB, got \(memoryLimit)")
        }
    }

    /// The memory limit in MB, or the command's default.
    func memoryMegabytes(default megabytes: Int = 64) -> Int { memoryLimit ?? megabytes }

    /// What to add to `roster resume` after `outcome` ended a run under `limits`: the limit
    /// it hit, doubled (within its range), since a resume keeps the run's own limits and
    /// would stop where the run stopped. Empty for any other end, or a limit at its most.
    static func raised(after outcome: LuaRunOutcome, from limits: LuaLimits) -> String {
        switch outcome {
        case .limit(.memory, _) where limits.memory >> 20 < maximumMemoryMegabytes:
            return " --memory-limit \(min((limits.memory >> 20) * 2, maximumMemoryMegabytes))"
        case .limit(.instructions, _):
            return limits.instructions.map { " --instruction-limit \($0 > Int64.max / 2 ? Int64.max : $0 * 2)" } ?? ""
        case .limit(.timeout, _) where limits.timeout < .seconds(maximumTimeout):
            return " --timeout \(min(Int((limits.timeout.inSeconds * 2).rounded(.up)), maximumTimeout))"
        default:
            return ""
        }
    }

    /// What was given, to journal with a run (its resumes keep it).
    var given: RunLimits { RunLimits(timeout: timeout, memoryMegabytes: memoryLimit) }

    /// The limits: each as given here, else as `journaled` with the run being resumed, else
    /// the default.
    func limits(defaultMemory megabytes: Int = 64, journaled: RunLimits? = nil, defaultTimeout: Double? = nil) -> LuaLimits {
        let seconds = timeout ?? journaled?.timeout ?? defaultTimeout ?? Self.defaultTimeout
        var limits = LuaLimits(memory: (memoryLimit ?? journaled?.memoryMegabytes ?? megabytes) << 20,
                               timeout: .milliseconds(Int64((seconds * 1000).rounded())))
        limits.instructions = journaled?.instructions
        return limits
    }
}
