/// BridgeErrorTests.swift: DESIGN invariant 1: errors are raised only from C, never across
/// a Swift frame, and every one is a clean Lua error; nothing leaks.
import LuaHost
import Testing
import TestSupport

@Suite(.serialized) struct BridgeErrorTests {
    @Test func aRaisingIndexMetamethodIsACleanError() async {
        let (result, live) = await DeinitCounter.counting { await runScript("""
            local t = setmetatable({}, {__index = function(_, k) error("no field " .. k) end})
            local ok, e = pcall(demo.name_of, t)
            print(ok, e)
            print(demo.name_of(setmetatable({}, {__index = {name = "via index"}})))
            local ok2, e2 = pcall(demo.name_of, setmetatable({}, {__index = function() error({code = 7}) end}))
            print(ok2, type(e2), e2.code)
            """) }
        #expect(result.outcome == .success)
        #expect(result.output == """
            false\ttest.lua:1: no field name
            via index
            false\ttable\t7

            """)
        #expect(live == 0)
    }

    @Test func aSwiftThrowIsACleanError() async {
        let (result, live) = await DeinitCounter.counting { await runScript("""
            for i = 1, 3 do print(pcall(function() demo.fail() end)) end
            local ok, e = pcall(demo.vendor_fail)
            print(ok, e.vendor, e.status, e.retryable)
            demo.fail()
            """) }
        #expect(result.output == """
            false\ttest.lua:1: demo.fail: the demo failed on purpose
            false\ttest.lua:1: demo.fail: the demo failed on purpose
            false\ttest.lua:1: demo.fail: the demo failed on purpose
            false\tdemo\t503\ttrue

            """)
        #expect(result.outcome == .scriptError(
            message: "test.lua:4: demo.fail: the demo failed on purpose",
            traceback: result.outcome.traceback))
        #expect(result.outcome.traceback.contains("in field 'fail'"))
        #expect(live == 0)
    }

    @Test func aBindingOverTheMemoryLimitEndsTheRunCleanly() async {
        let limits = LuaLimits(memory: 4 << 20, timeout: .seconds(10))
        // The error unwinds like any Lua error (the pcall frame returns, __close handlers
        // run), but a limit ends the run: no script code runs after it.
        let (result, live) = await DeinitCounter.counting { await runScript("""
            local closed = false
            local ok, e = pcall(function()
              local guard <close> = setmetatable({}, {__close = function() closed = true end})
              return demo.big(100000)
            end)
            print("swallowed", ok, e)
            """, limits: limits) }
        #expect(result.outcome == .limit(.memory, message: limits.message(for: .memory) + "; it stopped at test.lua:4"))
        #expect(result.output == "")
        #expect(live == 0)
        // The host goes on: the next run in this process is unaffected.
        let next = await runScript("print(demo.add(1, 2))", limits: limits)
        #expect(next.outcome == .success)
        #expect(next.output == "3\n")
    }

    @Test func asyncResultsOverTheMemoryLimitEndTheRun() async {
        let limits = LuaLimits(memory: 4 << 20, timeout: .seconds(10))
        let result = await runScript("local t = demo.big_later(100000) print(#t)", limits: limits)
        #expect(result.outcome == .limit(.memory, message: limits.message(for: .memory) + "; it stopped at test.lua:1"))
        #expect(result.output == "")
    }
}

extension LuaRunOutcome {
    var traceback: String {
        if case .scriptError(_, let traceback) = self { return traceback }
        return ""
    }
}
