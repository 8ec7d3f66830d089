/// RunContext.swift: one run of one script: its sandboxed state, limits, output, and the
/// outcome. The scheduler that drives its coroutines is in RunContext+Scheduler.swift.
import CLua
import CRosterLua
import Synchronization

/// The per-run context, reachable from any binding call through the state's host pointer.
final class RunContext {
    let state: LuaState
    let limits: LuaLimits
    let output: any LuaOutput
    let scriptDirectory: String?
    /// Modules kept with the script, by path in its folder (`LuaScript.keptModules`).
    let keptModules: [String: [UInt8]]
    private(set) var outputUsed = 0

    /// What the last suspending binding asked the scheduler to do.
    enum Suspension {
        /// `changes`: a write or destructive call, whose outcome the end of a run awaits.
        case operation(LuaOperation, name: String, changes: Bool)
        case group(ParallelGroup.Request)
    }
    var pendingSuspension: Suspension?

    // Scheduler state (RunContext+Scheduler.swift).
    var coroutines: [Int: Coroutine] = [:]
    var ready: [(Coroutine, Int32)] = []
    var readyHead = 0
    var nextCoroutineID = 0
    /// Lua threads whose coroutine ended normally, kept (with their registry references)
    /// for the next one: a `parallel.map` of thousands of items makes a coroutine per item,
    /// and a new thread costs an allocation, a registry slot and, later, collection.
    var idleThreads: [(thread: OpaquePointer, reference: Int32)] = []
    /// Changes in flight whose coroutine was cancelled (a sibling in `parallel` failed): they
    /// run to their answer, which is recorded, rather than being cut and left unknown.
    var orphanedChanges: [Int: OperationJob] = [:]
    /// The coroutine whose `math.random` stream the state holds now (Parallel.swift).
    weak var randomOwner: Coroutine?
    /// When the current drive's time runs out.
    var driveDeadline: ContinuousClock.Instant?
    var finished: LuaRunOutcome?
    /// What the script's main chunk returned, when it ended well (a value it cannot hand
    /// over, a function say, as a note saying so).
    var returned: [LuaValue] = []
    /// Whether `returned` is wanted (copying a returned table out of Lua costs).
    var keepsReturned = false
    /// The last resume ended its time slice: yield the thread before resuming again.
    var givesThreadBack = false
    /// What ended the run from a binding (a permission denial, a decision needed), with its
    /// message naming the call, once one did.
    var stopMessage: String?

    /// The message for the limit `kind` that ended the run.
    func limitMessage(_ kind: LuaLimitKind) -> String {
        [.permission, .decision, .journal].contains(kind) ? (stopMessage ?? limits.message(for: kind)) : limits.message(for: kind)
    }

    /// Counts drives, so a late deadline or interrupt of an earlier one is ignored.
    var generation = 0 {
        didSet { currentGeneration.store(generation, ordering: .relaxed) }
    }
    /// `generation`, readable from another thread (an interrupt).
    private let currentGeneration = Atomic<Int>(0)
    var generationNow: Int { currentGeneration.load(ordering: .relaxed) }
    /// Where completions, deadlines and interrupts arrive (RunContext+Scheduler.swift).
    let mailbox = SchedulerMailbox()
    /// Events taken from the mailbox, not yet handled, from `receivedHead` on.
    var received: [SchedulerEvent] = []
    var receivedHead = 0

    init(limits: LuaLimits, output: any LuaOutput, scriptDirectory: String?, keptModules: [String: [UInt8]] = [:]) throws(LuaStateError) {
        self.state = try LuaState(memoryLimit: limits.memory)
        self.limits = limits
        self.output = output
        self.scriptDirectory = scriptDirectory
        self.keptModules = keptModules
        roster_state_set_host(state.state, Unmanaged.passUnretained(self).toOpaque())
        Sandbox.open(state)
        Sandbox.setLimitMessages(state, limits)
        if let instructions = limits.instructions { roster_set_instruction_limit(state.state, instructions) }
    }

