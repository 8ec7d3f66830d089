/// HostBenchmarks.swift: the host's performance goals, measured as ratios against a
/// baseline in the same process (these machines are shared and noisy; ratios travel).
/// Not part of the host's API: SPI for `roster bench` only (`@_spi(Benchmarks) import LuaHost`).
import CLua
import CRosterLua

/// The figures `roster bench` reports.
@_spi(Benchmarks) public struct HostBenchmarkReport: Sendable, Codable {
    /// Nanoseconds per Lua→Swift call of a declared no-op binding.
    public var bindingCallNanoseconds: Double
    /// Nanoseconds per Lua→C call of a plain `lua_CFunction`.
    public var cFunctionCallNanoseconds: Double
    /// Goal: at most 1.5.
    public var bindingCallRatio: Double
    /// Microseconds to create (and close) a ready sandbox.
    public var sandboxCreateMicroseconds: Double
    /// Microseconds for `luaL_newstate` with the same libraries (and `lua_close`).
    public var bareStateCreateMicroseconds: Double
    /// Goal: at most 3.
    public var sandboxCreateRatio: Double
    /// Seconds of a pure-Lua compute chunk with every default limit on.
    public var computeWithLimitsSeconds: Double
    /// The same chunk in a bare state with no limits.
    public var computeBareSeconds: Double
    /// Goal: at most 1.05.
    public var limitsComputeRatio: Double
    /// The same chunk with an instruction budget too (a count hook): the price of opting in.
    public var computeWithInstructionBudgetSeconds: Double
    public var instructionBudgetComputeRatio: Double

    enum CodingKeys: String, CodingKey {
        case bindingCallNanoseconds = "binding_call_ns"
        case cFunctionCallNanoseconds = "c_function_call_ns"
        case bindingCallRatio = "binding_call_ratio"
        case sandboxCreateMicroseconds = "sandbox_create_us"
        case bareStateCreateMicroseconds = "bare_state_create_us"
        case sandboxCreateRatio = "sandbox_create_ratio"
        case computeWithLimitsSeconds = "compute_with_limits_s"
        case computeBareSeconds = "compute_bare_s"
        case limitsComputeRatio = "limits_compute_ratio"
        case computeWithInstructionBudgetSeconds = "compute_with_instruction_budget_s"
        case instructionBudgetComputeRatio = "instruction_budget_compute_ratio"
    }
}

/// Runs the host benchmarks on the calling thread (a few seconds).
@_spi(Benchmarks) public enum HostBenchmarks {
    /// The compute chunk: calls, arithmetic, strings, tables, sorting.
    public static let computeChunk = """
        local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
        local sum = 0
        for i = 1, 2000000 do sum = sum + (i % 7) * 2 end
        local words = {}
        for i = 1, 100000 do words[i] = tostring(i * 7919 % 100003) end
        table.sort(words)
        local text = table.concat(words, ",", 1, 1000)
        return fib(27) + sum + #text
        """

    /// Just the binding-call loop (for profiling): nanoseconds per call.
    public static func bindingCall(calls: Int = 10_000_000, swift: Bool = true) -> Double {
        callLoop(calls: calls, swift: swift) / Double(calls) * 1e9
    }

