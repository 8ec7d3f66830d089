/// StockLuaTests.swift: inside the sandbox a script behaves as under stock `lua5.4`, except
/// for what the sandbox removes. Each snippet runs in both, and the outputs must be equal;
/// the snippets cover what once differed (the top level as the main coroutine, table.move
/// through raising metamethods, names in error messages, require of a standard library)
/// and Roster's own pattern matcher.
import ChildProcesses
import Foundation
import LuaHost
import Testing
import TestSupport

@Suite struct StockLuaTests {
    static let snippets: [String] = [
        // The script's top level is the main coroutine.
        #"""
        local _, main = coroutine.running()
        print(main, coroutine.isyieldable())
        print(pcall(coroutine.yield, 1))
        local co = coroutine.create(function(...)
          local _, inner = coroutine.running()
          print("inside", inner, coroutine.isyieldable(), ...)
          print(coroutine.yield("y"))
          return "done"
        end)
        print(coroutine.resume(co, 1, 2))
        print(coroutine.status(co), coroutine.resume(co, "back"))
        print(coroutine.status(co), coroutine.resume(co))
        print(coroutine.isyieldable(co))
        local w = coroutine.wrap(function() coroutine.yield(1) coroutine.yield(2) end)
        print(w(), w())
        """#,
        // table.move reads and writes in stock order, also when a metamethod raises.
        #"""
        local maxI, minI = math.maxinteger, math.mininteger
        local function checkmove(f, e, t)
          local reads, writes = {}, {}
          local a = setmetatable({}, {
            __index = function(_, k) reads[#reads + 1] = k end,
            __newindex = function(_, k) writes[#writes + 1] = k; error("stop") end})
          local ok, msg = pcall(table.move, a, f, e, t)
          print(ok, msg, reads[1], writes[1])
        end
        checkmove(1, maxI, 0)
        checkmove(0, maxI - 1, 1)
        checkmove(minI, -2, -5)
        checkmove(minI + 1, -1, -2)
        checkmove(minI, -2, 0)
        checkmove(minI + 1, -1, 1)
        print(table.concat(table.move({1, 2, 3, 4, 5}, 2, 5, 1), ","))
        print(table.concat(table.move({1, 2, 3, 4, 5}, 1, 4, 2), ","))
        """#,
        // Error messages name the function.
        #"""
        print(pcall(setmetatable, 1, {}))
        print(pcall(setmetatable, {}, 1))
        print(pcall(setmetatable, setmetatable({}, {__metatable = "locked"}), {}))
        print(pcall(load, 5))
        print(pcall(load))
        print(pcall(string.rep))
        print(pcall(table.move, 1))
        print(pcall(coroutine.resume, 1))
        print(pcall(coroutine.wrap, 1))
        print(pcall(coroutine.close, 1))
        print(pcall(xpcall, 1))
        print(pcall(string.find, "x", "%"))
        print(pcall(string.gsub, "x", "(", ""))
        print(pcall(string.gsub, "alo", ".", "%2"))
        print(pcall(string.gsub, "alo", ".", {a = {}}))
        print(select(2, pcall(function() local t = nil; return t.x end)))
        """#,
        // load, text only, with readers and environments.
        #"""
        local parts, i = {"return ", "1 ", "+ 41"}, 0
        print(load(function() i = i + 1 return parts[i] end)())
        print(load("return x", "=chunk", "t", {x = 5})())
        print(load("syntax error here"))
        print(pcall(load(function() return {} end)))
        print(load("return ...", "c")(1, 2))
        print(require("string") == string, require("table") == table, require("math") == math, require("_G") == _G)
        """#,
        // Pattern matching: Roster's matcher against the stock one.
        #"""
        local s = "hello world from Lua 5.4, (nested (parens)) and [brackets]"
        print(s:find("o w"), s:find("o", 6), s:find("xyz"), s:find("", 100), s:find("", #s + 1))
        print(s:find("(%a+) (%a+)"), s:find("%d%.%d"), s:find(".", 1, true), s:find("L(u)a"))
        print(s:match("%((.-)%)"), s:match("%b()"), s:match("%[(.*)%]"), s:match("()ll()"))
        print(s:match("^hello"), s:match("^world"), s:match("brackets%]$"), s:match("%f[%a]%a+", 7))
        print(("THE (quick) fox"):find("%f[%a]%a+%f[%A]", 5), ("a,b,,c"):gsub(",", ";"))
        for k, v in ("a=1, b=22, c=333"):gmatch("(%w+)=(%w+)") do io_write = (io_write or "") .. k .. v end
        print(io_write)
        for w in ("one two  three"):gmatch("%a*") do print("[" .. w .. "]") end
        print(("abc"):gsub("%w", "%0%0"), ("abc"):gsub("", "-"), ("hello world"):gsub("o", {o = "0"}))
        print(("hello"):gsub("l+", function(m) return #m end), ("x = 1"):gsub("(%w+) = (%w+)", "%2 = %1"))
        print(("abc"):gsub("b*", "X"), ("  trim  "):gsub("^%s*(.-)%s*$", "%1"), ("aaa"):gsub("a", "b", 2))
        print(("[[x]]"):find("[]]"), ("a-b"):match("[a%-]+"), ("^$"):find("^", 1, true), ("x^"):match("x^"))
        print(("hello"):match("(h)(e)(l)(l)(o)"), ("aXb"):match("%u"), ("a.b"):gsub("%.", "%%"))
        print(("abcabc"):find("(abc)%1"), ("\0a\0"):find("%z"), ("key = value"):match("^(%w+)%s*=%s*(%w+)$"))
        print(("x"):rep(3, ","), ("abc"):find("b", -1), ("abc"):find("b", -2), ("abc"):match(".", -10))
        print(pcall(string.rep, "x", -1), ("abc"):gmatch(".", 2)())
        """#,
    ]

    @Test(arguments: Array(snippets.indices))
    func behavesAsStockLua(index: Int) async throws {
        // The same chunk name in both, so that positions in messages agree.
        let source = "assert(load([==[\n" + Self.snippets[index] + "\n]==], \"=snippet\"))()"
        let sandboxed = await runScript(source)
        let stock = try Self.stockLua(source)
        #expect(sandboxed.output == stock, "sandbox:\n\(sandboxed.output)\nstock lua5.4:\n\(stock)\noutcome: \(sandboxed.outcome)")
    }

    /// What `lua5.4 -` prints for `source` (stderr included, as the sandbox's errors are).
    static func stockLua(_ source: String) throws -> String {
        let input = try ChildProcess.pipe(), output = try ChildProcess.pipe()
        let lua: ChildProcess
        do {
            defer { close(input.read); close(output.write) } // the child's ends: it has its own
            lua = try ChildProcess.start("/usr/bin/lua5.4", arguments: ["-"], input: input.read, output: output.write, error: output.write)
        } catch {
            close(input.write)
            close(output.read)
            throw error
        }
        // A snippet that never ends fails its test instead of holding up the suite.
        DispatchQueue.global().asyncAfter(deadline: .now() + 20) { lua.send(SIGKILL) }
        let toLua = FileHandle(fileDescriptor: input.write, closeOnDealloc: true)
        try toLua.write(contentsOf: Data(source.utf8)) // a snippet fits in the pipe: lua reads it all first
        try toLua.close()
        let printed = FileHandle(fileDescriptor: output.read, closeOnDealloc: true).readDataToEndOfFile()
        return String(decoding: printed, as: UTF8.self)
    }
}