    deinit {
        for coroutine in coroutines.values { coroutine.job?.cancel() }
    }

    /// The run whose state `L` belongs to.
    static func of(_ L: OpaquePointer) -> RunContext? {
        guard let host = roster_state_host(roster_state_of(L)) else { return nil }
        return Unmanaged<RunContext>.fromOpaque(host).takeUnretainedValue()
    }

    func suspend(_ suspension: Suspension) { pendingSuspension = suspension }

    func setGlobals(_ globals: [String: LuaValue]) {
        for (name, value) in globals {
            LuaState.push(state.L, value)
            lua_setglobal(state.L, name)
        }
    }

    /// Writes printed bytes, or ends the run when they would pass the output limit.
    func write(_ bytes: [UInt8]) -> Bool {
        guard outputUsed + bytes.count <= limits.output else {
            roster_kill(state.state, ROSTER_LIMIT_OUTPUT)
            return false
        }
        outputUsed += bytes.count
        output.write(bytes)
        return true
    }

    /// Compiles and runs the script to its end.
    func execute(_ script: LuaScript) async -> LuaRunOutcome {
        let L = state.L
        guard let status = script.source.withUnsafeBytes({ LuaScript.compile(L, $0, chunkName: "@" + script.name) }) else {
            let message = LuaScript.precompiledMessage(script.name)
            return .scriptError(message: message, traceback: message)
        }
        guard status == LUA_OK else {
            let message = LuaState.message(L, at: -1) ?? "syntax error"
            lua_settop(L, 0)
            if status == LUA_ERRMEM { return .limit(.memory, message: limits.message(for: .memory)) }
            return .scriptError(message: message, traceback: message)
        }
        let main = makeCoroutine()
        lua_xmove(L, main.thread, 1) // the chunk
        return await driveWithDeadline(main)
    }

    /// Drives `main` under the time limit: the deadline the watchdog and the hook enforce
    /// is set for this drive (a run's whole script, or one REPL statement), then cleared.
    func driveWithDeadline(_ main: Coroutine, arguments: Int32 = 0) async -> LuaRunOutcome {
        roster_set_deadline(state.state, roster_monotonic_ns() + limits.timeout.nanoseconds, limits.watchdogGraceNanoseconds)
        roster_set_watchdog_message(
            state.state,
            "roster: \(limits.message(for: .timeout)); it was stuck inside a C function and the process was stopped")
        let outcome = await drive(main, arguments: arguments)
        roster_set_deadline(state.state, 0, 0)
        return outcome
    }

    /// The outcome for a coroutine that ended with an error (on top of its stack).
    func failureOutcome(_ thread: OpaquePointer, status: Int32) -> LuaRunOutcome {
        if let kind = state.limitHit { return limitOutcome(kind, stopped: thread) }
        if status == LUA_ERRMEM { return limitOutcome(.memory, stopped: thread) }
        let message = errorMessage(thread)
        // Its __tostring ran under the run's limits, and may have hit one.
        if let kind = state.limitHit { return .limit(kind, message: limitMessage(kind)) }
        if message.hasSuffix("stack overflow") || message.contains("stack overflow (") {
            return .limit(.stack, message: "\(limits.message(for: .stack)): \(message)")
        }
        let shown = MisspelledName.suggesting(message, in: state)
        luaL_traceback(state.L, thread, shown, 0)
        let traceback = LuaState.bytes(state.L, at: -1).map { String(decoding: $0, as: UTF8.self) } ?? shown
        roster_pop(state.L, 1)
        return .scriptError(message: shown, traceback: traceback)
    }

