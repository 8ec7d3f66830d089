/// Sandbox.swift: what a script can reach, as data (DESIGN, "The sandbox").
///
/// The standard libraries are opened in C (with guarded replacements, see sandbox.c); then
/// every global not in the allow-list below is removed, and Roster's own `print`, `require`
/// and `parallel` are added.
import CLua
import CRosterLua
import Foundation

enum Sandbox {
    /// Globals a script may use; everything else the libraries define is removed.
    static let globals: Set<String> = [
        "assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "rawequal", "rawget",
        "rawlen", "rawset", "select", "tonumber", "tostring", "type", "setmetatable",
        "getmetatable", "load", "collectgarbage", "_G", "_VERSION",
        "string", "table", "math", "utf8", "coroutine", "os",
    ]
    /// Fields kept in `os`.
    static let osFields: Set<String> = ["time", "clock", "date"]
    /// Fields removed from `string`.
    static let removedStringFields = ["dump"]
    /// Stock Lua globals a script does not have, and what it has instead: what a script
    /// error naming one of them adds (`attempt to index a nil value (global 'io')`).
    static let withheld: [String: String] = {
        let require = "require(\"name\") loads name.lua from the script's folder"
        return [
            "io": "scripts reach no files; name one with --input FILE and read it as inputs[\"FILE\"]",
            "debug": "it would reach past the sandbox",
            "package": require,
            "dofile": require,
            "loadfile": require,
        ]
    }()
    /// The `os` functions a script does not have (all but `osFields`) whose names nothing
    /// else in a script's reach uses, and what it has instead: what `os.getenv(…)`'s error
    /// (`attempt to call a nil value (field 'getenv')`, which does not name `os`) adds.
    /// `remove` and `rename` are not here: `t.remove(…)` more likely meant `table.remove`.
    static let withheldOSFunctions: [String: String] = [
        "getenv": "a script's values come from --arg NAME=VALUE (as args.NAME), and its secrets stay with Roster, which a script never sees",
        "execute": "scripts run no programs",
        "exit": "a script ends with return, or fails with error(\"why\")",
        "tmpname": "scripts reach no files",
    ]

    /// Opens the sandbox into a fresh state.
    static func open(_ state: LuaState) {
        let L = state.L
        roster_open_sandbox_libraries(L)
        lua_pushglobaltable(L)
        keepOnly(globals, inTableAt: -1, of: L)
        lua_getfield(L, -1, "os")
        keepOnly(osFields, inTableAt: -1, of: L)
        roster_pop(L, 1)
        lua_getfield(L, -1, "string")
        for name in removedStringFields {
            lua_pushnil(L)
            lua_setfield(L, -2, name)
        }
        roster_pop(L, 2)
        roster_privatize_string_library(L)

        state.install(print)
        state.install(Parallel.module)
        installRequire(state)
    }

    /// The messages a limit raises inside the script, made now so that raising one
    /// allocates nothing (it may be the memory limit).
    static func setLimitMessages(_ state: LuaState, _ limits: LuaLimits) {
        for kind in LuaLimitKind.allCases {
            guard let raw = kind.raw else { continue }
            roster_set_limit_message(state.L, raw, limits.message(for: kind))
        }
    }

    private static func lua_pushglobaltable(_ L: OpaquePointer) {
        lua_rawgeti(L, LuaState.registryIndex, lua_Integer(LUA_RIDX_GLOBALS))
    }

    /// Removes every string key of the table at `index` not in `allowed`.
    private static func keepOnly(_ allowed: Set<String>, inTableAt index: Int32, of L: OpaquePointer) {
        let table = lua_absindex(L, index)
        var removed: [[UInt8]] = []
        lua_pushnil(L)
        while lua_next(L, table) != 0 {
            if let key = LuaState.bytes(L, at: -2), !allowed.contains(String(decoding: key, as: UTF8.self)) {
                removed.append(key)
            }
            roster_pop(L, 1)
        }
        for key in removed {
            LuaState.pushBytes(L, key)
            lua_pushnil(L)
            lua_rawset(L, table)
        }
    }

    /// `print`, writing to Roster's output instead of the process's stdout.
    static let print = LuaFunction(
        "print", "Writes its arguments, separated by tabs, to Roster's output.",
        parameters: [LuaParameter("...", .any, variadic: true, doc: "values, each shown as tostring shows it")],
        body: .host { call in
            let L = call.L
            var line: [UInt8] = []
            for index in stride(from: Int32(1), through: call.count, by: 1) {
                if index > 1 { line.append(9) }
                guard roster_ptostring(L, index) == LUA_OK else { throw LuaRaisedError() }
                line += LuaState.bytes(L, at: -1) ?? []
                roster_pop(L, 1)
            }
            line.append(10)
            _ = call.run?.write(line)
            return .results(0)
        }
    )

    // MARK: require

    /// `require(name)`: Lua source from the script's own folder, run once and cached
    /// (the caching and the call are C, sandbox.c; finding and compiling is here).
    private static func installRequire(_ state: LuaState) {
        state.pushFunction(loadModule, module: nil)
        roster_install_require(state.L)
    }

    /// Finds and compiles a module; returns the chunk, or nil and a message.
    static let loadModule = LuaFunction(
        "require", "Loads a Lua module from the script's folder.",
        parameters: [LuaParameter("name", .string, doc: "dotted module name: lib.util is lib/util.lua")],
        body: .host { call in
            let L = call.L
            let name = call.text(1)
            func fail(_ message: String) -> HostOutcome {
                lua_pushnil(L)
                LuaState.pushString(L, "require: \(message)")
                return .results(2)
            }
            guard let relative = LuaScript.modulePath(name) else {
                return fail("'\(name)' is not a module name (letters, digits, _ and -, separated by dots)")
            }
            let directory = call.run?.scriptDirectory
            let path = directory.map { ($0 as NSString).appendingPathComponent(relative) } ?? relative
            let data: Data
            if let kept = call.run?.keptModules[relative] {
                data = Data(kept)
            } else {
                guard let directory else {
                    return fail("module '\(name)' not found: this script has no folder to load modules from")
                }
                guard LuaScript.staysIn(folder: directory, path: path) else {
                    return fail("module '\(name)' (\(path)) is a symbolic link out of the script's folder; require loads only from that folder")
                }
                guard let file = FileHandle(forReadingAtPath: path) else {
                    return fail("module '\(name)' not found (looked for \(path))")
                }
                defer { try? file.close() }
                // No more than the script's memory could hold: a module is Lua source.
                let limit = call.run?.limits.memory ?? (64 << 20)
                guard let read = try? file.read(upToCount: limit + 1) ?? Data() else {
                    return fail("module '\(name)' (\(path)) is not a file that can be read (a folder?)")
                }
                guard read.count <= limit else {
                    return fail("module '\(name)' (\(path)) holds more than the script's memory limit of \(limit >> 20) MB")
                }
                data = read
            }
            guard let status = data.withUnsafeBytes({ LuaScript.compile(L, $0, chunkName: "@" + path) }) else {
                return fail("module '\(name)' (\(path)) is a precompiled chunk (luac output); Roster loads Lua source only")
            }
            guard status == LUA_OK else {
                lua_pushnil(L)
                lua_rotate(L, -2, 1)
                return .results(2) // nil, the syntax error
            }
            return .results(1)
        }
    )
}
