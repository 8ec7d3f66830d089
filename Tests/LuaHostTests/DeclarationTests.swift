/// DeclarationTests.swift: functions registered from one declaration, arguments checked
/// from it.
@testable import LuaHost
import Testing
import TestSupport

@Suite struct DeclarationTests {
    @Test func argumentsAreCheckedFromTheDeclaration() async {
        let result = await runScript("""
            print(demo.add(2, 3), demo.add(2, 3.0))
            print(pcall(demo.add, 1, "2"))
            print((select(2, pcall(demo.add, 1, " 2.5"))), (select(2, pcall(demo.add, 1, "two"))))
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
            false\tdemo.add: argument #2 (b) expected integer, got string ("2" is text: tonumber(...) makes a number of it; a CSV cell and an --arg are always text)
            demo.add: argument #2 (b) expected integer, got string\tdemo.add: argument #2 (b) expected integer, got string
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
    /// `demo:id(7)` passes the module first: the error says so, and what to write.
    @Test func aCallWithAColonIsToldToUseADot() async {
        let result = await runScript("""
            print(pcall(function() return demo:id(7) end))
            print(pcall(function() return demo:add(1, 2) end))
            print(pcall(demo.id, {}))
            """)
        #expect(result.outcome == .success)
        #expect(result.output == """
            false\ttest.lua:1: demo.id: argument #1 (id) expected integer or string, got the demo module (write demo.id(...) with '.', not ':', which passes the module first)
            false\ttest.lua:2: demo.add: expected at most 2 arguments, got 3 (write demo.add(...) with '.', not ':', which passes the module first)
            false\tdemo.id: argument #1 (id) expected integer or string, got table

            """)
    }

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

    /// Each binding gets a C entry point of its own from a fixed set (1,024); past them, a
    /// binding is a C closure. Both kinds check arguments, return results and are found
    /// again as declared functions the same way.
    @Test func bindingsPastTheEntryPointsBehaveTheSame() async {
        let count = 1_100
        var functions = (1...count).map { index in
            LuaFunction("f\(index)", "Returns its number plus its argument.", parameters: [
                LuaParameter("n", .integer, doc: "added"),
            ], result: LuaResult("integer", doc: "the sum")) { call in .integer(Int64(index) &+ call.integer(1)) }
        }
        functions.append(LuaFunction("name", "The declared name of a function.", parameters: [
            LuaParameter("f", .function, doc: "a function"),
        ], result: LuaResult("string", doc: "its name")) { call in
            .string(LuaString(call.declaredFunction(at: 1)?.name ?? "not declared"))
        })
        let module = LuaModule("many", "Many bindings.", functions: functions)
        let output = CollectedOutput()
        let outcome = await LuaRunner(modules: [module]).run(LuaScript(name: "many.lua", source: """
            print(many.f1(10), many.f\(count)(10))
            print(pcall(many.f1, "x"))
            print(pcall(many.f\(count), "x"))
            print(pcall(many.f\(count), 1, 2))
            print(many.name(many.f1), many.name(many.f\(count)), many.name(string.len))
            local sum = 0
            for i = 1, \(count) do sum = sum + many["f" .. i](0) end
            print(sum)
            """), output: output)
        #expect(outcome == .success)
        #expect(output.text == """
            11\t\(count + 10)
            false\tmany.f1: argument #1 (n) expected integer, got string
            false\tmany.f\(count): argument #1 (n) expected integer, got string
            false\tmany.f\(count): expected at most 1 argument, got 2
            many.f1\tmany.f\(count)\tnot declared
            \(count * (count + 1) / 2)

            """)
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
        #expect(add.effect == .none) // declared without one: it reaches no vendor
        #expect(add.result?.type == "integer")
        #expect(Demo.module.functions.first { $0.name == "sleep" }!.isAsync)
    }

    /// The hint for text given where a number or a boolean belongs names a conversion that
    /// works: none for what Lua's tonumber does not read ("nan", "inf") or for other text.
    @Test func textGivenForAValueIsHintedOnlyWhenItConverts() {
        #expect(TextGivenForValue.hint(" 2.5 ", wanted: [.number]) == #" ("2.5" is text: tonumber(...) makes a number of it; a CSV cell and an --arg are always text)"#)
        #expect(TextGivenForValue.hint("7", wanted: [.integer]) == #" ("7" is text: tonumber(...) makes a number of it; a CSV cell and an --arg are always text)"#)
        #expect(TextGivenForValue.hint("true", wanted: [.boolean]).hasPrefix(#" ("true" is text: (... == "true") makes a boolean of it;"#))
        for (text, wanted) in [("nan", [LuaType.number]), ("inf", [.number]), ("2.5", [.integer]), ("yes", [.boolean]), ("7", [.string, .integer]), ("7", [.any])] {
            #expect(TextGivenForValue.hint(text, wanted: wanted) == "", "\(text) for \(wanted)")
        }
    }
}
