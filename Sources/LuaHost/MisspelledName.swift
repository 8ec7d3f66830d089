/// MisspelledName.swift: "did you mean encore.get_user?" after Lua's own words for a name
/// that is not there (`attempt to call a nil value (field 'get_usr')`), or what to use
/// instead of a library the sandbox withholds (`io`).
import CLua
import CRosterLua

/// What a script error about a missing name adds: the names near it among the globals
/// (`encor` → `encore`) and the functions of the global tables (`get_usr` →
/// `encore.get_user`, `fromat` → `string.format`). Lua's message names the missing key but
/// not the table it was looked up in, so every global table is a place it may have meant.
enum MisspelledName {
    /// `message` with `; did you mean …?` added when it is Lua's error for calling or
    /// indexing a nil name and names close to that one exist, or with what to use instead
    /// when the name is one the sandbox withholds; else `message` as it is.
    /// Reads the globals raw (no metamethod runs), in host mode (nothing raises).
    static func suggesting(_ message: String, in state: LuaState) -> String {
        guard let missing = MissingName(message) else { return message }
        if missing.kind != .calledField, let instead = Sandbox.withheld[missing.name] {
            return message + "; \(missing.name) is not available in Roster scripts: \(instead)"
        }
        if missing.kind == .calledField, let instead = Sandbox.withheldOSFunctions[missing.name] {
            return message + "; os.\(missing.name) is not available in Roster scripts: \(instead)"
        }
        let limit = NearNames.limit(for: missing.name)
        guard limit > 0 else { return message }
        let L = state.L
        let outerMode = roster_set_host_mode(state.state, 1)
        defer { _ = roster_set_host_mode(state.state, outerMode) }
        let near = LuaState.withStackGuard(L) { () -> [String] in
            lua_rawgeti(L, LuaState.registryIndex, lua_Integer(LUA_RIDX_GLOBALS))
            let globals = lua_gettop(L)
            switch missing.kind {
            case .calledGlobal: return NearNames.near(missing.name, in: names(L, globals, of: LUA_TFUNCTION), within: limit)
            case .indexedGlobal: return NearNames.near(missing.name, in: names(L, globals, of: LUA_TTABLE), within: limit)
            case .calledField:
                var functions: [String] = []
                for table in names(L, globals, of: LUA_TTABLE) {
                    LuaState.pushString(L, table)
                    lua_rawget(L, globals)
                    if lua_rawequal(L, -1, globals) == 0 { // _G.get_usr would be the global's own
                        functions += names(L, lua_gettop(L), of: LUA_TFUNCTION).map { table + "." + $0 }
                    }
                    lua_settop(L, globals)
                }
                return NearNames.near(missing.name, in: functions, within: limit) { $0[$0.index(after: $0.firstIndex(of: ".")!)...] }
            }
        }
        guard !near.isEmpty else { return message }
        let shown = near.prefix(3)
        let list = shown.count == 1 ? shown[0] : shown.dropLast().joined(separator: ", ") + " or " + shown.last!
        return message + "; did you mean \(list)?"
    }

    /// The keys of the table at `index` that start like a name (a letter or `_`) and whose
    /// values are of `type`.
    private static func names(_ L: OpaquePointer, _ index: Int32, of type: Int32) -> [String] {
        var names: [String] = []
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            if lua_type(L, -1) == type, lua_type(L, -2) == LUA_TSTRING, let bytes = LuaState.bytes(L, at: -2),
               let first = bytes.first, first == UInt8(ascii: "_") || (first | 0x20) >= UInt8(ascii: "a") && (first | 0x20) <= UInt8(ascii: "z") {
                names.append(String(decoding: bytes, as: UTF8.self))
            }
            lua_settop(L, lua_gettop(L) - 1)
        }
        return names
    }

    /// The name Lua's message says was nil, and how it was reached.
    private struct MissingName {
        enum Kind {
            /// `prnt("x")`: attempt to call a nil value (global 'prnt')
            case calledGlobal
            /// `encor.get_user(1)`: attempt to index a nil value (global 'encor')
            case indexedGlobal
            /// `encore.get_usr(1)`, `s:fromat()`: attempt to call a nil value (field/method 'get_usr')
            case calledField
        }
        var kind: Kind
        var name: String

        init?(_ message: String) {
            // `… attempt to call a nil value (global 'prnt')`
            guard message.hasSuffix("')"), let open = message.lastIndex(of: "(") else { return nil }
            let before = message[..<open], inside = message[message.index(after: open)..<message.index(message.endIndex, offsetBy: -2)]
            guard let quote = inside.firstIndex(of: "'") else { return nil }
            let name = inside[inside.index(after: quote)...], how = inside[..<quote]
            guard !name.isEmpty else { return nil }
            switch (before.hasSuffix("attempt to call a nil value "), before.hasSuffix("attempt to index a nil value "), how) {
            case (true, _, "global "): kind = .calledGlobal
            case (_, true, "global "): kind = .indexedGlobal
            case (true, _, "field "), (true, _, "method "): kind = .calledField
            default: return nil
            }
            self.name = String(name)
        }
    }
}
