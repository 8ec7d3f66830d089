/// LintTests.swift: the Lua-boundary lint that `make test` runs catches what it must.
import Foundation
import Testing

@Suite struct LintTests {
    static let lint = RosterProcess.root.appendingPathComponent("Tools/check-lua-boundary.sh")
    static let bash = URL(fileURLWithPath: "/bin/bash")

    @Test func theProjectPasses() async throws {
        let result = try await RosterProcess.run([Self.lint.path], executable: Self.bash)
        #expect(result.status == 0, "\(result.stdout)")
    }

    @Test(arguments: [
        // Split so that this file does not trip the lint itself.
        ("Sources/Bindings/Bad.swift", "func f() { lua_" + "error(L) }"),
        ("Sources/LuaHost/Bad.swift", "let x = luaL_" + "checkinteger(L, 1)"),
        ("Sources/LuaHost/Bad.swift", "luaL_" + "error(L, \"x\")"),
        ("Sources/LuaHost/Bad.swift", "lua_" + "call(L, 0, 0)"),
        ("Sources/Vendors/Bad.swift", "import " + "CLua"),
        ("Sources/Engine/Bad.swift", "import " + "CRosterLua"),
    ])
    func violationsFail(path: String, line: String) async throws {
        let tree = try RosterProcess.scriptFolder([path: line + "\n", "Tests/Ok.swift": "import Testing\n"])
        defer { try? FileManager.default.removeItem(at: tree) }
        let result = try await RosterProcess.run([Self.lint.path, tree.path], executable: Self.bash)
        #expect(result.status == 1)
        #expect(result.stdout.contains(path))
    }
}
