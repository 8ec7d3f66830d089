/// LuaSession.swift: one sandboxed state kept across many chunks — the REPL's — with each
/// chunk under the run's limits, stoppable, and the state's globals open to completion.
import CLua
import CRosterLua

/// Why a session could not start.
public enum LuaSessionError: Error, CustomStringConvertible {
    case noMemory
    /// The printer's source failed to load: a bug in the host, with Lua's message.
    case printer(String)

    public var description: String {
        switch self {
        case .noMemory: "could not create a Lua state (out of memory)"
        case .printer(let message): "the value printer failed to load: \(message)"
        }
    }
}

/// What came of one chunk of a session.
public enum LuaEvaluation: Sendable, Equatable {
    /// It ran; its values (if any) went to the printer.
    case completed
    /// The chunk is not finished yet (an open `do`, `function`, string...): read more lines.
    case incomplete
    /// A syntax or runtime error, a limit, or an interruption: the session goes on.
    case failed(LuaRunOutcome)
}

/// A sandboxed Lua state that evaluates chunk after chunk with globals kept between them.
/// One caller at a time (the REPL's loop): `evaluate`, `completions` and `install` must
/// not overlap; `interrupt` may come from any thread.
public final class LuaSession: @unchecked Sendable {
    private let run: RunContext
    private let executor: LuaExecutor
    private let showReference: Int32

    /// `printer` is Lua source returning `show(f)`: it calls `f` and prints its values
    /// for people (the REPL's pretty printer). It is loaded before any user code, so the
    /// library functions it captures are the originals.
    public init(limits: LuaLimits, modules: [LuaModule] = [], functions: [LuaFunction] = [],
                metatables: [LuaMetatable] = [], globals: [String: LuaValue] = [:],
                output: any LuaOutput, directory: String?, printer: String, executor: LuaExecutor = .shared) throws(LuaSessionError) {
        do {
            run = try RunContext(limits: limits, output: output, scriptDirectory: directory)
        } catch {
            throw .noMemory
        }
        self.executor = executor
        for module in modules { run.state.install(module) }
        for function in functions { run.state.install(function) }
        for metatable in metatables { run.state.install(metatable) }
        run.setGlobals(globals)
        let L = run.state.L
        let loaded = printer.utf8CString.withUnsafeBufferPointer { chars in
            luaL_loadbufferx(L, chars.baseAddress, chars.count - 1, "=printer", "t")
        }
        guard loaded == LUA_OK, roster_pcall(L, 0, 1) == LUA_OK, lua_type(L, -1) == LUA_TFUNCTION else {
            let message = LuaState.bytes(L, at: -1).map { String(decoding: $0, as: UTF8.self) } ?? "it does not return a function"
            lua_settop(L, 0)
            throw .printer(message)
        }
        showReference = luaL_ref(L, LuaState.registryIndex)
    }

    /// Installs (or replaces) modules between chunks: `:tenant`, `:dry-run`.
    public func install(_ modules: [LuaModule]) {
        for module in modules { run.state.install(module) }
    }

    /// Registers (or replaces) metatables between chunks, before the globals that name them.
    public func install(_ metatables: [LuaMetatable]) {
        for metatable in metatables { run.state.install(metatable) }
    }

    /// Sets globals between chunks.
    public func setGlobals(_ globals: [String: LuaValue]) {
        run.setGlobals(globals)
    }

    /// The modules installed, for help and completion.
    public var modules: [LuaModule] { run.state.installedModules }

    /// Evaluates `source` as an expression whose values are shown (`1 + 1`, `=x`,
    /// `encore.get_user(1001)`), else as statements. Messages name it `chunkName`.
    public func evaluate(_ source: String, chunkName: String = "stdin") async -> LuaEvaluation {
        await withTaskExecutorPreference(executor) { await self.evaluateHere(source, chunkName: chunkName) }
    }

    private func evaluateHere(_ source: String, chunkName: String) async -> LuaEvaluation {
        let L = run.state.L
        run.resetScheduler()
        roster_clear_kill(run.state.state)
        lua_settop(L, 0)
        var text = source
        if text.hasPrefix("=") { text = "return " + text.dropFirst() }
        if !compile("return " + text, chunkName), !compile(text, chunkName) {
            let message = LuaState.message(L, at: -1) ?? "syntax error"
            lua_settop(L, 0)
            if message.hasSuffix("<eof>") { return .incomplete }
            return .failed(.scriptError(message: message, traceback: message))
        }
        // show(f) runs as the main coroutine, f its argument.
        let main = run.makeCoroutine()
        lua_rawgeti(main.thread, LuaState.registryIndex, lua_Integer(showReference))
        lua_xmove(L, main.thread, 1)
        let outcome = await run.driveWithDeadline(main, arguments: 1)
        run.resetScheduler()
        roster_clear_kill(run.state.state)
        lua_settop(L, 0)
        guard outcome == .success else {
            // What the stopped chunk held is garbage now: give the memory back before the
            // next one (after a memory limit, it would otherwise fail at once).
            _ = roster_full_gc(L)
            return .failed(outcome)
        }
        return .completed
    }

