/// ScriptGlobals.swift: what the names a script meets outside Roster's modules are, for
/// `roster docs` and `help`: Roster's own functions, Lua's standard ones, and the withheld.
import CLua
import CRosterLua

/// The globals of a script that are not a vendor module.
public enum ScriptGlobals {
    /// Roster's own global functions, declared as the modules' are (`help` is Bindings').
    public static var functions: [LuaFunction] { [Sandbox.print, Sandbox.loadModule] }

    /// Roster's own global modules (`parallel`).
    public static var modules: [LuaModule] { [Parallel.module] }

    /// What `topic` is when it is a standard Lua name rather than Roster's: one a script has
    /// (`string.format`, `pairs`, `os.time`), documented by the Lua manual, or one the
    /// sandbox withholds (`io`, `os.getenv`, `string.dump`), with what a script has instead;
    /// nil for a name Lua does not have either.
    public static func about(_ topic: String) -> String? {
        let parts = topic.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, let head = parts.first, !head.isEmpty else { return nil }
        if let instead = Sandbox.withheld[head] { return "'\(topic)' is not in Roster scripts: \(instead)" }
        if parts.count == 2, head == "os", let instead = Sandbox.withheldOSFunctions[parts[1]] {
            return "'\(topic)' is not in Roster scripts: \(instead)"
        }
        let inScripts = isDefined(parts, sandboxed: true)
        if inScripts { return "'\(topic)' is standard Lua; the Lua 5.4 manual documents it (https://www.lua.org/manual/5.4/)" }
        if isDefined(parts, sandboxed: false) {
            return "'\(topic)' is not in Roster scripts" + (head == "os" ? " (os has only " + Sandbox.osFields.sorted().joined(separator: ", ") + ")" : "")
        }
        return nil
    }

    /// Whether `path` (`["string", "format"]`) names a value in a sandbox, or in a stock
    /// state's standard libraries.
    private static func isDefined(_ path: [String], sandboxed: Bool) -> Bool {
        guard let state = try? LuaState(memoryLimit: 16 << 20) else { return false }
        let L = state.L
        if sandboxed {
            Sandbox.open(state)
        } else {
            luaL_openlibs(L)
        }
        lua_rawgeti(L, LuaState.registryIndex, lua_Integer(LUA_RIDX_GLOBALS))
        for name in path {
            guard lua_type(L, -1) == LUA_TTABLE else { return false }
            LuaState.pushString(L, name)
            lua_rawget(L, -2)
        }
        return lua_type(L, -1) > LUA_TNIL
    }
}
