/// LuaStackWriter.swift: values written straight onto a Lua stack, for answers that would
/// otherwise be built as a Swift table first and pushed after (a vendor's answer, written
/// by its declared shape).
import CLua
import CRosterLua

/// What an async binding answers: a value, or something that writes its value onto the
/// stack itself when the waiting script resumes.
public enum LuaAnswer: Sendable {
    case value(LuaValue)
    case written(any LuaStackWritable)
}

/// A value that writes itself onto a Lua stack (on the script's thread, as it resumes).
public protocol LuaStackWritable: Sendable {
    /// Pushes exactly one value.
    func write(to stack: inout LuaStackWriter)
}

/// Pushes values onto one Lua thread's stack and sets them into the table below them.
/// Host mode only (the allocator does not fail there); tables nested past the stack's room
/// are written as nil, as `LuaState.push` does.
public struct LuaStackWriter {
    let thread: OpaquePointer

    init(_ thread: OpaquePointer) { self.thread = thread }

    public mutating func push(_ value: LuaValue) { LuaState.push(thread, value) }

    /// The stack's height, to restore after a write given up part way.
    public var top: Int32 { lua_gettop(thread) }

    public mutating func restore(_ top: Int32) { lua_settop(thread, top) }

    /// Whether the value on top is a table.
    public var topIsTable: Bool { lua_type(thread, -1) == LUA_TTABLE }

    public mutating func pushBoolean(_ flag: Bool) { lua_pushboolean(thread, flag ? 1 : 0) }

    public mutating func pushInteger(_ integer: Int64) { lua_pushinteger(thread, lua_Integer(integer)) }

    public mutating func pushNumber(_ number: Double) { lua_pushnumber(thread, number) }

    public mutating func pushString(_ text: String) { LuaState.pushString(thread, text) }

    /// Pushes the string whose UTF-8 is `bytes`.
    public mutating func pushString(bytes: UnsafeBufferPointer<UInt8>) {
        bytes.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(thread, $0.baseAddress, $0.count) }
    }

    /// Pushes a new table sized for `sequence` items and `fields` named fields; false (and
    /// nil pushed) when the stack has no room for it and what goes into it.
    public mutating func pushTable(sequence: Int, fields: Int) -> Bool {
        guard lua_checkstack(thread, 3) != 0 else {
            lua_pushnil(thread)
            return false
        }
        lua_createtable(thread, Int32(clamping: sequence), Int32(clamping: fields))
        return true
    }

    /// Pops the top value into the table below it as `table[name]`.
    public mutating func setField(_ name: String) {
        LuaState.pushString(thread, name)
        lua_rotate(thread, -2, 1)
        lua_rawset(thread, -3)
    }

    /// Pops the top value into the table below it as `table[name]`, `name` given as UTF-8.
    public mutating func setField(bytes name: UnsafeBufferPointer<UInt8>) {
        pushString(bytes: name)
        lua_rotate(thread, -2, 1)
        lua_rawset(thread, -3)
    }

    /// Pops the top value into the table below it as `table[index]`.
    public mutating func setItem(_ index: Int) {
        lua_rawseti(thread, -2, lua_Integer(index))
    }
}

extension LuaState {
    /// Pushes what an async binding answered.
    static func push(_ thread: OpaquePointer, _ answer: LuaAnswer) {
        switch answer {
        case .value(let value): push(thread, value)
        case .written(let writable):
            var writer = LuaStackWriter(thread)
            writable.write(to: &writer)
        }
    }
}
