/// ValueTests.swift: Lua ⇄ Swift values.
import LuaHost
import Testing
import TestSupport

@Suite struct ValueTests {
    @Test func scalarsKeepTheirTypes() async {
        let result = await runScript("""
            for _, v in ipairs({1, 1.5, 2.0, -0.0, math.maxinteger, math.mininteger}) do
              local back = demo.echo(v)
              print(math.type(back), back == v)
            end
            print(demo.echo(nil), demo.echo(true), demo.echo(false))
            """)
        #expect(result.outcome == .success)
        #expect(result.output == """
            integer\ttrue
            float\ttrue
            float\ttrue
            float\ttrue
            integer\ttrue
            integer\ttrue
            nil\ttrue\tfalse

            """)
    }

    @Test func stringsAreBytesNotText() async {
        let result = await runScript(#"""
            local s = "\0\255\254 caf\xC3\xA9 \xFF"
            local back = demo.echo(s)
            print(#back, back == s, back:byte(2))
            """#)
        #expect(result.outcome == .success)
        #expect(result.output == "11\ttrue\t255\n")
    }

    @Test func nestedTablesRoundTrip() async {
        let result = await runScript("""
            local t = {1, 2, {3, {4}}, name = "x", [10] = "ten", flags = {a = true}, [2.5] = "f"}
            local b = demo.echo(t)
            print(#b, b[3][2][1], b.name, b[10], b.flags.a, b[2.5], math.type(b[1]))
            """)
        #expect(result.outcome == .success)
        #expect(result.output == "3\t4\tx\tten\ttrue\tf\tinteger\n")
    }

    @Test func swiftSeesTheShape() async throws {
        // Decoded in Swift: the sequence part and the map part, kept apart.
        let state = try LuaState(memoryLimit: 1 << 20)
        _ = state
        let table = LuaTable(sequence: [1, "two"], fields: ["k": 2.5])
        #expect(table.sequence.count == 2)
        #expect(table["k"] == .number(2.5))
        #expect(LuaValue.number(3.0).integerValue == 3)
        #expect(LuaValue.number(3.5).integerValue == nil)
    }

    @Test(arguments: [
        ("demo.echo(print)", "cannot pass a function"),
        ("demo.echo({f = print})", #"cannot pass a function (at key "f")"#),
        ("demo.echo({coroutine.create(print)})", "cannot pass a thread (at key [1])"),
        ("local t = {} t.self = t demo.echo(t)", #"cannot pass a table that contains itself (at key "self")"#),
        ("local t = {} for i = 1, 200 do t = {t} end demo.echo(t)", "nested more than 100 deep"),
    ])
    func valuesThatCannotCrossAreErrors(script: String, message: String) async {
        let result = await runScript("local ok, e = pcall(function() \(script) end) print(ok, e)")
        #expect(result.outcome == .success)
        #expect(result.output.hasPrefix("false\ttest.lua:1: demo.echo: argument #1 (value): "))
        #expect(result.output.contains(message))
    }

    @Test func aLiteralIsShortLuaText() {
        let table = LuaValue.table(LuaTable(sequence: ["a", 2], fields: [
            "code": 7, "two words": true, .integer(-1): 0.5, "nested": .table(LuaTable(fields: ["deeper": .table(LuaTable(sequence: [1]))])),
            "text": .string(LuaString("say \"hi\"\n")),
        ]))
        #expect(table.literal() == #"{"a", 2, [-1] = 0.5, code = 7, nested = {deeper = {…}}, text = "say \"hi\"\n", ["two words"] = true}"#)
        #expect(LuaValue.table(LuaTable()).literal() == "{}")
        #expect(LuaValue.string(LuaString(String(repeating: "x", count: 300))).literal(limit: 10) == "\"xxxxxxxxx…")
        #expect(LuaValue.number(.infinity).literal() == "1/0")
    }
}
