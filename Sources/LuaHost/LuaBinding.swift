/// LuaBinding.swift: the Swift side of the trampoline: checks a call against its
/// declaration, runs the body, and returns an outcome code for C to act on.
import CLua
import CRosterLua

/// A registered declaration. Its compact signature (`roster_binding`) is what the C function
/// Lua calls holds (a slot's copy, or a closure's light-userdata upvalue): C checks a call's
/// arguments against it, and only a call that passes enters Swift. What the hot path needs
/// (the body) is unpacked from the declaration once, at registration.
final class LuaBinding {
    let function: LuaFunction
    let qualifiedName: String
    private let body: LuaFunction.Body
    /// The body of a sync function, apart: the common case skips the enum's copy.
    private let syncBody: @Sendable (LuaCall) throws -> LuaValue
    private let isSync: Bool
    /// Declared without a result: a nil answer is no value at all.
    private let returnsNothing: Bool
    /// What the trampoline checks; lives as long as the binding (the state keeps both).
    let signature: UnsafeMutablePointer<roster_binding>
    private let checks: UnsafeMutableBufferPointer<roster_argument_check>

    init(_ function: LuaFunction, module: String?) {
        self.function = function
        self.qualifiedName = module.map { "\($0).\(function.name)" } ?? function.name
        self.body = function.body
        if case .sync(let body) = function.body {
            syncBody = body
            isSync = true
        } else {
            syncBody = { _ in .nil }
            isSync = false
        }
        returnsNothing = function.result == nil
        let fixed = function.parameters.prefix { !$0.variadic }
        checks = .allocate(capacity: fixed.count)
        _ = checks.initialize(from: fixed.map(Self.check))
        signature = .allocate(capacity: 1)
        signature.initialize(to: roster_binding(
            swift: nil,
            maximum_arguments: fixed.count == function.parameters.count ? Int32(fixed.count) : .max,
            check_count: Int32(fixed.count),
            checks: UnsafePointer(checks.baseAddress),
            slot: -1))
        signature.pointee.swift = Unmanaged.passUnretained(self).toOpaque()
    }

    /// The state that held this binding's function is closed (`LuaState` closes it before
    /// releasing its bindings), so its C entry point can serve another binding.
    deinit {
        roster_release_binding(signature)
        checks.deallocate()
        signature.deallocate()
    }

    /// One parameter's accepted Lua types as a bit set over `lua_type` tags.
    private static func check(_ parameter: LuaParameter) -> roster_argument_check {
        var types: UInt16 = 0
        for type in parameter.types {
            switch type {
            case .any: types |= 0xFFFF
            case .integer, .number: types |= 1 << LUA_TNUMBER
            case .string: types |= 1 << LUA_TSTRING
            case .boolean: types |= 1 << LUA_TBOOLEAN
            case .table: types |= 1 << LUA_TTABLE
            case .function: types |= 1 << LUA_TFUNCTION
            }
        }
        if parameter.optional { types |= 1 << LUA_TNIL }
        let integral = parameter.types.contains(.integer) && !parameter.types.contains(.number)
        return roster_argument_check(types: types, integral: integral ? 1 : 0)
    }

    /// `argument #2 (b)`
    func argumentLabel(_ index: Int32) -> String {
        let position = Int(index) - 1
        let parameters = function.parameters
        let parameter = position < parameters.count ? parameters[position] : parameters.last
        let name = parameter.map { " (\($0.name))" } ?? ""
        return "argument #\(index)\(name)"
    }

    /// Runs one call whose arguments passed the signature; never raises (DESIGN invariant 1).
    @inline(__always)
    func invoke(_ L: OpaquePointer) -> Int32 {
        let call = LuaCall(L: L, binding: self)
        if isSync {
            let result: LuaValue
            do {
                result = try syncBody(call)
            } catch {
                return raise(L, error)
            }
            if case .nil = result {
                // Declared with no result: it returns nothing, not nil.
                if returnsNothing { return 0 }
                lua_pushnil(L)
            } else {
                LuaState.push(L, result)
            }
            return 1
        }
        return invokeOther(L, call)
    }

    /// A host or async body (a sync one reaches here only through `invoke`).
    @inline(never)
    private func invokeOther(_ L: OpaquePointer, _ call: LuaCall) -> Int32 {
        do {
            switch body {
            case .sync(let body):
                LuaState.push(L, try body(call))
                return 1
            case .host(let body):
                switch try body(call) {
                case .results(let count): return count
                case .suspend: return Int32(ROSTER_SUSPEND)
                }
            case .async(let start):
                guard lua_isyieldable(L) != 0, let run = call.run else {
                    return raise(L, message: "\(qualifiedName): cannot wait for a vendor call here "
                        + "(inside a metamethod, a sort comparator or a gsub callback); call it from "
                        + "the script body, a coroutine or parallel.map")
                }
                let operation = try start(call)
                // The caller's position is found only if the call fails, when the scheduler
                // hands the failure to the suspended coroutine: it still stands at this call.
                run.suspend(.operation(operation, name: qualifiedName, changes: function.effect.changes))
                return Int32(ROSTER_SUSPEND)
            }
        } catch {
            return raise(L, error)
        }
    }

    /// Pushes the Lua form of a thrown error for the trampoline to raise.
    @inline(never)
    private func raise(_ L: OpaquePointer, _ error: any Error) -> Int32 {
        // After a LuaRaisedError the metamethod's error value is on top already.
        if !(error is LuaRaisedError) {
            LuaState.push(L, RunContext.errorValue(error, name: qualifiedName, location: Self.location(L)))
        }
        return Int32(ROSTER_RAISE)
    }

