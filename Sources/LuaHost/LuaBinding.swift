/// LuaBinding.swift: the Swift side of the trampoline: checks a call against its
/// declaration, runs the body, and returns an outcome code for C to act on.
import CLua
import CRosterLua

/// A registered declaration. Its address is the light-userdata upvalue of the Lua closure.
final class LuaBinding {
    let function: LuaFunction
    let qualifiedName: String
    private let maximumArguments: Int32?

    init(_ function: LuaFunction, module: String?) {
        self.function = function
        self.qualifiedName = module.map { "\($0).\(function.name)" } ?? function.name
        self.maximumArguments = function.parameters.last?.variadic == true ? nil : Int32(function.parameters.count)
    }

    /// Installs the Swift entry point into the C trampoline, once per process.
    static let installDispatch: Void = roster_set_dispatch { L, binding in
        Unmanaged<LuaBinding>.fromOpaque(binding!).takeUnretainedValue().invoke(L!)
    }

    /// `argument #2 (b)`
    func argumentLabel(_ index: Int32) -> String {
        let position = Int(index) - 1
        let parameters = function.parameters
        let parameter = position < parameters.count ? parameters[position] : parameters.last
        let name = parameter.map { " (\($0.name))" } ?? ""
        return "argument #\(index)\(name)"
    }

    /// Runs one call; never raises (DESIGN invariant 1).
    func invoke(_ L: OpaquePointer) -> Int32 {
        if let message = checkArguments(L) {
            return raise(L, message: message)
        }
        let call = LuaCall(L: L, binding: self)
        do {
            switch function.body {
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
                run.suspend(.operation(operation, name: qualifiedName, location: Self.location(L)))
                return Int32(ROSTER_SUSPEND)
            }
        } catch is LuaRaisedError {
            return Int32(ROSTER_RAISE) // the metamethod's error value is on top
        } catch let error as LuaError {
            switch error.payload {
            case .message(let message): return raise(L, message: "\(qualifiedName): \(message)")
            case .value(let value):
                LuaState.push(L, value)
                return Int32(ROSTER_RAISE)
            }
        } catch let error as LuaErrorConvertible {
            LuaState.push(L, error.luaErrorValue)
            return Int32(ROSTER_RAISE)
        } catch {
            return raise(L, message: "\(qualifiedName): \(error)")
        }
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

    /// The first argument that does not match the declaration, as a message.
    private func checkArguments(_ L: OpaquePointer) -> String? {
        let count = lua_gettop(L)
        if let maximumArguments, count > maximumArguments {
            return "\(qualifiedName): expected at most \(maximumArguments) argument\(maximumArguments == 1 ? "" : "s"), got \(count)"
        }
        for (offset, parameter) in function.parameters.enumerated() {
            let index = Int32(offset + 1)
            if parameter.variadic { break }
            if !Self.matches(L, index, parameter) {
                let expected = parameter.types.map(\.rawValue).joined(separator: " or ")
                return "\(qualifiedName): \(argumentLabel(index)) expected \(expected), got \(LuaState.typeName(L, at: index))"
            }
        }
        return nil
    }

    private static func matches(_ L: OpaquePointer, _ index: Int32, _ parameter: LuaParameter) -> Bool {
        let type = lua_type(L, index)
        if type <= LUA_TNIL { return parameter.optional || parameter.types.contains(.any) }
        for expected in parameter.types {
            switch expected {
            case .any: return true
            case .integer:
                if lua_isinteger(L, index) != 0 { return true }
                if type == LUA_TNUMBER, Int64(exactly: lua_tonumberx(L, index, nil)) != nil { return true }
            case .number: if type == LUA_TNUMBER { return true }
            case .string: if type == LUA_TSTRING { return true }
            case .boolean: if type == LUA_TBOOLEAN { return true }
            case .table: if type == LUA_TTABLE { return true }
            case .function: if type == LUA_TFUNCTION { return true }
            }
        }
        return false
    }
}

extension LuaState {
    /// Registers `function` as a global (module nil) or into the table on top of the stack.
    func pushFunction(_ function: LuaFunction, module: String?) {
        let binding = LuaBinding(function, module: module)
        bindings.append(binding)
        roster_push_binding(L, Unmanaged.passUnretained(binding).toOpaque())
    }

    /// Installs `module` as a global table of its functions.
    public func install(_ module: LuaModule) {
        LuaState.withStackGuard(L) {
            lua_createtable(L, 0, Int32(module.functions.count))
            for function in module.functions {
                pushFunction(function, module: module.name)
                lua_setfield(L, -2, function.name)
            }
            lua_setglobal(L, module.name)
        }
    }

    /// Installs a declared function as a global.
    public func install(_ function: LuaFunction) {
        pushFunction(function, module: nil)
        lua_setglobal(L, function.name)
    }
}
