/// LuaState.swift: one Lua state, owned by one thread at a time.
import CLua
import CRosterLua

/// A Lua state with Roster's capped allocator. Not Sendable: one owner at a time
/// (DESIGN invariant 3). Swift calls only Lua API functions that cannot raise; since the
/// allocator never fails in host mode (whenever Lua is not executing), functions that can
/// only raise a memory error are safe too, and the rest go through `roster_p*` helpers.
public final class LuaState {
    /// The C state: allocator accounting, limits, and the host pointer.
    let state: OpaquePointer
    /// The main thread.
    let L: OpaquePointer
    /// Bindings registered into this state, kept alive as long as it is.
    var bindings: [LuaBinding] = []
    /// Installed module tables by address (anchored in the registry), for `help`.
    var modules: [UnsafeRawPointer: LuaModule] = [:]
    /// The modules installed, in order (REPL completion, docs).
    public internal(set) var installedModules: [LuaModule] = []

    /// A new state whose allocator refuses to grow past `memoryLimit` bytes (0: no cap).
    public init(memoryLimit: Int) throws(LuaStateError) {
        guard let state = roster_state_open(memoryLimit) else { throw LuaStateError() }
        self.state = state
        self.L = roster_state_lua(state)
    }

    deinit {
        roster_state_close(state)
    }

    /// Bytes the state holds now.
    public var memoryUsed: Int { Int(roster_memory_used(state)) }

    /// The limit that ended this state's run, if one did.
    public var limitHit: LuaLimitKind? { LuaLimitKind(roster_killed(state)) }
}

@available(*, unavailable)
extension LuaState: Sendable {}

/// The system could not allocate a new Lua state.
public struct LuaStateError: Error, CustomStringConvertible {
    public var description: String { "could not create a Lua state (out of memory)" }
}

// MARK: - Stack helpers (all non-raising)

extension LuaState {
    static let registryIndex = roster_registry_index()

    /// Restores the stack of `thread` to its depth on entry when `body` returns.
    @inline(__always)
    static func withStackGuard<T>(_ thread: OpaquePointer, _ body: () throws -> T) rethrows -> T {
        let top = lua_gettop(thread)
        defer { lua_settop(thread, top) }
        return try body()
    }

    /// The string at `index` (strings only; numbers are not converted).
    static func bytes(_ thread: OpaquePointer, at index: Int32) -> [UInt8]? {
        var length = 0
        guard let pointer = roster_tostring_raw(thread, index, &length) else { return nil }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    /// The most of an error message a run reports: its start, then how much was left out.
    /// `error(string.rep("x", 1e7))` is one line, not ten megabytes on the terminal and in
    /// the journal.
    static let messageLimit = 4096

    /// The string (or number) at `index` as an error message: UTF-8, at most `messageLimit`
    /// bytes of it.
    static func message(_ thread: OpaquePointer, at index: Int32) -> String? {
        var length = 0
        guard let pointer = roster_tostring_raw(thread, index, &length) else { return nil }
        return bounded(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    /// `text` cut to `messageLimit` bytes, at a character's start, saying how much was cut.
    static func boundedMessage(_ text: String) -> String {
        guard text.utf8.count > messageLimit else { return text }
        var text = text
        return text.withUTF8 { bounded(UnsafeRawBufferPointer($0)) }
    }

    private static func bounded(_ bytes: UnsafeRawBufferPointer) -> String {
        guard bytes.count > messageLimit else { return String(decoding: bytes, as: UTF8.self) }
        var cut = messageLimit
        while cut > 0, bytes[cut] & 0xC0 == 0x80 { cut -= 1 } // not inside a character
        return String(decoding: bytes[..<cut], as: UTF8.self) + "… (\(bytes.count - cut) more bytes)"
    }

    static func pushString(_ thread: OpaquePointer, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            _ = buffer.withMemoryRebound(to: CChar.self) { chars in
                lua_pushlstring(thread, chars.baseAddress, chars.count)
            }
        }
    }

    static func pushBytes(_ thread: OpaquePointer, _ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                _ = lua_pushlstring(thread, chars.baseAddress, chars.count)
            }
        }
    }

    /// The type name Lua's own messages use, telling integers from floats.
    static func typeName(_ thread: OpaquePointer, at index: Int32) -> String {
        let type = lua_type(thread, index)
        if type == LUA_TNONE { return "nil" }
        if type == LUA_TNUMBER { return lua_isinteger(thread, index) != 0 ? "integer" : "float" }
        return String(cString: lua_typename(thread, type))
    }

    /// Text for any value, calling `__tostring` under protection; nil if that raised
    /// (the error is then on the stack).
    static func describe(_ thread: OpaquePointer, at index: Int32) -> String? {
        let status = roster_ptostring(thread, index)
        defer { roster_pop(thread, 1) }
        guard status == LUA_OK, let bytes = bytes(thread, at: -1) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
