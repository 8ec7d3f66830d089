/// LimitTests.swift: DESIGN invariant 5: limits are always on, cannot be swallowed, and the
/// host goes on.
import LuaHost
import Testing
import TestSupport

@Suite(.serialized) struct LimitTests {
    static let short = LuaLimits(timeout: .milliseconds(400))
    /// Its own threads, so that other suites' scripts do not delay these timings.
    static let pool = LuaExecutor(threads: 2)

    @Test(arguments: [
        "while true do end",
        "pcall(function() while true do end end) print('swallowed')",
        "while true do pcall(function() while true do end end) end",
        "while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
        "local f = coroutine.wrap(function() while true do end end) while true do pcall(f) end",
        "while true do xpcall(function() while true do end end, function() while true do end end) end",
        "local x <close> = setmetatable({}, {__close = function() while true do end end}) while true do end",
        "while true do pcall(load, function() while true do end end) end",
        "print(table.move({}, 1, math.maxinteger - 1, 2))",
        "local t = parallel.map({1, 2}, function() while true do end end)",
    ])
    func aTimeoutCannotBeSwallowed(script: String) async {
        let result = await runScript(script, limits: Self.short, executor: Self.pool)
        #expect(result.outcome == .limit(.timeout, message: Self.short.message(for: .timeout) + "; it stopped at test.lua:1"))
        #expect(!result.output.contains("swallowed"))
        // 0.4 s, plus slack for a loaded 2-core machine (a full suite has made one take
        // 10.4 s); half the 60 s default, which an unstopped script would reach.
        #expect(result.seconds < 30, "stopped after \(result.seconds) s")
    }