    /// `FILE:LINE: text` for the error value on top of `thread`.
    private func errorMessage(_ thread: OpaquePointer) -> String {
        let text: String
        if let message = LuaState.message(thread, at: -1) {
            text = message
        } else if lua_type(thread, -1) == LUA_TNIL {
            text = "nil"
        } else if lua_type(thread, -1) == LUA_TNUMBER, let number = LuaState.describe(thread, at: -1) {
            // `error(42)`: the number, as stock Lua shows it.
            text = number
        } else if luaL_getmetafield(thread, -1, "__tostring") != LUA_TNIL {
            roster_pop(thread, 1)
            text = LuaState.describe(thread, at: -1).map(LuaState.boundedMessage) ?? "(error object is a \(LuaState.typeName(thread, at: -1)) value)"
        } else if lua_type(thread, -1) == LUA_TTABLE, let table = try? LuaState.value(thread, at: -1) {
            // `error({code = 7})`: what the table holds says more than its type.
            text = LuaState.boundedMessage("(error object is a table: \(table.literal()))")
        } else {
            text = "(error object is a \(LuaState.typeName(thread, at: -1)) value)"
        }
        if Self.hasPosition(text) { return Self.collapsingRepeatedPositions(text) }
        return Self.position(thread) + text
    }

    /// `f.lua:1: f.lua:1: f.lua:1: boom` (each coroutine.wrap level adds the position, as
    /// in stock Lua) reads as `f.lua:1: boom`.
    static func collapsingRepeatedPositions(_ text: String) -> String {
        guard let end = text.range(of: ": ", range: text.index(after: text.firstIndex(of: ":")!)..<text.endIndex)?.upperBound else {
            return text
        }
        let prefix = text[..<end]
        var rest = text[end...]
        while rest.hasPrefix(prefix) { rest = rest.dropFirst(prefix.count) }
        return String(prefix + rest)
    }

    /// Whether `text` starts with `something:LINE: `.
    static func hasPosition(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        let rest = text[text.index(after: colon)...]
        let digits = rest.prefix { $0.isNumber }
        return !digits.isEmpty && rest.dropFirst(digits.count).hasPrefix(": ")
    }

    /// The outcome of a run that `kind` stopped while `thread` ran: the limit's message and
    /// where the limit was met (`; it stopped at loop.lua:3`), for a resource limit (the
    /// other stops' messages say what they are about). Memory filled by calls so deep that
    /// their frames hold an eighth of it at the least is a runaway recursion, which Lua's
    /// own stack limit would have stopped given the memory: it is reported as that, since
    /// more memory would not help.
    func limitOutcome(_ kind: LuaLimitKind, stopped thread: OpaquePointer) -> LuaRunOutcome {
        guard [.timeout, .memory, .instructions, .output].contains(kind) else { return .limit(kind, message: limitMessage(kind)) }
        roster_note_stop_place(thread)
        var source: UnsafePointer<CChar>?, depth: Int32 = 0
        let line = roster_stop_place(state.state, &source, &depth)
        guard line > 0, let source else { return .limit(kind, message: limitMessage(kind)) }
        let place = "\(String(cString: source)):\(line)"
        if kind == .memory, Int(depth) * Self.callFrameBytes * 8 >= limits.memory {
            return .limit(.stack, message: "\(limits.message(for: .stack)): \(place): \(depth) calls deep filled the "
                          + "\(limits.memory.megabytes) memory limit; does a function call itself without end?")
        }
        return .limit(kind, message: limitMessage(kind) + "; it stopped at " + place)
    }

    /// The least one Lua call holds while it runs (its `CallInfo` and a few stack slots): a
    /// function that only calls itself fills 64 MB at 655,000 calls deep; one with eight
    /// parameters and three locals takes 326 bytes a call.
    static let callFrameBytes = 100

    /// `FILE:LINE: ` of the innermost Lua function on `thread`'s stack, or "".
    static func position(_ thread: OpaquePointer) -> String {
        var record = lua_Debug()
        var level: Int32 = 0
        while lua_getstack(thread, level, &record) != 0 {
            lua_getinfo(thread, "Sl", &record)
            if record.currentline > 0 {
                let source = withUnsafeBytes(of: record.short_src) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                return "\(source):\(record.currentline): "
            }
            level += 1
        }
        return ""
    }
}