    /// Compiles `text`; on failure leaves the message on the stack (replacing an earlier one).
    private func compile(_ text: String, _ chunkName: String) -> Bool {
        let L = run.state.L
        lua_settop(L, 0)
        let status = text.utf8CString.withUnsafeBufferPointer { chars in
            luaL_loadbufferx(L, chars.baseAddress, chars.count - 1, "=" + chunkName, "t")
        }
        return status == LUA_OK
    }

    /// Stops the chunk running now, from any thread (Ctrl-C). A computing chunk is stopped
    /// by the watchdog's hook; one waiting on a vendor by the scheduler.
    public func interrupt() {
        roster_kill(run.state.state, ROSTER_LIMIT_INTERRUPTED)
        run.mailbox.post(.interrupted(run.generationNow))
    }

    /// Completions of the name being typed at the end of `text`: globals
    /// (`allthe` → `allthenticate`), fields (`allthenticate.pro` → `allthenticate.promote_guest`,
    /// `u.em` → `u.email`), and methods through a value's `__index` table (`s:up` → `s:upper`).
    /// Between chunks only. Reads without raising: raw gets and `lua_next` in host mode.
    public func completions(for text: String) -> [String] {
        let word = String(text.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == ":" }.reversed())
        guard !word.isEmpty, !(word.first!.isNumber) else { return [] }
        var parts: [String] = []
        var separators: [Character] = []
        var current = ""
        for character in word {
            if character == "." || character == ":" {
                parts.append(current)
                separators.append(character)
                current = ""
            } else {
                current.append(character)
            }
        }
        let partial = current
        let L = run.state.L
        let outerMode = roster_set_host_mode(run.state.state, 1)
        defer { _ = roster_set_host_mode(run.state.state, outerMode) }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, LuaState.registryIndex, lua_Integer(LUA_RIDX_GLOBALS))
        for part in parts {
            guard !part.isEmpty, Self.pushField(L, part) else { return [] }
        }
        var names: Set<String> = []
        Self.collectKeys(L, prefix: partial, into: &names)
        // A value's methods: its metatable's __index table (strings, objects).
        if lua_getmetatable(L, -1) != 0 {
            LuaState.pushString(L, "__index")
            if lua_rawget(L, -2) == LUA_TTABLE { Self.collectKeys(L, prefix: partial, into: &names) }
            lua_settop(L, lua_gettop(L) - 2)
        }
        let head = word.dropLast(partial.count)
        return names.sorted().map { head + $0 }
    }

    /// Replaces the table (or value) on top with its field `name`, following a metatable's
    /// `__index` table; false when there is none.
    private static func pushField(_ L: OpaquePointer, _ name: String) -> Bool {
        if lua_type(L, -1) == LUA_TTABLE {
            LuaState.pushString(L, name)
            if lua_rawget(L, -2) != LUA_TNIL {
                lua_rotate(L, -2, 1)
                lua_settop(L, lua_gettop(L) - 1)
                return true
            }
            lua_settop(L, lua_gettop(L) - 1)
        }
        guard lua_getmetatable(L, -1) != 0 else { return false }
        LuaState.pushString(L, "__index")
        guard lua_rawget(L, -2) == LUA_TTABLE else { return false }
        LuaState.pushString(L, name)
        guard lua_rawget(L, -2) != LUA_TNIL else { return false }
        return true // the field is on top; what is below is dropped by the caller's settop
    }

    /// Adds the identifier keys of the table on top that start with `prefix`.
    private static func collectKeys(_ L: OpaquePointer, prefix: String, into names: inout Set<String>) {
        guard lua_type(L, -1) == LUA_TTABLE else { return }
        let table = lua_absindex(L, -1)
        lua_pushnil(L)
        while lua_next(L, table) != 0 {
            if lua_type(L, -2) == LUA_TSTRING, let bytes = LuaState.bytes(L, at: -2) {
                let key = String(decoding: bytes, as: UTF8.self)
                if key.hasPrefix(prefix), key.first.map({ $0.isLetter || $0 == "_" }) == true,
                   key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !key.hasPrefix("__") {
                    names.insert(key)
                }
            }
            lua_settop(L, lua_gettop(L) - 1)
        }
    }

    deinit {
        luaL_unref(run.state.L, LuaState.registryIndex, showReference)
    }
}
