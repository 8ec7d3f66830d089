/// VendorScriptRunner.swift: one script run against a tenant: the sandbox with the vendor modules,
/// `csv`, `help`, `args` and `inputs`, and what came of it — outcome, calls, plan.
import Bindings
import LuaHost
import Vendors

/// A file given with `--input`: its name as given and its bytes.
public struct ScriptInput: Sendable {
    public var name: String
    public var contents: [UInt8]

    public init(name: String, contents: [UInt8]) {
        self.name = name
        self.contents = contents
    }
}

/// What one run did.
public struct ScriptRunResult: Sendable {
    public var outcome: LuaRunOutcome
    /// Every vendor call, in order (planned ones under a dry run).
    public var calls: [VendorCallRecord]
    public var dryRun: Bool

    /// The changes planned and not sent.
    public var plan: [VendorCallRecord] { calls.filter { $0.outcome == .planned } }
}

/// Runs scripts with the vendor modules of one tenant.
public struct VendorScriptRunner: Sendable {
    public var tenant: Tenant
    public var limits: LuaLimits
    public var http: VendorHTTP
    /// The vendor modules of a run (a plugin's are sandboxed to its permissions).
    public var vendorModules: @Sendable (VendorSession) -> [LuaModule]
    /// Globals beside `args`, `inputs` and `roster` (a workflow's `params`).
    public var globals: [String: LuaValue]
    /// Global functions beside `help` (a plugin test's `workflow`).
    public var functions: [LuaFunction] = []

    public init(tenant: Tenant, limits: LuaLimits = LuaLimits(), http: VendorHTTP = .shared,
                vendorModules: @escaping @Sendable (VendorSession) -> [LuaModule] = { VendorRegistry.standard.luaModules(for: $0) },
                globals: [String: LuaValue] = [:]) {
        self.tenant = tenant
        self.limits = limits
        self.http = http
        self.vendorModules = vendorModules
        self.globals = globals
    }

    /// Runs `script` to its end; `arguments` become `args`, `inputs` the `inputs` table
    /// (by position, by name as given, and by file name). `stop` ends it gracefully.
    public func run(_ script: LuaScript, arguments: [String: String] = [:], inputs: [ScriptInput] = [],
                    dryRun: Bool, output: any LuaOutput, stop: LuaStop? = nil, journal: RunJournal? = nil) async -> ScriptRunResult {
        let session = VendorSession(tenant: tenant, dryRun: dryRun, http: http, journal: dryRun ? nil : journal)
        let environment = RunEnvironment(session: session, vendorModules: vendorModules, arguments: arguments, inputs: inputs,
                                         globals: globals, functions: functions)
        var runner = LuaRunner(limits: limits, modules: environment.modules, functions: environment.functions, globals: environment.globals)
        runner.randomSeed = journal?.seed
        let outcome = await runner.run(script, output: output, stop: stop)
        return ScriptRunResult(outcome: outcome, calls: session.calls, dryRun: dryRun)
    }
}
