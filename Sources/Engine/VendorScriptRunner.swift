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
    /// Every vendor call, in order (planned ones under a dry run); reads only when the
    /// runner `recordsReads`.
    public var calls: [VendorCallRecord]
    /// Reads made, whether `calls` has them or not.
    public var reads = 0
    public var dryRun: Bool
    /// Whether the script read `roster.dry_run`.
    public var askedDryRun = false
    /// What the script returned, for reports (`--json`, `--output`): null for nothing, one
    /// value as it is, several as a list.
    public var returned: JSONValue = .null
    /// The vendor failure the script ended on, when it ended on one it was given: what the
    /// run's last lines say to do (check the credentials, wait for the vendor).
    public var vendorFailure: VendorError?

    /// The changes planned and not sent.
    public var plan: [VendorCallRecord] { calls.filter { $0.outcome == .planned } }

    /// Whether this result of a rehearsal (a dry run made to pass the gate) was the run
    /// itself, so that running the script again would only repeat it: it planned no change
    /// and never read `roster.dry_run` (the one thing that differs between the two),
    /// however it ended. Its reads were live, as the run's would be: a script that fails, or
    /// hits a limit, before its first change fails there once (not a second time after as
    /// long again, as a vendor that could not be reached was, twice over the --timeout).
    public var rehearsalWasTheRun: Bool { plan.isEmpty && !askedDryRun }

    public init(outcome: LuaRunOutcome, calls: [VendorCallRecord] = [], dryRun: Bool) {
        self.outcome = outcome
        self.calls = calls
        self.dryRun = dryRun
    }
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
    /// Counts the calls of every run it makes (progress lines).
    public var counter: CallCounter?
    /// Applying a saved plan: every change is checked against it before it is sent.
    public var planCheck: (any PlanCheck)?
    /// A confirmed run's reads, kept by its rehearsal and answered again.
    public var reads: ReadReplay?
    /// The same, row by row (`--each`).
    public var rowReads: RowReadReplays?
    /// Secrets the script holds as handles (a plugin's secret settings).
    public var sealedSecrets: SealedSecrets?
    /// Whether results list every read (a `--json` report, the REPL) or only count them:
    /// otherwise a run's memory grows with every read it makes.
    public var recordsReads = true
    /// Whether results carry what the script returned (`returned`): only reports that show
    /// it ask, so that a run row by row holds little per row.
    public var keepsReturned = false
    /// The Unix time `os.time()` answers (a journaled run's clock, the same in every attempt
    /// and in its rehearsal); nil: the clock runs.
    public var clock: Int64?

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
    /// (`seed`: `math.random`'s, when there is no journal to give it, as for a plan's rehearsal.)
    public func run(_ script: LuaScript, arguments: [String: String] = [:], inputs: [ScriptInput] = [],
                    dryRun: Bool, output: any LuaOutput, stop: LuaStop? = nil, journal: RunJournal? = nil, seed: Int64? = nil) async -> ScriptRunResult {
        await run(script, arguments: arguments, inputs: inputs, dryRun: dryRun, output: output, stop: stop,
                  changeJournal: journal, seed: journal?.seed ?? seed)
    }

    /// Runs `script` as one row of an `--each` run: `row` and `row_number` set, its changes
    /// journaled under the row, `math.random` seeded for the row.
    /// (`seed`: the run's, when there is no journal to give it, as for a rehearsal.)
    public func run(_ script: LuaScript, row: TableRow, arguments: [String: String], inputs: [ScriptInput], dryRun: Bool,
                    output: any LuaOutput, stop: LuaStop?, journal: RunJournal?, seed: Int64? = nil) async -> ScriptRunResult {
        var runner = self
        runner.globals["row"] = row.luaValue
        runner.globals["row_number"] = .integer(Int64(row.number))
        if let rowReads { runner.reads = rowReads.forRow(row.number) }
        runner.planCheck = planCheck?.row(row.number)
        // The row's own seed: the same on a resume, whatever order rows run in.
        let seed = (journal?.seed ?? seed).map { $0 &+ Int64(row.number) &* 1_000_003 }
        return await runner.run(script, arguments: arguments, inputs: inputs, dryRun: dryRun, output: output, stop: stop,
                                changeJournal: journal?.row(row.number), seed: seed)
    }

    private func run(_ script: LuaScript, arguments: [String: String], inputs: [ScriptInput], dryRun: Bool, output: any LuaOutput,
                     stop: LuaStop?, changeJournal journal: (any ChangeJournal)?, seed: Int64?) async -> ScriptRunResult {
        let session = VendorSession(tenant: tenant, dryRun: dryRun, http: http, journal: dryRun ? nil : journal, counter: counter,
                                    planCheck: dryRun ? nil : planCheck, reads: reads, sealedSecrets: sealedSecrets,
                                    recordsReads: recordsReads)
        let environment = RunEnvironment(session: session, vendorModules: vendorModules, arguments: arguments, inputs: inputs,
                                         globals: globals, functions: functions)
        var runner = LuaRunner(limits: limits, modules: environment.modules, functions: environment.functions, globals: environment.globals)
        runner.metatables = environment.metatables
        runner.randomSeed = seed
        runner.clock = clock
        let (outcome, returned) = keepsReturned ? await runner.runReturning(script, output: output, stop: stop)
            : (await runner.run(script, output: output, stop: stop), [])
        var result = ScriptRunResult(outcome: outcome, calls: session.calls, dryRun: dryRun)
        result.returned = returned.count == 1 ? JSONValue(recording: returned[0]) : returned.isEmpty ? .null : .array(returned.map(JSONValue.init(recording:)))
        result.reads = session.readCount
        result.askedDryRun = session.askedDryRun
        if case .scriptError(let message, _) = outcome { result.vendorFailure = session.failure(ending: message) }
        return result
    }
}
