/// DeclarationTests.swift: functions registered from one declaration, arguments checked
/// from it.
import LuaHost
import Testing
import TestSupport

@Suite struct DeclarationTests {
    @Test func argumentsAreCheckedFromTheDeclaration() async {
        let result = await runScript("""
            print(demo.add(2, 3), demo.add(2, 3.0))
            print(pcall(demo.add, 1, "2"))
            print(pcall(demo.add, 1))
            print(pcall(demo.add, 1, 2.5))
            print(pcall(demo.add, 1, 2, 3))
            print(pcall(demo.id))
            print(demo.id("u1").id, demo.id(7, {verbose = true}).verbose)
            print(pcall(demo.id, 7, "not a table"))
            """)
        #expect(result.outcome == .success)
        #expect(result.output == """
            5\t5
            false\tdemo.add: argument #2 (b) expected integer, got string
            false\tdemo.add: argument #2 (b) expected integer, got nil
            false\tdemo.add: argument #2 (b) expected integer, got float
            false\tdemo.add: expected at most 2 arguments, got 3
            false\tdemo.id: argument #1 (id) expected integer or string, got nil
            u1\ttrue
            false\tdemo.id: argument #2 (options) expected table, got string

            """)
    }

    /// A function declared without a result returns no value; one with a result returns
    /// its nil as a value.
    @Test func aFunctionWithoutAResultReturnsNothing() async {
        let module = LuaModule("t", "results", functions: [
            LuaFunction("none", "Returns nothing.") { _ in .nil },
            LuaFunction("some", "Returns nil.", result: LuaResult("nil", doc: "nil")) { _ in .nil },
        ])
        let output = CollectedOutput()
        let outcome = await LuaRunner(modules: [module]).run(LuaScript(name: "t.lua", source: "print(select('#', t.none()), select('#', t.some()))"),
                                                             output: output)
        #expect(outcome == .success)
        #expect(output.text == "0\t1\n")
    }

    @Test func errorsNameTheScriptLine() async {
        let result = await runScript("""
            local x = 1

            demo.add(x, "oops")
            """)
        guard case .scriptError(let message, let traceback) = result.outcome else {
            Issue.record("expected a script error, got \(result.outcome)")
            return
        }
        #expect(message == "test.lua:3: demo.add: argument #2 (b) expected integer, got string")
        #expect(traceback.contains("stack traceback"))
    }

    @Test func declarationsCarryTheirDocs() {
        let add = Demo.module.functions.first { $0.name == "add" }!
        #expect(add.parameters.map(\.name) == ["a", "b"])
        #expect(add.effect == .read)
        #expect(add.result?.type == "integer")
        #expect(Demo.module.functions.first { $0.name == "sleep" }!.isAsync)
    }
}