    /// The host turns a non-string error into text with its `__tostring`: script code, run
    /// under the script's limits (it used to hang the host after the script had ended).
    @Test(arguments: [
        "error(setmetatable({}, {__tostring = function() while true do end end}))",
        "local t = setmetatable({}, {__tostring = function(self) return self.x end, __index = function() while true do end end}) error(t)",
    ])
    func anErrorValueThatNeverConvertsIsStoppedByTheDeadline(script: String) async {
        let started = ContinuousClock.now
        let result = await runScript(script, limits: Self.short)
        #expect(result.outcome == .limit(.timeout, message: Self.short.message(for: .timeout)))
        // Unstopped, it never ends; stopped, it ends in moments (the margin is for a loaded machine).
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// A limit raised from inside a C function (the pattern matcher) after the run has been
    /// time-sliced: pcall catches it, and the very next instruction raises it again (Lua
    /// skips one hook call after a hook yield; the hook must not lose that instruction).
    @Test func aLimitFromCAfterTimeSlicesCannotBeSwallowed() async {
        // Time for the first line on a loaded machine (a full suite once took longer than
        // 800 ms there); the match on the second never ends.
        let limits = LuaLimits(memory: 256 << 20, timeout: .seconds(3))
        let result = await runScript("""
            local t = {} for i = 1, 3e6 do t[i] = i end
            print(pcall(string.find, string.rep("a", 1e5), ".-.-.-.-b"))
            print("after")
            """, limits: limits)
        #expect(result.outcome == .limit(.timeout, message: limits.message(for: .timeout) + "; it stopped at test.lua:2"))
        #expect(result.output == "")
    }

    /// A long table.sort (no hook runs inside it) stops at the deadline too.
    @Test func aLongSortEndsAtTheDeadline() async {
        let limits = LuaLimits(memory: 1 << 30, timeout: .milliseconds(1500))
        let started = ContinuousClock.now
        let result = await runScript("local t = {} for i = 1, 8e6 do t[i] = (i * 7919) % 8e6 end table.sort(t) print('sorted')", limits: limits)
        #expect(result.outcome == .limit(.timeout, message: limits.message(for: .timeout) + "; it stopped at test.lua:1"))
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func memoryIsCapped() async {
        let limits = LuaLimits(memory: 8 << 20, timeout: .seconds(10))
        for script in [
            "local s = 'x' while true do s = s .. s end",
            "local t = {} for i = 1, 1e8 do t[i] = i end",
            "local ok = pcall(string.rep, 'x', 1e9) print('swallowed', ok) for i = 1, 1e6 do end",
        ] {
            let result = await runScript(script, limits: limits)
            #expect(result.outcome == .limit(.memory, message: limits.message(for: .memory) + "; it stopped at test.lua:1"), "\(script)")
        }
        // Garbage is not live memory: churning through much more than the cap is fine.
        let churn = await runScript("for i = 1, 200 do local t = {} for j = 1, 5000 do t[j] = j end end print('ok')", limits: limits)
        #expect(churn.outcome == .success)
    }

    @Test func instructionsCanBeBudgeted() async {
        let limits = LuaLimits(timeout: .seconds(10), instructions: 1_000_000)
        let result = await runScript("local n = 0 while true do n = n + 1 end", limits: limits)
        #expect(result.outcome == .limit(.instructions, message: limits.message(for: .instructions) + "; it stopped at test.lua:1"))
        let small = await runScript("local n = 0 for i = 1, 1000 do n = n + i end print(n)", limits: limits)
        #expect(small.outcome == .success)
        #expect(small.output == "500500\n")
    }

    @Test func outputIsCapped() async {
        let limits = LuaLimits(timeout: .seconds(10), output: 1000)
        let result = await runScript("for i = 1, 1e6 do pcall(print, ('x'):rep(50)) end", limits: limits)
        #expect(result.outcome == .limit(.output, message: limits.message(for: .output) + "; it stopped at test.lua:1"))
        #expect(result.output.utf8.count <= 1000)
    }

    @Test(arguments: [
        "local function f() return 1 + f() end f()",
        "local t = setmetatable({}, {}) getmetatable(t).__index = function(s, k) return s[k] end print(t.x)",
        "local function g(s) return (s:gsub('.', g)) end g('ab')",
        "local function c() local co = coroutine.wrap(c) return co() end c()",
    ])
    func deepRecursionIsALuaErrorNotACrash(script: String) async {
        let result = await runScript(script)
        switch result.outcome {
        case .limit(.stack, _), .limit(.memory, _): break
        default: Issue.record("expected a stack or memory limit, got \(result.outcome)")
        }
    }

    /// A limit's message names the line the script had reached when the limit was met: the
    /// line inside a function a pcall ran, not the pcall's, which caught it on the way out.
    @Test(arguments: [
        ("local n = 0\nlocal function spin()\n  while true do n = n + 1 end\nend\npcall(spin)\n", LuaLimitKind.timeout, 3),
        ("local t = {}\nfor i = 1, 1e8 do\n  t[i] = ('x'):rep(100) .. i\nend\n", .memory, 3),
        ("local function big()\n  return string.rep('x', 1e9)\nend\nprint(pcall(big))\n", .memory, 2),
        ("\nlocal function loud()\n  while true do print(('x'):rep(50)) end\nend\npcall(loud)\n", .output, 3),
        ("local n = 0\nwhile true do\n  n = n + 1\nend\n", .instructions, 3),
    ])
    func aLimitNamesTheLineItStoppedAt(script: String, kind: LuaLimitKind, line: Int) async {
        // Only the limit under test is tight (filling 16 MB took over 400 ms in a full suite).
        let limits = LuaLimits(memory: 16 << 20, timeout: kind == .timeout ? .milliseconds(400) : .seconds(30),
                               instructions: kind == .instructions ? 1_000_000 : nil, output: 1000)
        let result = await runScript(script, limits: limits, executor: Self.pool)
        #expect(result.outcome == .limit(kind, message: limits.message(for: kind) + "; it stopped at test.lua:\(line)"))
    }

    /// A recursion without end fills the memory with its calls: it is named as a recursion,
    /// with its line and depth (more memory would not help), whether or not a pcall catches
    /// it; a deep recursion whose memory went to data is a memory limit.
    @Test func aRunawayRecursionIsNamedWithItsLineAndDepth() async throws {
        let limits = LuaLimits(memory: 16 << 20, timeout: .seconds(30))
        for script in ["local function f()\n  return 1 + f()\nend\nf()\n", "local function f()\n  return 1 + f()\nend\nprint(pcall(f))\n"] {
            let result = await runScript(script, limits: limits)
            guard case .limit(.stack, let message) = result.outcome else {
                Issue.record("expected a stack limit, got \(result.outcome)")
                continue
            }
            let pattern = try Regex(#"^stack overflow: recursion too deep: test\.lua:2: (\d+) calls deep filled the 16 MB memory limit; does a function call itself without end\?$"#)
            let depth = try #require(message.wholeMatch(of: pattern)?.output[1].substring.flatMap { Int($0) }, "\(message)")
            #expect(depth > 100_000, "\(message)")
            #expect(result.output == "")
        }
        let data = await runScript("""
            local kept = {}
            local function walk(n)
              if n == 0 then for i = 1, 1e8 do kept[i] = ('x'):rep(100) .. i end end
              local r = walk(n - 1)
              return r
            end
            walk(2000)
            """, limits: limits)
        #expect(data.outcome == .limit(.memory, message: limits.message(for: .memory) + "; it stopped at test.lua:3"))
    }

    @Test func theHostGoesOnAfterEveryLimit() async {
        let limits = LuaLimits(memory: 8 << 20, timeout: .milliseconds(200), output: 100)
        for script in ["while true do end", "local s = 'x' while true do s = s .. s end", "while true do print('x') end"] {
            let result = await runScript(script, limits: limits)
            guard case .limit = result.outcome else { Issue.record("expected a limit, got \(result.outcome)"); continue }
        }
        let after = await runScript("print(demo.add(40, 2))", limits: limits)
        #expect(after.outcome == .success)
        #expect(after.output == "42\n")
    }
}
