/// LuaCall.swift: a binding's view of one call: its checked arguments, read without raising.
import CLua
import CRosterLua

/// One call of a declared function, handed to its body. The arguments have been checked
/// against the declaration already, so the typed accessors cannot fail on type.
public struct LuaCall {
    let L: OpaquePointer
    /// The registered binding; the state keeps it alive for longer than any call.
    unowned(unsafe) let binding: LuaBinding

    /// `module.function`, as error messages name it.
    public var name: String { binding.qualifiedName }

    /// How many arguments were passed.
    public var count: Int32 { lua_gettop(L) }

    /// Whether argument `index` is absent or nil.
    public func isNil(_ index: Int32) -> Bool { lua_type(L, index) <= LUA_TNIL }

    /// An integer argument (a float with an integral value is converted).
    public func integer(_ index: Int32) -> Int64 {
        var integer: lua_Integer = 0
        if roster_isinteger_value(L, index, &integer) != 0 { return Int64(integer) }
        return Int64(exactly: lua_tonumberx(L, index, nil)) ?? 0
    }

    public func number(_ index: Int32) -> Double { lua_tonumberx(L, index, nil) }

    public func boolean(_ index: Int32) -> Bool { lua_toboolean(L, index) != 0 }

    /// A string argument's bytes.
    public func string(_ index: Int32) -> LuaString {
        LuaString(bytes: LuaState.bytes(L, at: index) ?? [])
    }

    /// A string argument as text.
    public func text(_ index: Int32) -> String { string(index).text }

    /// Any argument as a value; functions, userdata and cycles are an argument error.
    public func value(_ index: Int32) throws(LuaError) -> LuaValue {
        do {
            return try LuaState.value(L, at: index)
        } catch {
            throw LuaError("\(binding.argumentLabel(index)): \(error.description)")
        }
    }

    /// `t[key]` for the table argument at `index`, honouring `__index`. An error raised by
    /// a metamethod propagates to the script unchanged.
    public func field(_ index: Int32, _ key: String) throws -> LuaValue {
        let index = lua_absindex(L, index)
        LuaState.pushString(L, key)
        guard roster_pgettable(L, index) == LUA_OK else { throw LuaRaisedError() }
        defer { roster_pop(L, 1) }
        return try LuaState.value(L, at: -1)
    }

    /// An option from the options table at `index` (raw: no metamethods); `.nil` when the
    /// table or the key is absent.
    public func option(_ index: Int32, _ key: String) throws(LuaError) -> LuaValue {
        guard lua_type(L, index) == LUA_TTABLE else { return .nil }
        let index = lua_absindex(L, index)
        LuaState.pushString(L, key)
        lua_rawget(L, index)
        defer { roster_pop(L, 1) }
        do {
            return try LuaState.value(L, at: -1)
        } catch {
            throw LuaError("\(binding.argumentLabel(index)) option \(key): \(error.description)")
        }
    }

    /// The run this call belongs to, when the state runs a script.
    var run: RunContext? { RunContext.of(L) }

    /// The declared function passed as argument `index` (any Swift-backed function), with
    /// its `module.function` name; nil for any other value.
    public func declaredFunction(at index: Int32) -> (name: String, function: LuaFunction)? {
        guard let pointer = roster_binding_at(L, index) else { return nil }
        let other = Unmanaged<LuaBinding>.fromOpaque(pointer).takeUnretainedValue()
        return (other.qualifiedName, other.function)
    }

    /// The installed module whose table is argument `index`; nil for any other value.
    public func installedModule(at index: Int32) -> LuaModule? {
        guard lua_type(L, index) == LUA_TTABLE, let pointer = lua_topointer(L, index) else { return nil }
        return RunContext.of(L)?.state.modules[UnsafeRawPointer(pointer)]
    }

    /// The modules installed in this call's state.
    public var installedModules: [LuaModule] { RunContext.of(L)?.state.installedModules ?? [] }

    /// Ends the run as a permission denial (exit code 4): like a limit, no `pcall`,
    /// `parallel` sibling or error handler can go on after it. Returns the error to throw.
    public func deny(_ message: String) -> LuaError { stopRun(.permission, message) }

    /// Ends the run for `kind` (a denial, a decision needed, the journal failing) with
    /// `message`: like a limit, nothing in the script can go on after it. Returns the error
    /// to throw.
    public func stopRun(_ kind: LuaLimitKind, _ message: String) -> LuaError {
        if let run, run.stopMessage == nil, let raw = kind.raw {
            run.stopMessage = message
            roster_set_limit_message(L, raw, message)
            roster_kill(run.state.state, raw)
        }
        return LuaError(value: .string(LuaString(message)))
    }

    /// Writes `text` to the run's output, as `print` does (counted against the output
    /// limit); false when the limit ended the run.
    @discardableResult
    public func write(_ text: String) -> Bool {
        run?.write(Array(text.utf8)) ?? true
    }
}

/// An error a binding raises in the script: `module.function: message`, with the script's
/// file and line in front, or a value (an error object) raised as it is.
public struct LuaError: Error, CustomStringConvertible, Sendable {
    public enum Payload: Sendable {
        case message(String)
        case value(LuaValue)
    }

    public var payload: Payload

    /// An error reading `module.function: message` (the function's name is added).
    public init(_ message: String) { payload = .message(message) }
    /// An error object raised unchanged (a table with fields, say).
    public init(value: LuaValue) { payload = .value(value) }

    public var description: String {
        switch payload {
        case .message(let message): message
        case .value(let value): value.text ?? "error object (\(value.typeName))"
        }
    }
}

/// A Swift error whose Lua form is a value of its own (vendor errors: a table with fields).
public protocol LuaErrorConvertible: Error {
    /// The value raised in the script.
    var luaErrorValue: LuaValue { get }
}

/// The error value raised by Lua code (a metamethod) is on top of the stack: re-raise it.
struct LuaRaisedError: Error {}
