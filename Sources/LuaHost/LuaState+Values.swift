/// LuaState+Values.swift: pushing and reading ``LuaValue``s (one naming pair: push / value).
import CLua
import CRosterLua

extension LuaState {
    /// Tables nested deeper than this are refused (the reader recurses on the Swift stack).
    static let maximumNesting = 100

    /// Pushes `value` onto `thread`. Host mode only (the allocator does not fail there).
    static func push(_ thread: OpaquePointer, _ value: LuaValue) {
        switch value {
        case .nil: lua_pushnil(thread)
        case .boolean(let flag): lua_pushboolean(thread, flag ? 1 : 0)
        case .integer(let integer): lua_pushinteger(thread, lua_Integer(integer))
        case .number(let number): lua_pushnumber(thread, number)
        case .string(let string): pushBytes(thread, string.bytes)
        case .table(let table):
            guard lua_checkstack(thread, 3) != 0 else {
                lua_pushnil(thread)
                return
            }
            lua_createtable(thread, Int32(clamping: table.sequence.count), Int32(clamping: table.fields.count))
            for (offset, element) in table.sequence.enumerated() {
                push(thread, element)
                lua_rawseti(thread, -2, lua_Integer(offset + 1))
            }
            for (key, element) in table.fields where key != .nil {
                if case .number(let number) = key, number.isNaN { continue }
                push(thread, key)
                push(thread, element)
                lua_rawset(thread, -3)
            }
            if let metatable = table.metatable {
                // The registry has no metatable: a raw read that cannot raise.
                pushString(thread, metatable)
                if lua_rawget(thread, LuaState.registryIndex) == LUA_TTABLE {
                    lua_setmetatable(thread, -2)
                } else {
                    roster_pop(thread, 1)
                }
            }
        }
    }

    /// Reads the value at `index` of `thread` without raising or calling metamethods.
    static func value(_ thread: OpaquePointer, at index: Int32) throws(LuaConversionError) -> LuaValue {
        var visiting: Set<UnsafeRawPointer> = []
        var path: [String] = []
        return try value(thread, at: lua_absindex(thread, index), visiting: &visiting, path: &path)
    }

    private static func value(
        _ thread: OpaquePointer, at index: Int32,
        visiting: inout Set<UnsafeRawPointer>, path: inout [String]
    ) throws(LuaConversionError) -> LuaValue {
        switch lua_type(thread, index) {
        case LUA_TNIL, LUA_TNONE: return .nil
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(thread, index) != 0)
        case LUA_TNUMBER:
            var integer: lua_Integer = 0
            if roster_isinteger_value(thread, index, &integer) != 0 { return .integer(Int64(integer)) }
            return .number(lua_tonumberx(thread, index, nil))
        case LUA_TSTRING:
            return .string(LuaString(bytes: bytes(thread, at: index) ?? []))
        case LUA_TTABLE:
            return .table(try table(thread, at: index, visiting: &visiting, path: &path))
        default:
            throw LuaConversionError(description: "cannot pass a \(typeName(thread, at: index))\(where: path)")
        }
    }

    private static func table(
        _ thread: OpaquePointer, at index: Int32,
        visiting: inout Set<UnsafeRawPointer>, path: inout [String]
    ) throws(LuaConversionError) -> LuaTable {
        guard let identity = lua_topointer(thread, index) else { return LuaTable() }
        guard !visiting.contains(identity) else {
            throw LuaConversionError(description: "cannot pass a table that contains itself\(where: path)")
        }
        guard visiting.count < maximumNesting, lua_checkstack(thread, 4) != 0 else {
            throw LuaConversionError(description: "cannot pass tables nested more than \(maximumNesting) deep\(where: path)")
        }
        visiting.insert(identity)
        defer { visiting.remove(identity) }

        var entries: [LuaValue: LuaValue] = [:]
        let top = lua_gettop(thread)
        defer { lua_settop(thread, top) }
        lua_pushnil(thread)
        // lua_next raises only for a key it did not hand out; we give back its own keys.
        while lua_next(thread, index) != 0 {
            // [..., key, value]
            let key = try value(thread, at: top + 1, visiting: &visiting, path: &path)
            path.append(keyDescription(key))
            let element = try value(thread, at: top + 2, visiting: &visiting, path: &path)
            path.removeLast()
            entries[key] = element
            lua_settop(thread, top + 1)
        }
        var sequence: [LuaValue] = []
        while let element = entries.removeValue(forKey: .integer(Int64(sequence.count + 1))) {
            sequence.append(element)
        }
        return LuaTable(sequence: sequence, fields: entries)
    }

    /// A table key as messages show it: `"name"`, `[10]`, `[2.5]`, `[true]`.
    static func keyDescription(_ key: LuaValue) -> String {
        switch key {
        case .string(let string): "\"\(string.text)\""
        case .integer(let integer): "[\(integer)]"
        case .number(let number): "[\(number)]"
        case .boolean(let flag): "[\(flag)]"
        default: "[\(key.typeName)]"
        }
    }
}

extension String.StringInterpolation {
    /// ` (at key "a"."b"[2])`, or nothing at the top level.
    fileprivate mutating func appendInterpolation(where path: [String]) {
        if !path.isEmpty { appendLiteral(" (at key \(path.joined(separator: ".")))") }
    }
}
