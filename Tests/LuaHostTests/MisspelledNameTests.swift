/// MisspelledNameTests.swift: a script that calls or indexes a name that is not there is
/// told the names it probably meant, from the globals and the global tables' functions.
import LuaHost
import Testing
import TestSupport

@Suite struct MisspelledNameTests {
    /// The message a script that fails with `source` ends with.
    func failure(_ source: String) async -> (message: String, traceback: String) {
        let result = await runScript(source)
        guard case .scriptError(let message, let traceback) = result.outcome else {
            Issue.record("no script error: \(result.outcome)")
            return ("", "")
        }
        return (message, traceback)
    }

    /// A message past 4 KB is cut at a character's start, saying how much was left out: it is
    /// printed, journaled and reported, and `error(string.rep("x", 1e7))` was ten megabytes.
    @Test func aHugeErrorMessageIsCut() async {
        let plain = await failure("error(string.rep('x', 1e6))")
        #expect(plain.message.hasPrefix("test.lua:1: xxx") && plain.message.hasSuffix("x… (\(1_000_000 + 12 - 4096) more bytes)"), "\(plain.message.suffix(40))")
        #expect(plain.traceback.utf8.count < 8192)
        // What __tostring gives is cut before its position is added (é is two bytes).
        let accented = await failure("error(setmetatable({}, {__tostring = function() return 'x' .. ('é'):rep(5000) end}))")
        #expect(accented.message.hasSuffix("é… (\(10_001 - 4095) more bytes)"), "\(accented.message.suffix(40))")
        #expect(!accented.message.contains("\u{FFFD}"))
        let syntax = await failure("x = '" + String(repeating: "y", count: 100_000) + "\n")
        #expect(syntax.message.utf8.count < 4200 && syntax.message.contains("more bytes)"), "\(syntax.message.suffix(60))")
    }

    @Test func aMistypedFunctionModuleOrGlobalIsNamed() async {
        #expect(await failure("demo.ech(1)").message
            == "test.lua:1: attempt to call a nil value (field 'ech'); did you mean demo.echo?")
        #expect(await failure("local x = 1\ndem.add(1, 2)").message
            == "test.lua:2: attempt to index a nil value (global 'dem'); did you mean demo?")
        #expect(await failure("prnt('x')").message == "test.lua:1: attempt to call a nil value (global 'prnt'); did you mean print?")
        #expect(await failure("local s = ('x'):uppr()").message
            == "test.lua:1: attempt to call a nil value (method 'uppr'); did you mean string.upper?")
        #expect(await failure("string.fromat('%d', 1)").message
            == "test.lua:1: attempt to call a nil value (field 'fromat'); did you mean string.format?")
        #expect(await failure("demo.nme_of({})").message
            == "test.lua:1: attempt to call a nil value (field 'nme_of'); did you mean demo.name_of?")
        #expect(await failure("demo.ech(1)").traceback.hasPrefix("test.lua:1: attempt to call a nil value (field 'ech'); did you mean demo.echo?\nstack traceback:"))
    }

    @Test func nothingIsSuggestedForANameNothingIsNear() async {
        // Two edits from math.cos and math.fmod, but one is all a three-letter name gets.
        #expect(await failure("local t = {} t.foo()").message == "test.lua:1: attempt to call a nil value (field 'foo')")
        #expect(await failure("nosuchthing()").message == "test.lua:1: attempt to call a nil value (global 'nosuchthing')")
        #expect(await failure("local t = {} t.x()").message == "test.lua:1: attempt to call a nil value (field 'x')")
        #expect(await failure("error('attempt to call a nil value (global \\'prnt\\')', 0)").message
            == "test.lua:1: attempt to call a nil value (global 'prnt'); did you mean print?",
                "the script's own error reads the same, and gets the same help")
    }

    @Test func aLibraryTheSandboxWithholdsSaysWhatToUseInstead() async {
        #expect(await failure("local f = io.open('people.csv')").message == "test.lua:1: attempt to index a nil value (global 'io'); "
            + "io is not available in Roster scripts: scripts reach no files; name one with --input FILE and read it as inputs[\"FILE\"]")
        #expect(await failure("dofile('helpers.lua')").message == "test.lua:1: attempt to call a nil value (global 'dofile'); "
            + "dofile is not available in Roster scripts: require(\"name\") loads name.lua from the script's folder")
        #expect(await failure("debug.traceback()").message
            == "test.lua:1: attempt to index a nil value (global 'debug'); debug is not available in Roster scripts: it would reach past the sandbox")
        // A field of that name is anyone's: nothing is said of the library.
        #expect(await failure("local t = {} t.io()").message == "test.lua:1: attempt to call a nil value (field 'io')")
        // The os functions withheld: Lua's words name the field, not os.
        #expect(await failure("local token = os.getenv('ENCORE_KEY')").message == "test.lua:1: attempt to call a nil value (field 'getenv'); "
            + "os.getenv is not available in Roster scripts: a script's values come from --arg NAME=VALUE (as args.NAME), and its secrets stay with Roster, which a script never sees")
        #expect(await failure("os.exit(1)").message
            == "test.lua:1: attempt to call a nil value (field 'exit'); os.exit is not available in Roster scripts: a script ends with return, or fails with error(\"why\")")
        // `remove` is table.remove's name too: the near name, not os.
        #expect(await failure("local t = {1} t.remove(t)").message == "test.lua:1: attempt to call a nil value (field 'remove'); did you mean table.remove or table.move?")
    }

    @Test func anErrorTheScriptCatchesIsLuasOwn() async {
        let result = await runScript("print(select(2, pcall(function() demo.ech(1) end)))")
        #expect(result.outcome == .success)
        #expect(result.output == "test.lua:1: attempt to call a nil value (field 'ech')\n")
    }

    @Test func theREPLNamesThemToo() async throws {
        let session = try LuaSession(limits: LuaLimits(timeout: .seconds(5)), modules: [Demo.module],
                                     output: CollectedOutput(), directory: nil, printer: SessionTests.printer)
        guard case .failed(.scriptError(let message, _)) = await session.evaluate("demo.ech(1)") else { Issue.record("no error"); return }
        #expect(message == "stdin:1: attempt to call a nil value (field 'ech'); did you mean demo.echo?")
    }

    @Test func nearNamesAreByEditDistance() {
        #expect(NearNames.distance("kitten", "sitting") == 3)
        #expect(NearNames.distance("", "abc") == 3)
        #expect(NearNames.distance("same", "same") == 0)
        // Two neighbours swapped are one edit (they were two: `emial` found no `email`).
        #expect(NearNames.distance("emial", "email") == 1)
        #expect(NearNames.distance("rnu", "run") == 1)
        #expect(NearNames.distance("ab", "ba") == 1)
        #expect(NearNames.distance("abcd", "badc") == 2)
        #expect(NearNames.near("emial", in: ["card", "email"], within: NearNames.limit(for: "emial")) == ["email"])
        #expect(NearNames.near("get_usr", in: ["list_users", "get_user", "get_users", "delete_user"]) == ["get_user", "get_users"])
        #expect(NearNames.near("ab", in: ["b", "a", "abc"], within: 1) == ["a", "abc", "b"], "equally near: alphabetical")
        #expect(NearNames.near("get_usr", in: ["encore.get_user", "guardant.get_user"]) { $0.split(separator: ".")[1] }
            == ["encore.get_user", "guardant.get_user"])
    }
}
