/// RunCommandTests.swift: `roster run` end to end, through the built binary: output,
/// messages and exit codes as DESIGN's command-line contract states them.
import Foundation
import Testing

@Suite struct RunCommandTests {
    /// Runs `roster run script.lua ARGS` on a script written to a temporary folder.
    func run(_ source: String, _ arguments: [String] = [], files: [String: String] = [:], limit: Double = 60) async throws -> ProcessResult {
        var files = files
        files["script.lua"] = source
        let folder = try RosterProcess.scriptFolder(files)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await RosterProcess.run(["run", "script.lua"] + arguments, in: folder, limit: limit)
    }

    @Test func helloRunsWithArguments() async throws {
        let result = try await RosterProcess.run(["run", "scripts/hello.lua", "--arg", "name=Ada"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("Hello, Ada! This is Roster running Lua 5.4 in its sandbox.\n"))
        #expect(result.stdout.contains("2. Grace <grace@example.com>"))
        #expect(result.diagnostics == "")
    }

    @Test func printGoesToStdoutAndArgsArrive() async throws {
        let result = try await run("print(args.who, args.empty == '', args.eq) io.write('x')", ["--arg", "who=alice", "--arg", "empty=", "--arg", "eq=a=b"])
        #expect(result.stdout == "alice\ttrue\ta=b\n")
        #expect(result.status == 1)
        #expect(result.diagnostics == "script.lua:1: attempt to index a nil value (global 'io'); io is not available in Roster scripts: "
            + "scripts reach no files; name one with --input FILE and read it as inputs[\"FILE\"]\n")
    }

    @Test func aBadOrRepeatedArgIsAUsageErrorAndNothingRuns() async throws {
        let repeated = try await run("print('ran')", ["--arg", "user=alice", "--arg", "user=bob"])
        #expect(repeated.status == 2)
        #expect(repeated.stdout == "")
        #expect(repeated.diagnostics.contains("--arg user is given twice ('alice', then 'bob'); give it once"))

        let unpaired = try await run("print('ran')", ["--arg", "user"])
        #expect(unpaired.status == 2)
        #expect(unpaired.stdout == "")
        #expect(unpaired.diagnostics.contains("--arg expects KEY=VALUE, got 'user'"))
    }

