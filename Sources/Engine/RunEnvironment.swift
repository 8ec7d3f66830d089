/// RunEnvironment.swift: what a script sees beside the sandbox — the vendor modules, `csv`,
/// `help`, and the globals `args`, `inputs` and `roster` — built in one place for `run`,
/// `plugin run`, plugin tests and the REPL.
import Bindings
import LuaHost
import Vendors

/// The modules, functions and globals of one run (or one REPL session).
public struct RunEnvironment {
    public var modules: [LuaModule]
    public var functions: [LuaFunction]
    public var globals: [String: LuaValue]
    /// The metatables the globals name (the `roster` global's), registered before them.
    public var metatables: [LuaMetatable]

    /// `vendorModules` gives the vendor modules for `session` (a plugin's are sandboxed to
    /// its permissions); `globals` and `functions` come beside the standard ones (a
    /// workflow's `params`, a plugin test's `workflow`).
    public init(session: VendorSession,
                vendorModules: (VendorSession) -> [LuaModule] = { VendorRegistry.standard.luaModules(for: $0) },
                arguments: [String: String] = [:], inputs: [ScriptInput] = [],
                globals: [String: LuaValue] = [:], functions: [LuaFunction] = []) {
        modules = vendorModules(session) + [CSV.module]
        self.functions = [Documentation.help] + functions
        metatables = [Self.rosterMetatable(session)]
        self.globals = globals.merging([
            "args": Self.arguments(arguments), "inputs": Self.inputs(inputs), "roster": Self.roster(session),
        ]) { $1 }
    }

    /// `roster = {dry_run, tenant, vendors}`, as the session stands (the REPL resets it and
    /// its metatable when `:dry-run` or `:tenant` changes the session).
    public static func roster(_ session: VendorSession) -> LuaValue {
        var table = LuaTable([
            "tenant": .string(LuaString(session.tenant.name)),
            "vendors": .table(LuaTable(sequence: session.tenant.vendors.map { .string(LuaString($0.rawValue)) })),
        ])
        table.metatable = rosterMetatableName
        return .table(table)
    }

    static let rosterMetatableName = "roster.run"

    /// `roster.dry_run` is answered by the session, which notes that the script asked: a
    /// rehearsal that never asked and planned nothing is the run itself (see
    /// `VendorSession.askedDryRun`).
    public static func rosterMetatable(_ session: VendorSession) -> LuaMetatable {
        LuaMetatable(rosterMetatableName, metamethods: [
            LuaFunction("__index", "Answers roster.dry_run.", parameters: [
                LuaParameter("roster", .table, doc: "the roster global"), LuaParameter("key", .any, doc: "the field read"),
            ]) { call in
                guard case .string(let key) = try call.value(2), key.text == "dry_run" else { return LuaValue.nil }
                return .boolean(session.answerDryRun())
            },
        ])
    }

    /// `args`: each `--arg KEY=VALUE` as a string.
    static func arguments(_ arguments: [String: String]) -> LuaValue {
        var table = LuaTable()
        for (key, value) in arguments { table[key] = .string(LuaString(value)) }
        return .table(table)
    }

    /// `inputs`: each `--input` by position, by name as given, and by file name. A file name
    /// two inputs share (`a/x.csv`, `b/x.csv`) names neither: it gave the first, silently.
    static func inputs(_ inputs: [ScriptInput]) -> LuaValue {
        var table = LuaTable(sequence: inputs.map { .string(LuaString(bytes: $0.contents)) })
        func base(_ input: ScriptInput) -> String { input.name.split(separator: "/").last.map(String.init) ?? input.name }
        var named: [String: Set<String>] = [:]
        for input in inputs { named[base(input), default: []].insert(input.name) }
        for input in inputs { table[input.name] = .string(LuaString(bytes: input.contents)) }
        for input in inputs where named[base(input)]?.count == 1 && table[base(input)] == .nil {
            table[base(input)] = .string(LuaString(bytes: input.contents))
        }
        return .table(table)
    }
}
