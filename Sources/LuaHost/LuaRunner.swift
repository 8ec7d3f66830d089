/// LuaRunner.swift: running one script in a fresh sandbox, and what comes of it.
import CLua
import CRosterLua
import Foundation
import Synchronization

/// A script to run: its text and the name its messages carry.
public struct LuaScript: Sendable {
    /// Shown in messages and tracebacks: `scripts/hello.lua:3: ...`.
    public var name: String
    public var source: [UInt8]
    /// The folder `require` loads from (the script's own); nil: `require` finds nothing.
    public var directory: String?
    /// Modules kept with the script, by their path in `directory` (`lib/util.lua`): a queued
    /// run carries the ones its script requires to a worker on another host. `require`
    /// finds these first, then the folder.
    public var keptModules: [String: [UInt8]] = [:]

    public init(name: String, source: [UInt8], directory: String?) {
        self.name = name
        self.source = source
        self.directory = directory
    }

    public init(name: String, source: String, directory: String? = nil) {
        self.init(name: name, source: Array(source.utf8), directory: directory)
    }

    /// The file `require(name)` loads, relative to the script's folder (`lib.util` is
    /// `lib/util.lua`); nil when `name` is not a module name (letters, digits, `_` and `-`,
    /// separated by dots).
    public static func modulePath(_ name: some StringProtocol) -> String? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } }) else {
            return nil
        }
        return parts.joined(separator: "/") + ".lua"
    }

    /// Whether the file at `path` is really in `folder`: a symbolic link in the folder
    /// (`lib -> /etc`) must not carry `require` out of it, since `require` is a script's only
    /// way to read a file. True when either cannot be resolved (the read then says why).
    public static func staysIn(folder: String, path: String) -> Bool {
        guard let file = resolvedPath(path), let root = resolvedPath(folder) else { return true }
        return file.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    private static func resolvedPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether `bytes` begin as luac's output does (ESC "Lua"): only source is loaded.
    static func isPrecompiled(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: [0x1B, 0x4C, 0x75, 0x61])
    }

    /// Where the Lua code in a file's bytes starts, as `lua5.4` reads a file: past a UTF-8
    /// byte-order mark (editors on Windows write one), and at the newline ending a first line
    /// that starts with `#` (`#!/usr/bin/env -S roster run`), so line numbers stay the file's.
    static func codeStart(_ bytes: UnsafeRawBufferPointer) -> Int {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        if start < bytes.count, bytes[start] == UInt8(ascii: "#") {
            start = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
        }
        return start
    }

    /// Compiles a file's `bytes` as the chunk `chunkName` onto `L`'s stack, read as `lua5.4`
    /// reads a file (see `codeStart`); nil, having pushed nothing, when they are luac's output.
    static func compile(_ L: OpaquePointer, _ bytes: UnsafeRawBufferPointer, chunkName: String) -> Int32? {
        let code = UnsafeRawBufferPointer(rebasing: bytes[codeStart(bytes)...])
        guard !isPrecompiled(code) else { return nil }
        return luaL_loadbufferx(L, code.baseAddress?.assumingMemoryBound(to: CChar.self), code.count, chunkName, "t")
    }

    /// The syntax error that stops this script from running (`FILE:LINE: text`, as a run
    /// would report it), or nil when it compiles. Checked before a run starts, so that a typo
    /// is one line, not a journaled run or a failure per row.
    public var syntaxError: String? {
        guard let L = luaL_newstate() else { return nil }
        defer { lua_close(L) }
        let status = source.withUnsafeBytes { Self.compile(L, $0, chunkName: "@" + name) }
        switch status {
        case nil: return Self.precompiledMessage(name)
        case LUA_OK?, LUA_ERRMEM?: return nil // a run reports running out of memory as the limit it is
        default: return LuaState.message(L, at: -1) ?? "\(name): syntax error"
        }
    }

    /// Lua's own words ("attempt to load a binary chunk (mode is 't')") name neither the
    /// file nor what to do.
    static func precompiledMessage(_ name: String) -> String {
        "\(name): a precompiled chunk (luac output); Roster runs Lua source only: run the .lua file"
    }
}

/// Where `print` writes. Called on the run's Lua thread.
public protocol LuaOutput: Sendable {
    func write(_ bytes: [UInt8])
}