    /// Pushes `file:line: message` (the caller's position) for the trampoline to raise.
    private func raise(_ L: OpaquePointer, message: String) -> Int32 {
        LuaState.pushString(L, Self.location(L) + message)
        return Int32(ROSTER_RAISE)
    }

    /// `file:line: ` of the Lua code calling the current function, or "".
    static func location(_ L: OpaquePointer) -> String {
        luaL_where(L, 1)
        defer { roster_pop(L, 1) }
        return LuaState.bytes(L, at: -1).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// The message for a call that failed its signature: argument `index` does not match
    /// the declaration, or (index 0) there are too many arguments.
    func argumentError(_ L: OpaquePointer, index: Int32) -> String {
        let colonCall = calledWithColon(L)
        let hint = colonCall ? " (write \(qualifiedName)(...) with '.', not ':', which passes the module first)" : ""
        guard index > 0 else {
            let maximum = signature.pointee.maximum_arguments
            return "\(qualifiedName): expected at most \(maximum) argument\(maximum == 1 ? "" : "s"), got \(lua_gettop(L))" + hint
        }
        let types = function.parameters[Int(index) - 1].types
        let expected = types.map(\.rawValue).joined(separator: " or ")
        let got = colonCall && index == 1 ? "the \(qualifiedName.prefix { $0 != "." }) module" : LuaState.typeName(L, at: index)
        return "\(qualifiedName): \(argumentLabel(index)) expected \(expected), got \(got)"
            + (colonCall ? hint : Self.textGivenForValue(L, at: index, for: types))
    }

    /// The hint for a number or a boolean given as text that reads as one.
    private static func textGivenForValue(_ L: OpaquePointer, at index: Int32, for types: [LuaType]) -> String {
        guard lua_type(L, index) == LUA_TSTRING, let bytes = LuaState.bytes(L, at: index) else { return "" }
        return TextGivenForValue.hint(String(decoding: bytes, as: UTF8.self), wanted: types)
    }

    /// Whether the first argument is this function's own module table: `encore:get_user(1)`,
    /// a method call, where `encore.get_user(1)` was meant.
    private func calledWithColon(_ L: OpaquePointer) -> Bool {
        guard lua_type(L, 1) == LUA_TTABLE, let table = lua_topointer(L, 1),
              let module = RunContext.of(L)?.state.modules[UnsafeRawPointer(table)] else { return false }
        return qualifiedName.hasPrefix(module.name + ".")
    }
}

extension LuaState {
    /// Registers `function` as a global (module nil) or into the table on top of the stack.
    func pushFunction(_ function: LuaFunction, module: String?) {
        let binding = LuaBinding(function, module: module)
        bindings.append(binding)
        roster_push_binding(L, binding.signature)
    }

    /// Installs `module` as a global table of its functions, and registers its metatables.
    public func install(_ module: LuaModule) {
        LuaState.withStackGuard(L) {
            for metatable in module.metatables { register(metatable, module: module.name) }
            lua_createtable(L, 0, Int32(module.functions.count))
            for function in module.functions {
                pushFunction(function, module: module.name)
                lua_setfield(L, -2, function.name)
            }
            // Anchored in the registry, so its address names the module for `help`.
            modules[UnsafeRawPointer(lua_topointer(L, -1)!)] = module
            lua_pushvalue(L, -1)
            lua_rawsetp(L, LuaState.registryIndex, lua_topointer(L, -1))
            lua_setglobal(L, module.name)
        }
        installedModules.append(module)
    }

    /// Registers (or replaces) a metatable that belongs to no module (the `roster` global's);
    /// its name names its metamethods in messages.
    public func install(_ metatable: LuaMetatable) {
        LuaState.withStackGuard(L) { register(metatable, module: metatable.name) }
    }

    /// registry[name] = { metamethods..., __metatable = name }
    private func register(_ metatable: LuaMetatable, module: String) {
        lua_createtable(L, 0, Int32(metatable.metamethods.count + 1))
        for metamethod in metatable.metamethods {
            pushFunction(metamethod, module: module)
            lua_setfield(L, -2, metamethod.name)
        }
        LuaState.pushString(L, metatable.name)
        lua_setfield(L, -2, "__metatable") // getmetatable gives the name; setmetatable refuses
        lua_setfield(L, LuaState.registryIndex, metatable.name)
    }

    /// Installs a declared function as a global.
    public func install(_ function: LuaFunction) {
        pushFunction(function, module: nil)
        lua_setglobal(L, function.name)
    }
}

/// The Swift entry point of every binding call whose arguments passed the signature, called
/// directly by the C trampoline (`roster_dispatch`, declared `swiftcall` there, so the call
/// needs no C thunk); the binding is borrowed for the call. Public so that the symbol C
/// calls is always emitted and kept.
@_silgen_name("roster_dispatch")
public func rosterDispatch(_ L: OpaquePointer, _ binding: UnsafeMutableRawPointer) -> Int32 {
    Unmanaged<LuaBinding>.fromOpaque(binding)._withUnsafeGuaranteedRef { $0.invoke(L) }
}

/// Pushes `file:line: message` for a call that failed its signature (`roster_argument_error`);
/// the trampoline raises it.
@_cdecl("roster_argument_error")
func rosterArgumentError(_ L: OpaquePointer, _ binding: UnsafeMutableRawPointer, _ index: Int32) {
    let binding = Unmanaged<LuaBinding>.fromOpaque(binding).takeUnretainedValue()
    LuaState.pushString(L, LuaBinding.location(L) + binding.argumentError(L, index: index))
}