    /// Each round measures every figure next to its baseline; a ratio is the median of the
    /// rounds' paired ratios (robust to a shared machine's drift), a raw figure the best.
    public static func run(rounds: Int = 5) -> HostBenchmarkReport {
        let calls = 1_000_000
        var binding: [Double] = [], cFunction: [Double] = []
        var sandbox: [Double] = [], bare: [Double] = []
        var limited: [Double] = [], unlimited: [Double] = [], budgeted: [Double] = []
        for _ in 0..<rounds {
            cFunction.append(callLoop(calls: calls, swift: false) / Double(calls) * 1e9)
            binding.append(callLoop(calls: calls, swift: true) / Double(calls) * 1e9)
            bare.append(createLoop(count: 300, sandboxed: false) / 300 * 1e6)
            sandbox.append(createLoop(count: 300, sandboxed: true) / 300 * 1e6)
            unlimited.append(computeBare())
            limited.append(computeLimited(instructionBudget: nil))
            budgeted.append(computeLimited(instructionBudget: Int64.max / 2))
        }
        func ratio(_ measured: [Double], _ baseline: [Double]) -> Double {
            let ratios = zip(measured, baseline).map { $0 / $1 }.sorted()
            return ratios[ratios.count / 2]
        }
        return HostBenchmarkReport(
            bindingCallNanoseconds: binding.min()!, cFunctionCallNanoseconds: cFunction.min()!,
            bindingCallRatio: ratio(binding, cFunction),
            sandboxCreateMicroseconds: sandbox.min()!, bareStateCreateMicroseconds: bare.min()!,
            sandboxCreateRatio: ratio(sandbox, bare),
            computeWithLimitsSeconds: limited.min()!, computeBareSeconds: unlimited.min()!,
            limitsComputeRatio: ratio(limited, unlimited),
            computeWithInstructionBudgetSeconds: budgeted.min()!,
            instructionBudgetComputeRatio: ratio(budgeted, unlimited))
    }

    private static func seconds(_ body: () -> Void) -> Double {
        let start = roster_monotonic_ns()
        body()
        return Double(roster_monotonic_ns() - start) / 1e9
    }

    private static let noop = LuaFunction("noop", "Does nothing (benchmark).") { _ in .nil }

    /// Seconds for `calls` calls from a Lua loop into a binding or a plain C function.
    private static func callLoop(calls: Int, swift: Bool) -> Double {
        guard let state = try? LuaState(memoryLimit: 64 << 20) else { return .nan }
        let L = state.L
        Sandbox.open(state)
        if swift {
            state.install(noop)
        } else {
            lua_pushcclosure(L, roster_noop_cfunction, 0)
            lua_setglobal(L, "noop")
        }
        let chunk = "local f, n = noop, ... for i = 1, n do f() end"
        guard luaL_loadbufferx(L, chunk, chunk.utf8.count, "=bench", "t") == LUA_OK else { return .nan }
        lua_pushinteger(L, lua_Integer(calls))
        return seconds { _ = roster_pcall(L, 1, 0) }
    }

    /// Seconds to create and close `count` states.
    private static func createLoop(count: Int, sandboxed: Bool) -> Double {
        seconds {
            for _ in 0..<count {
                if sandboxed {
                    guard let state = try? LuaState(memoryLimit: 64 << 20) else { return }
                    Sandbox.open(state)
                    Sandbox.setLimitMessages(state, LuaLimits())
                } else {
                    let L = luaL_newstate()
                    roster_open_baseline_libraries(L)
                    lua_close(L)
                }
            }
        }
    }

    private static func computeBare() -> Double {
        let L = luaL_newstate()!
        defer { lua_close(L) }
        roster_open_baseline_libraries(L)
        guard luaL_loadbufferx(L, computeChunk, computeChunk.utf8.count, "=compute", "t") == LUA_OK else { return .nan }
        return seconds { _ = roster_pcall_plain(L, 0, 0, 0) }
    }

    /// The chunk run as a script runs: a coroutine of a sandboxed state with its memory
    /// cap, deadline and watchdog (and optionally an instruction budget).
    private static func computeLimited(instructionBudget: Int64?) -> Double {
        guard let state = try? LuaState(memoryLimit: 64 << 20) else { return .nan }
        let L = state.L
        Sandbox.open(state)
        Sandbox.setLimitMessages(state, LuaLimits())
        if let instructionBudget { roster_set_instruction_limit(state.state, instructionBudget) }
        let thread = lua_newthread(L)!
        guard luaL_loadbufferx(thread, computeChunk, computeChunk.utf8.count, "=compute", "t") == LUA_OK else { return .nan }
        roster_set_deadline(state.state, roster_monotonic_ns() + 60_000_000_000, 2_000_000_000)
        defer { roster_set_deadline(state.state, 0, 0) }
        var results: Int32 = 0
        return seconds {
            // Time slices yield the coroutine: resume it at once, as an idle scheduler would.
            while roster_resume(thread, nil, 0, &results) == LUA_YIELD && roster_take_time_slice(state.state) != 0 {}
        }
    }
}