/// Keeps what a script prints (for `--json`, rehearsals, plugin tests and tests).
public final class CollectedOutput: LuaOutput, Sendable {
    private let bytes = Mutex<[UInt8]>([])

    public init() {}

    public func write(_ bytes: [UInt8]) { self.bytes.withLock { $0 += bytes } }

    /// Everything printed so far, as text.
    public var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Everything printed so far, as bytes.
    public var printed: [UInt8] { bytes.withLock { $0 } }
}

/// How a run ended.
public enum LuaRunOutcome: Sendable, Equatable {
    case success
    /// A syntax or runtime error: `message` reads `FILE:LINE: text`.
    case scriptError(message: String, traceback: String)
    /// A limit ended the run.
    case limit(LuaLimitKind, message: String)
    /// The run could not start (no memory for a new state).
    case hostError(message: String)

    /// The one line saying why the run failed (`FILE:LINE: text`, or a limit's message); nil
    /// when it succeeded.
    public var message: String? {
        switch self {
        case .success: nil
        case .scriptError(let message, _), .limit(_, let message), .hostError(let message): message
        }
    }
}

/// Runs scripts, each in a fresh sandboxed state with its own limits, on a shared pool.
public struct LuaRunner: Sendable {
    public var limits: LuaLimits
    /// Vendor and test modules installed beside the sandbox's own.
    public var modules: [LuaModule]
    /// Global functions installed beside them (`help`).
    public var functions: [LuaFunction]
    /// Globals set before the script runs (`args`, `params`).
    public var globals: [String: LuaValue]
    /// Metatables the globals' tables name (the `roster` global's), registered before them.
    public var metatables: [LuaMetatable] = []
    /// Seeds `math.random` (a journaled run's seed, so that a resumed attempt draws the same
    /// numbers); nil: Lua's own random seed.
    public var randomSeed: Int64?
    /// Pins `os.time()` (and `os.date` without a time) at this Unix time: a journaled run's
    /// clock, the same in every attempt; nil: the clock runs.
    public var clock: Int64?
    public var executor: LuaExecutor

    public init(
        limits: LuaLimits = LuaLimits(), modules: [LuaModule] = [], functions: [LuaFunction] = [],
        globals: [String: LuaValue] = [:], executor: LuaExecutor = .shared
    ) {
        self.limits = limits
        self.modules = modules
        self.functions = functions
        self.globals = globals
        self.executor = executor
    }

    /// Runs `script` to its end; never throws: every ending is an outcome. `stop` can end it
    /// gracefully from another thread.
    public func run(_ script: LuaScript, output: any LuaOutput, stop: LuaStop? = nil) async -> LuaRunOutcome {
        await perform(script, output: output, stop: stop, keepingReturned: false).outcome
    }

    /// Runs `script` as `run` does, and gives what its main chunk returned (`return {id = 7}`):
    /// each value, none when it returned nothing or did not end well. (Only a caller that
    /// reports it asks: a returned table is copied out of Lua whole.)
    public func runReturning(_ script: LuaScript, output: any LuaOutput, stop: LuaStop? = nil) async
        -> (outcome: LuaRunOutcome, returned: [LuaValue]) {
        await perform(script, output: output, stop: stop, keepingReturned: true)
    }

    private func perform(_ script: LuaScript, output: any LuaOutput, stop: LuaStop?, keepingReturned: Bool) async
        -> (outcome: LuaRunOutcome, returned: [LuaValue]) {
        await withTaskExecutorPreference(executor) {
            let run: RunContext
            do {
                run = try RunContext(limits: limits, output: output, scriptDirectory: script.directory, keptModules: script.keptModules)
            } catch {
                return (.hostError(message: "\(error)"), [])
            }
            for module in modules { run.state.install(module) }
            for function in functions { run.state.install(function) }
            for metatable in metatables { run.state.install(metatable) }
            run.setGlobals(globals)
            if let randomSeed { roster_seed_random(run.state.L, lua_Integer(randomSeed)) }
            if let clock { roster_pin_clock(run.state.L, lua_Integer(clock)) }
            stop?.attach(run)
            defer { stop?.detach() }
            run.keepsReturned = keepingReturned
            let outcome = await run.execute(script)
            return (outcome, outcome == .success ? run.returned : [])
        }
    }
}