    /// A script or a CSV saved as Windows-1252 is refused before anything runs: its journal
    /// keeps the text a resume runs, and a vendor would have been sent "Jos\u{FFFD}".
    @Test func aFileThatIsNotUTF8IsRefusedAndNothingRuns() async throws {
        let folder = try RosterProcess.scriptFolder(["ok.lua": "print(row.name)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("print('Jos".utf8 + [0xE9] + "')\n".utf8).write(to: folder.appendingPathComponent("latin1.lua"))
        try Data("name\nJos".utf8 + [0xE9] + "\n".utf8).write(to: folder.appendingPathComponent("latin1.csv"))
        let script = try await RosterProcess.run(["run", "latin1.lua"], in: folder)
        #expect(script.status == 2)
        #expect(script.stdout == "")
        #expect(script.stderr == "roster: latin1.lua: line 1: not UTF-8 text (byte 0xE9 at character 11); it was probably saved as Windows-1252 or Latin-1: save it as UTF-8\n")
        let rows = try await RosterProcess.run(["run", "ok.lua", "--each", "latin1.csv"], in: folder)
        #expect(rows.status == 2)
        #expect(rows.stdout == "")
        // The one line, before a vendor or the journal is opened.
        #expect(rows.stderr == "roster: --each latin1.csv: line 2: not UTF-8 text (byte 0xE9 at character 4); it was probably saved as Windows-1252 or Latin-1: save it as UTF-8\n")
        let submitted = try await RosterProcess.run(["submit", "latin1.lua", "--journal", folder.appendingPathComponent("j.sqlite").path], in: folder)
        #expect(submitted.status == 2)
        #expect(submitted.stderr.contains("latin1.lua: line 1: not UTF-8 text"), "\(submitted.stderr)")

        try Data([0xEF, 0xBB, 0xBF] + "name\nJosé\n".utf8).write(to: folder.appendingPathComponent("utf8.csv"))
        let fine = try await RosterProcess.run(["run", "ok.lua", "--each", "utf8.csv"], in: folder)
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect(fine.stdout.hasPrefix("José\n"), "\(fine.stdout)")
    }

    /// A CSV with a header and no rows (an export that came out empty) is said to be one.
    @Test func aCSVWithNoRowsSaysSo() async throws {
        let folder = try RosterProcess.scriptFolder(["s.lua": "print(row.email)", "empty.csv": "email\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await RosterProcess.run(["run", "s.lua", "--each", "empty.csv", "--emulator"], in: folder)
        #expect(result.status == 0)
        #expect(result.stdout == "")
        #expect(result.stderr.contains("roster: empty.csv has no rows below its header; nothing was run\n"), "\(result.stderr)")
    }

    @Test func aRuntimeErrorIsFileLineMessageAndExit1() async throws {
        let result = try await run("local x = 1\nerror('the user was not found')\n")
        #expect(result.status == 1)
        #expect(result.diagnostics == "script.lua:2: the user was not found\n")
        // Nothing was changed, so nothing is left to finish: a resume would meet the same error.
        #expect(result.stderr.contains(" changed nothing before its error: run the script again once it is fixed (roster runs show "), "\(result.stderr)")
        #expect(!result.stderr.contains("roster resume"), "\(result.stderr)")

        let verbose = try await run("local function f() error('deep') end\nf()\n", ["--verbose"])
        #expect(verbose.status == 1)
        #expect(verbose.diagnostics.hasPrefix("script.lua:1: deep\nstack traceback:\n"))
        #expect(verbose.diagnostics.contains("script.lua:2: in main chunk"))
    }

    /// A change the vendor refused changed nothing: the script is to be fixed and run again,
    /// not resumed (a resume sends the journaled text's refused change again as it was).
    @Test func aRefusedChangeLeavesNothingToResume() async throws {
        let refused = try await run("""
            encore.create_user({user_name = "zz", first_name = "Z", last_name = "Z", password = "Pass-1234!", group_name = "Default"})
            """, ["--emulator", "--yes"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("script.lua:1: encore.create_user: HTTP 400 (code 133): "), "\(refused.stderr)")
        #expect(refused.stderr.contains(" changed nothing before its error: run the script again once it is fixed (roster runs show "), "\(refused.stderr)")
        #expect(!refused.stderr.contains("roster resume"), "\(refused.stderr)")
        // One that went through before the error is left to finish.
        let changed = try await run("encore.deactivate_user(1002)\nerror('later', 0)", ["--emulator", "--yes"])
        #expect(changed.status == 1 && changed.stderr.contains("; to finish it: roster resume "), "\(changed.stderr)")
    }

    @Test func errorValuesWithoutPositionGetOne() async throws {
        let table = try await run("local t = setmetatable({}, {__tostring = function() return 'custom' end})\n\nerror(t)")
        #expect(table.status == 1)
        #expect(table.diagnostics == "script.lua:3: custom\n")
        let level0 = try await run("error('plain', 0)")
        #expect(level0.diagnostics == "script.lua:1: plain\n")
        // A plain table says what it holds; one that cannot be shown (a function) its type.
        let plain = try await run("error({code = 7, message = 'no such user'})")
        #expect(plain.status == 1)
        #expect(plain.diagnostics == "script.lua:1: (error object is a table: {code = 7, message = \"no such user\"})\n")
        let opaque = try await run("error({print})")
        #expect(opaque.diagnostics == "script.lua:1: (error object is a table value)\n")
        // A number is shown, as stock Lua shows it (it read "a integer value").
        #expect(try await run("error(42)").diagnostics == "script.lua:1: 42\n")
        #expect(try await run("error(1.5)").diagnostics == "script.lua:1: 1.5\n")
        #expect(try await run("error(true)").diagnostics == "script.lua:1: (error object is a boolean value)\n")
    }

    /// luac's output is refused by name, as a script and as a module, not in Lua's words.
    @Test func aPrecompiledChunkIsNamedAndRefused() async throws {
        let chunk = "\u{1B}Lua\u{54}\u{00}"
        let script = try await run(chunk)
        #expect(script.status == 1)
        #expect(script.diagnostics == "script.lua: a precompiled chunk (luac output); Roster runs Lua source only: run the .lua file\n")
        let module = try await run("require('compiled')", files: ["compiled.lua": chunk])
        #expect(module.status == 1)
        #expect(module.diagnostics.hasPrefix("script.lua:1: require: module 'compiled' ("), "\(module.diagnostics)")
        #expect(module.diagnostics.hasSuffix("compiled.lua) is a precompiled chunk (luac output); Roster loads Lua source only\n"), "\(module.diagnostics)")
    }

    /// A typo is one line before anything starts: no run is journaled, no vendor reached,
    /// and under `--each` no row runs (rather than every row failing on it).
    @Test func aSyntaxErrorIsExit1() async throws {
        let result = try await run("print('a')\nlocal = 2\n")
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr == "script.lua:2: <name> expected near '='\n")

        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("roster-syntax-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: journal) }
        let rows = try await run("local = row.id\n", ["--each", "rows.csv", "--journal", journal], files: ["rows.csv": "id\n1\n2\n3\n"])
        #expect(rows.status == 1)
        #expect(rows.stderr == "script.lua:1: <name> expected near '='\n")

        let json = try await run("print(", ["--json"])
        #expect(json.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(report?["outcome"] as? String == "script_error")
        #expect(report?["error"] as? String == "script.lua:1: unexpected symbol near <eof>")

        let runs = try await RosterProcess.run(["runs", "--journal", journal])
        #expect(runs.stdout.hasPrefix("no runs journaled"), "\(runs.stdout)\(runs.stderr)")
    }

    /// `--json` reports what the script returned as `result`: one value as it is, several
    /// as a list, none as null; a value JSON cannot hold is said so, and the run still
    /// succeeds.
    @Test func theJSONReportCarriesWhatTheScriptReturned() async throws {
        func result(_ source: String) async throws -> Any? {
            let run = try await run(source, ["--json"])
            #expect(run.status == 0, "\(run.stderr)")
            return (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["result"]
        }
        let user = try await result("return encore.get_user(1001)") as? [String: Any]
        #expect(user?["user_name"] as? String == "ada" && user?["user_id"] as? Int == 1001)
        #expect(try await result("print('no return')") is NSNull)
        let several = try await result("return 1, 'two', {[10] = true}, 1/0, {f = print}") as? [Any]
        #expect(several?.count == 5)
        #expect(several?[1] as? String == "two")
        #expect((several?[2] as? [String: Any])?["10"] as? Bool == true)
        #expect(several?[3] is NSNull, "infinity is not JSON")
        #expect(several?[4] as? String == "(not reportable: a function (at key \"f\"))")
    }

    /// Read as `lua5.4` reads a file: a UTF-8 byte-order mark (Notepad's) and a first `#!`
    /// line are skipped, in scripts and in modules, and line numbers stay the file's.
    @Test func aByteOrderMarkAndAShebangLineAreSkipped() async throws {
        let result = try await run("\u{FEFF}#!/usr/bin/env -S roster run\nprint(require('lib.util').name)\nerror('on line 3')\n",
                                   files: ["lib/util.lua": "\u{FEFF}#!shebang\nreturn {name = 'util'}\n"])
        #expect(result.stdout == "util\n")
        #expect(result.diagnostics == "script.lua:3: on line 3\n")
        #expect(result.status == 1)
    }

    @Test func usageErrorsAreExit2() async throws {
        let missing = try await RosterProcess.run(["run", "no/such/script.lua"])
        #expect(missing.status == 2)
        #expect(missing.diagnostics == "roster: cannot read script 'no/such/script.lua': no such file\n")
        // Why a file cannot be read is said, so that a typo and a folder do not read alike.
        let folder = try await RosterProcess.run(["run", "scripts"])
        #expect(folder.status == 2)
        #expect(folder.diagnostics == "roster: cannot read script 'scripts': it is a folder, not a file\n")
        let throughFile = try await RosterProcess.run(["run", "scripts/hello.lua", "--input", "scripts/hello.lua/rows.csv"])
        #expect(throughFile.status == 2)
        #expect(throughFile.diagnostics == "roster: cannot read --input 'scripts/hello.lua/rows.csv': a part of the path is not a folder\n")
        for arguments in [["run", "scripts/hello.lua", "--timeout", "-1"], ["run", "scripts/hello.lua", "--arg", "novalue"],
                          ["run", "scripts/hello.lua", "--memory-limit", "0"], ["run", "scripts/hello.lua", "--bogus"], ["run"]] {
            let result = try await RosterProcess.run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.diagnostics.hasPrefix("Error: "), "\(arguments): \(result.diagnostics)")
        }
        // A word that names no command is Roster's own line (CommandLineContractTests).
        let nonsense = try await RosterProcess.run(["nonsense"])
        #expect(nonsense.status == 2 && nonsense.diagnostics.hasPrefix("roster: 'nonsense' is not a roster command"), "\(nonsense.diagnostics)")
        let help = try await RosterProcess.run(["run", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--memory-limit"))
    }

    @Test func aTimeoutIsExit3() async throws {
        let result = try await run("pcall(function() while true do end end) print('swallowed')", ["--timeout", "0.5"])
        #expect(result.status == 3)
        #expect(result.stdout == "")
        // Stopped by the hook at the deadline (the watchdog's message would say more).
        #expect(result.diagnostics == "roster: timeout: the script ran longer than its 500 ms limit (--timeout); it stopped at script.lua:1\n")
        #expect(result.seconds < 30, "took \(result.seconds) s") // stopped at its deadline, not by the 60 s kill: a loaded machine takes seconds
    }

    @Test func memoryIsExit3() async throws {
        let result = try await run("local t = {} for i = 1, 1e8 do t[i] = ('x'):rep(100) .. i end", ["--memory-limit", "16"])
        #expect(result.status == 3)
        #expect(result.diagnostics == "roster: memory limit: the script needed more than 16 MB (--memory-limit); it stopped at script.lua:1\n")
    }

    @Test func anInstructionBudgetIsExit3() async throws {
        let result = try await run("local n = 0 while true do n = n + 1 end", ["--instruction-limit", "1000000"])
        #expect(result.status == 3)
        #expect(result.diagnostics == "roster: instruction limit: the script ran more than 1000000 Lua instructions; it stopped at script.lua:1\n")
        let fits = try await run("local n = 0 for i = 1, 100 do n = n + i end print(n)", ["--instruction-limit", "1000000"])
        #expect(fits.status == 0)
        #expect(fits.stdout == "5050\n")
    }

    @Test func deepRecursionIsExit3NotACrash() async throws {
        for source in ["local function f() return 1 + f() end f()",
                       "local t = setmetatable({}, {__index = function(s, k) return s[k] end}) print(t.x)"] {
            let result = try await run(source)
            #expect(!result.signaled)
            #expect(result.status == 3, "\(source): \(result.diagnostics)")
            #expect(result.diagnostics.hasPrefix("roster: "), "\(source): \(result.diagnostics)")
        }
        // Memory filled by the recursion: named as one, where it recursed, and no bigger
        // --memory-limit is offered to finish it.
        let runaway = try await run("local function f() return 1 + f() end f()", ["--memory-limit", "16"])
        #expect(runaway.status == 3)
        #expect(runaway.diagnostics.hasPrefix("roster: stack overflow: recursion too deep: script.lua:1: "), "\(runaway.diagnostics)")
        #expect(runaway.diagnostics.contains(" calls deep filled the 16 MB memory limit; does a function call itself without end?\n"), "\(runaway.diagnostics)")
        #expect(!runaway.diagnostics.contains("--memory-limit"), "\(runaway.diagnostics)")
    }

    /// A deep recursion that hits the memory limit re-arms the limit hook on every refused
    /// allocation and at every watchdog tick; arming walks every frame, so before arming was
    /// made idempotent, six such runs at once on two cores spun until the 60 s timeout.
    @Test func deepRecursionsAtOnceEndPromptly() async throws {
        let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            for _ in 0..<6 { group.addTask { try await self.run("local function f() return 1 + f() end f()", limit: 90) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in results {
            #expect(result.status == 3, "\(result.diagnostics)")
            #expect(result.seconds < 30, "took \(result.seconds) s: \(result.diagnostics)")
        }
    }

    @Test func nestedWrapErrorsReadAsOneLine() async throws {
        let result = try await run("local function c() local co = coroutine.wrap(c) return co() end c()")
        #expect(result.status == 3)
        #expect(result.diagnostics == "roster: stack overflow: recursion too deep: script.lua:1: C stack overflow\n")
    }

    /// No hook runs inside one C function: Roster's own pattern matcher stops at the deadline
    /// by itself (pcall cannot catch it; the watchdog is not needed).
    @Test func aPatternBombEndsAtTheDeadline() async throws {
        let result = try await run(#"print(pcall(string.find, string.rep("a", 1e5), ".-.-.-.-b")) print("after")"#, ["--timeout", "0.5"], limit: 30)
        #expect(!result.signaled)
        #expect(result.status == 3)
        #expect(result.stdout.isEmpty)
        #expect(result.diagnostics == "roster: timeout: the script ran longer than its 500 ms limit (--timeout); it stopped at script.lua:1\n")
        #expect(result.seconds < 30, "took \(result.seconds) s") // a hung matcher runs for minutes; a loaded machine (the worker tests run beside) takes seconds
        // --json still prints its report.
        let json = try await run(#"string.find(string.rep("a", 1e5), ".-.-.-.-b")"#, ["--timeout", "0.5", "--json"], limit: 30)
        #expect(json.status == 3)
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(report?["exit_code"] as? Int == 3)
        #expect(report?["outcome"] as? String == "limit")
    }

    @Test func longCLoopsEndAtTheDeadline() async throws {
        let result = try await run("print(#string.rep('', 1e18)) table.move({}, 1, math.maxinteger - 1, 2)", ["--timeout", "0.5"])
        #expect(result.stdout == "0\n")
        #expect(result.status == 3)
        #expect(result.diagnostics == "roster: timeout: the script ran longer than its 500 ms limit (--timeout); it stopped at script.lua:1\n")
        #expect(result.seconds < 30, "took \(result.seconds) s")
    }

    @Test func requireReadsTheScriptsFolder() async throws {
        let result = try await run("local m = require('lib.greet') print(m('Ada'))",
                             files: ["lib/greet.lua": "return function(name) return 'hi ' .. name end"])
        #expect(result.status == 0)
        #expect(result.stdout == "hi Ada\n")
    }
}
