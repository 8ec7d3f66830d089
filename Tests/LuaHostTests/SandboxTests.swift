/// SandboxTests.swift: exactly DESIGN's sandbox: what is there, what is not.
import Foundation
import LuaHost
import Testing
import TestSupport

@Suite struct SandboxTests {
    @Test func onlyTheAllowListIsThere() async {
        let result = await runScript("""
            local names = {}
            for k in pairs(_G) do names[#names + 1] = k end
            table.sort(names)
            print(table.concat(names, " "))
            local os_names = {}
            for k in pairs(os) do os_names[#os_names + 1] = k end
            table.sort(os_names)
            print(table.concat(os_names, " "))
            print(string.dump, io, debug, package, dofile, loadfile, rawequal ~= nil)
            """)
        #expect(result.outcome == .success)
        #expect(result.output == """
            _G _VERSION assert collectgarbage coroutine demo error getmetatable ipairs load math next os pairs parallel pcall print rawequal rawget rawlen rawset require select setmetatable string table tonumber tostring type utf8 xpcall
            clock date time
            nil\tnil\tnil\tnil\tnil\tnil\ttrue

            """)
    }

    @Test func theSharedStringLibraryCannotBeChangedByAScript() async {
        let result = await runScript(#"""
            string.upper = function() return "hijacked" end
            rawset(string, "lower", function() return "hijacked" end)
            string.format = nil
            print(("x"):upper(), ("X"):lower(), ("%d"):format(7), string.upper("y"))
            print(("x").dump, getmetatable(""))
            local names = 0
            for _ in pairs(string) do names = names + 1 end
            print(names > 10)
            """#)
        #expect(result.outcome == .success)
        #expect(result.output == "X\tx\t7\thijacked\nnil\tfalse\ntrue\n")
    }

    @Test func printGoesToRostersOutput() async {
        let result = await runScript(#"print("a", 1, nil, setmetatable({}, {__tostring = function() return "T" end})) print() print(("x"):rep(3))"#)
        #expect(result.output == "a\t1\tnil\tT\n\nxxx\n")
    }

    @Test func loadTakesTextOnlyAndBindsTheSandbox() async {
        let result = await runScript(#"""
            print(load("return print == _G.print and io == nil")())
            print(load("\27Lua"))
            print(pcall(load, "return 1", "x", "b"))
            print(load("return x", "chunk", "t", {x = 42})())
            local parts = {"return ", "7"}
            local i = 0
            print(load(function() i = i + 1 return parts[i] end)())
            """#)
        #expect(result.outcome == .success)
        #expect(result.output == """
            true
            nil\tattempt to load a binary chunk (mode is 't')
            false\tload: binary chunks are not allowed in Roster scripts
            42
            7

            """)
    }

    @Test func setmetatableRefusesGC() async {
        let result = await runScript("""
            print(pcall(setmetatable, {}, {__gc = function() end}))
            local mt = {}
            local t = setmetatable({}, mt)
            mt.__gc = function() print("never") end -- added later: not a finalizer in 5.4
            print(getmetatable(t) == mt)
            """)
        #expect(result.outcome == .success)
        #expect(result.output == "false\tsetmetatable: __gc metamethods are not allowed in Roster scripts\ntrue\n")
    }

    @Test func theStringMetatableIsProtected() async {
        let result = await runScript("""
            print(getmetatable(""))
            print(pcall(setmetatable, "", {}))
            print(("abc"):upper())
            """)
        #expect(result.outcome == .success)
        #expect(result.output.hasPrefix("false\nfalse\t"))
        #expect(result.output.hasSuffix("ABC\n"))
    }

    @Test func collectgarbageOnlyCounts() async {
        let result = await runScript(#"print(collectgarbage("count") > 0, collectgarbage() > 0, pcall(collectgarbage, "stop"))"#)
        #expect(result.output == "true\ttrue\tfalse\tcollectgarbage: only \"count\" is allowed in Roster scripts\n")
    }

    @Test func requireLoadsFromTheScriptsFolderOnly() async throws {
        let result = await runScript("""
            local util = require("lib.util")
            print(util.double(21), require("lib.util") == util)
            print(pcall(function() local m = require("../escape") return m end))
            print(pcall(function() local m = require("missing") return m end))
            print(pcall(function() local m = require("broken") return m end))
            print(pcall(function() local m = require("loop") return m end))
            print(require("waits"))
            """, files: [
                "lib/util.lua": "local M = {} function M.double(x) return x * 2 end return M",
                "broken.lua": "return +",
                "loop.lua": "return require('loop')",
                "waits.lua": "return demo.sleep(3)",
            ])
        #expect(result.outcome == .success)
        let lines = result.output.split(separator: "\n").map(String.init)
        try #require(lines.count == 6, "\(result.outcome): \(result.output)")
        #expect(lines[0] == "42\ttrue")
        #expect(lines[1].hasPrefix("false\ttest.lua:3: require: '../escape' is not a module name"))
        #expect(lines[2].hasPrefix("false\ttest.lua:4: require: module 'missing' not found (looked for "))
        #expect(lines[3].contains("broken.lua:1: unexpected symbol near '+'"))
        #expect(lines[4].contains("require: module 'loop' requires itself"))
        #expect(lines[5] == "3")
    }

    /// A symbolic link in the script's folder does not carry require out of it: require is
    /// a script's only way to read a file. A link that stays in the folder still loads.
    @Test func requireFollowsNoLinkOutOfTheScriptsFolder() async throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("roster-outside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        try Data("return 'outside'".utf8).write(to: outside.appendingPathComponent("secret.lua"))
        let result = await runScript("""
            print(pcall(require, "escape"))
            print(pcall(require, "elsewhere.secret"))
            print(require("alias"), require("lib.real"))
            """, files: ["lib/real.lua": "return 'inside'"],
            links: ["escape.lua": outside.appendingPathComponent("secret.lua").path, "elsewhere": outside.path, "alias.lua": "lib/real.lua"])
        #expect(result.outcome == .success, "\(result.outcome)")
        let lines = result.output.split(separator: "\n").map(String.init)
        try #require(lines.count == 3, "\(result.output)")
        #expect(lines[0].hasPrefix("false\trequire: module 'escape' ("))
        #expect(lines[0].hasSuffix("escape.lua) is a symbolic link out of the script's folder; require loads only from that folder"))
        #expect(lines[1].contains("module 'elsewhere.secret' (") && lines[1].contains("out of the script's folder"))
        #expect(!result.output.contains("outside\t") && !result.output.hasSuffix("outside\n"))
        #expect(lines[2] == "inside\tinside")
    }

    /// A module is read no further than the script's memory could hold (a FIFO or a huge
    /// file in the folder was read whole, past any limit), and a folder is not one.
    @Test func aModuleIsReadWithinTheMemoryLimit() async throws {
        let result = await runScript("""
            print(pcall(require, "endless"))
            print(pcall(require, "lib"))
            """, limits: LuaLimits(memory: 4 << 20, timeout: .seconds(60)), files: ["lib/x.lua": "return 1", "endless.lua": String(repeating: "-", count: 5 << 20)])
        let lines = result.output.split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(result.outcome): \(result.output)")
        #expect(lines[0].hasPrefix("false\trequire: module 'endless' (") && lines[0].hasSuffix("endless.lua) holds more than the script's memory limit of 4 MB"), "\(lines[0])")
        #expect(lines[1].hasPrefix("false\trequire: module 'lib' not found") || lines[1].contains("is not a file that can be read"), "\(lines[1])")
    }

    @Test func nestedCoroutineClosesAreGuarded() async {
        // Debian's 5.4.4 overflows the C stack when coroutine.close calls nest through
        // __close handlers; the guard raises a Lua error instead.
        let result = await runScript("""
            local function nest(depth)
              local co = coroutine.create(function()
                local guard <close> = setmetatable({}, {__close = function()
                  if depth > 0 then assert(coroutine.close(nest(depth - 1))) end
                end})
                coroutine.yield()
              end)
              coroutine.resume(co)
              return co
            end
            print(coroutine.close(nest(3)))
            local ok, e = coroutine.close(nest(50))
            print(ok, e)
            """)
        #expect(result.outcome == .success)
        #expect(result.output.hasPrefix("true\nfalse\t"))
        #expect(result.output.contains("coroutine.close: closes nested more than 8 deep"))
    }

    @Test func argsArriveAsAGlobal() async {
        let result = await runScript("print(args.email, args.missing)", globals: ["args": .table(LuaTable(["email": "a@b.c"]))])
        #expect(result.output == "a@b.c\tnil\n")
    }

    @Test func longCLoopsAreCutShort() async {
        let result = await runScript("""
            print(#string.rep("", 1e18), #string.rep("", 1e18, ""))
            local t = table.move({1, 2, 3, 4, 5}, 1, 4, 2)
            print(table.concat(t, ","))
            local big = {}
            for i = 1, 200000 do big[i] = i end
            table.move(big, 1, 199999, 2)
            print(big[1], big[2], big[200000])
            table.move(big, 2, 200000, 1)
            print(big[1], big[199999], big[200000])
            local dest = table.move(big, 1, 70000, 5, {})
            print(#dest, dest[5], dest[70004])
            """)
        #expect(result.outcome == .success)
        #expect(result.output == "0\t0\n1,1,2,3,4\n1\t1\t199999\n1\t199999\t199999\n70004\t1\t70000\n")
    }
}

/// A script is read as `lua5.4` reads a file, and its syntax is checked before a run starts.
@Suite struct ScriptTextTests {
    @Test func aByteOrderMarkAndAFirstHashLineAreNotCode() async {
        let marked = await runScript("\u{FEFF}#!/usr/bin/env -S roster run\nprint('ran')\nerror('line 3')")
        #expect(marked.output == "ran\n")
        #expect(marked.outcome.message == "test.lua:3: line 3")
        // Only a first line is skipped, and `#` elsewhere is still Lua's length operator.
        let second = await runScript("print(#'abc')\n#!not skipped\n")
        #expect(second.outcome.message == "test.lua:2: unexpected symbol near '#'")
        #expect(LuaScript(name: "only.lua", source: "#!/bin/sh").syntaxError == nil)
        #expect(LuaScript(name: "bom.lua", source: "\u{FEFF}").syntaxError == nil)
    }

    @Test func syntaxErrorsAreFoundWithoutRunning() {
        #expect(LuaScript(name: "ok.lua", source: "error('not run')").syntaxError == nil)
        #expect(LuaScript(name: "typo.lua", source: "local x = 1\nlocal = 2").syntaxError == "typo.lua:2: <name> expected near '='")
        #expect(LuaScript(name: "luac.out", source: [0x1B, 0x4C, 0x75, 0x61, 0x54], directory: nil).syntaxError
                == "luac.out: a precompiled chunk (luac output); Roster runs Lua source only: run the .lua file")
    }
}

/// A journaled run's clock: `os.time()` and `os.date` without a time answer it, in every
/// attempt; a time given is used as it is.
@Suite struct PinnedClockTests {
    @Test func osTimeAndOsDateAnswerThePinnedClock() async {
        var runner = LuaRunner()
        runner.clock = 1_700_000_000
        let output = CollectedOutput()
        let outcome = await runner.run(LuaScript(name: "clock.lua", source: """
            print(os.time(), os.date("!%Y-%m-%d %H:%M:%S"), os.date("!*t").hour)
            print(os.time({year = 2000, month = 1, day = 1, hour = 12}) == os.time({year = 2000, month = 1, day = 1, hour = 12}))
            print(os.date("!%Y", 0), type(os.clock()))
            local before = os.time()
            for i = 1, 1e6 do end
            print(os.time() == before)
            print(select(2, pcall(os.date, "%Ez")))
            """), output: output)
        #expect(outcome == .success, "\(outcome)")
        #expect(output.text == """
            1700000000\t2023-11-14 22:13:20\t22
            true
            1970\tnumber
            true
            bad argument #1 to 'os.date' (invalid conversion specifier '%Ez')

            """)

        let running = CollectedOutput()
        _ = await LuaRunner().run(LuaScript(name: "live.lua", source: "print(os.time() > 1700000000)"), output: running)
        #expect(running.text == "true\n", "without a pinned clock, the clock runs")
    }
}
