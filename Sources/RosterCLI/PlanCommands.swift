/// PlanCommands.swift: `roster plan show PLAN` and `roster apply PLAN` — a saved plan read,
/// and applied exactly: rehearsed with reads live, compared change for change, each change
/// checked again before it is sent, at most once.
import ArgumentParser
import Bindings
import Engine
import Foundation
import Journal
import LuaHost

/// `roster plan show PLAN`
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Saved plans (roster run SCRIPT --dry-run --plan-out PLAN).", subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a saved plan: what ran, where, and every change.")
        @Argument(help: ArgumentHelp("The plan file.", valueName: "PLAN")) var path: String
        @Flag(help: "The plan as saved (JSON).") var json = false
        @OptionGroup var journalOptions: JournalOptions

        func run() throws {
            let plan = try SavedPlan.load(path)
            print(json ? String(decoding: plan.encoded(), as: UTF8.self) : plan.text)
            // What is reviewed must be what apply would send: a file edited since the plan was
            // made is shown, and said to be refused (exit 6), before anyone approves it. The
            // journal is the one the plan was kept in: `--journal`, else its configuration's,
            // else the user's default (as `roster apply` finds it).
            let configuration = plan.config.flatMap { try? RosterConfiguration.load(path: $0) }
            guard let store = try? journalOptions.open(configuration: configuration) else { return }
            // A plan whose run is not in this journal was made with another: nothing to check.
            guard let made = try? store.run(plan.run), made.scriptSHA256 == plan.script_sha256 else {
                Diagnostics.error("roster: plan \(plan.id) was not made with the journal \(store.path) (its run \(plan.run) is not there); roster apply needs the one it was made with (--journal)")
                return
            }
            if let refusal = try? plan.refusal(file: path, keptIn: store) {
                Diagnostics.error("roster: \(refusal); roster apply refuses it (make a new plan)")
                throw ExitCode(ExitStatus.stalePlan)
            }
            if let applied = try? store.planApplication(id: plan.id) {
                Diagnostics.error("roster: plan \(plan.id) was applied by run \(applied) (\(JournalOptions.command("runs show \(applied)", reaching: store))); a plan is applied once")
                return
            }
            // A plugin's plan runs only under the version it was made with.
            if plan.plugin != nil,
               case .failure(let drift) = try JournaledPluginRun.installedForPlan(of: made.run, trusted: PluginCatalog.trustedPublishers(configuration: plan.config)) {
                switch drift {
                case .missing(let problem): Diagnostics.error("roster: \(problem); roster apply cannot run it here")
                case .upgraded(let problem):
                    Diagnostics.error("roster: plan is stale: \(problem); roster apply refuses it (make a new plan)")
                    throw ExitCode(ExitStatus.stalePlan)
                }
            }
        }

    }
}

extension SavedPlan {
    /// Keeps the plan in the journal and writes it to `path` (mode 0600); says how to apply
    /// it. The journal's copy comes first: an apply checks the file against it, and refuses a
    /// file with none.
    func save(to path: String, journal: RunJournal) throws {
        do {
            try journal.store.savePlan(id: id, runID: run, json: String(decoding: encoded(), as: UTF8.self))
        } catch {
            Diagnostics.error("roster: no plan saved: the journal \(journal.store.path) cannot keep it: \(error)")
            throw ExitCode(ExitStatus.scriptError)
        }
        do {
            try UserFile.write(encoded(), to: path, mode: 0o600)
        } catch {
            Diagnostics.error("roster: cannot write --plan-out '\(path)': \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        Diagnostics.error("roster: plan \(id) saved to \(path) (\(changes.count) change\(changes.count == 1 ? "" : "s")); apply exactly it with: \(JournalOptions.command("apply \(Diagnostics.shellWord(path))", reaching: journal.store))")
    }

    /// The plan at `path`, or one line on stderr and exit 2.
    static func load(_ path: String) throws -> SavedPlan {
        do throws(PlanError) {
            return try SavedPlan.read(path)
        } catch {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}

/// `roster apply PLAN`
struct ApplyCommand: AsyncParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply exactly a saved plan, at most once.",
        discussion: """
            The plan's script snapshot (a plugin's workflow: in the plugin's sandbox, while the same version is installed) runs again with the plan's arguments, inputs and random seed, first as a rehearsal (reads live, nothing sent): unless its changes are the plan's, change for change, nothing is sent and the plan is stale (exit 6). Then it runs for real, each change checked against the plan again before it is sent. A plan is applied once: a second apply is refused (exit 6), naming the run that applied it.
            """)

    @Argument(help: ArgumentHelp("The plan file (roster run SCRIPT --dry-run --plan-out PLAN, or roster plugin run NAME WORKFLOW --dry-run --plan-out PLAN).", valueName: "PLAN")) var path: String
    @Flag(help: "Do not ask before applying.") var yes = false
    @Flag(help: "Print one JSON document instead of the script's output.") var json = false
    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var maxChanges: MaxChangesOption
    @OptionGroup var tracing: TraceOption
    @OptionGroup var journalOptions: JournalOptions
    @Flag(help: "Show a traceback with script errors.") var verbose = false
    @OptionGroup var results: RowResultOptions

    func run() async throws {
        ProcessStopSignals.arm() // Ctrl-C while it starts stops the run before its first call
        let plan = try SavedPlan.load(path)
        try results.checkWritable(reads: [ReadFile(what: "the plan", path: path)]
            + ReadFile.ofRun(script: plan.script, each: plan.each?.path, inputs: plan.inputs.map(\.path), configuration: plan.config)
            + (results.failedRows != nil ? journalOptions.files(configuration: plan.config) : []))
        let connection = try await VendorConnection.reopen(configuration: plan.config, tenant: plan.tenant, of: "plan \(plan.id)", journaled: true, overridable: false,
                                                           http: tracing.http)
        do {
            try await apply(plan, connection: connection)
        } catch {
            await connection.close()
            throw error
        }
    }

    private func apply(_ plan: SavedPlan, connection: VendorConnection) async throws {
        let store = try journalOptions.open(for: connection)
        if let earlier = try store.planApplication(id: plan.id) {
            Diagnostics.error("roster: plan \(plan.id) was already applied by run \(earlier) (its changes: \(JournalOptions.command("runs show \(earlier)", reaching: store))); a plan is applied once")
            throw ExitCode(ExitStatus.stalePlan)
        }
        guard let made = try store.run(plan.run), made.scriptSHA256 == plan.script_sha256 else {
            Diagnostics.error("roster: the script snapshot of plan \(plan.id) (run \(plan.run)) is not in the journal \(store.path); apply it where it was made, "
                              + "or pass that journal with --journal (a plan whose run was pruned is made again: roster run SCRIPT --dry-run --plan-out PLAN)")
            throw ExitCode(ExitStatus.usage)
        }
        // The file is what was reviewed; the journal kept the plan as it was made. An edited
        // file is not applied (the changes checked are the journal's, not the file's text),
        // nor one the journal never kept: its id was edited, so nothing holds it to once.
        if let refusal = try plan.refusal(file: path, keptIn: store) {
            Diagnostics.error("roster: \(refusal); nothing was sent (make a new plan)")
            throw ExitCode(ExitStatus.stalePlan)
        }
        if let moved = plan.retargeted(connection) {
            Diagnostics.error("roster: plan is stale: \(moved); nothing was sent (make a new plan)")
            throw ExitCode(ExitStatus.stalePlan)
        }
        var inputs: [ScriptInput] = []
        for input in plan.inputs {
            let read: ScriptInput, changed: Bool
            do {
                (read, changed) = try input.readAgain(atMost: limitOptions.limits().memory)
            } catch {
                Diagnostics.error("roster: cannot read --input '\(input.name)' (\(input.path)) of plan \(plan.id): \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            guard !changed else {
                Diagnostics.error("roster: plan is stale: --input '\(input.name)' changed since the plan was made; nothing was sent")
                throw ExitCode(ExitStatus.stalePlan)
            }
            inputs.append(read)
        }
        var (runner, script) = try pluginRun(made, of: plan, connection: connection)
            ?? (VendorScriptRunner(tenant: connection.tenant, limits: limitOptions.limits(), http: connection.http), made.script)
        // A workflow takes its parameters from the runner (`params`), not as `args`.
        let scriptArguments = made.run.workflow == nil ? plan.arguments : [:]
        // The rehearsal and the apply see the time the dry run did.
        runner.clock = plan.clock
        // A plan row by row: its CSV read again, each row as it was.
        var rows: (RowTable, RowRun)?
        if let each = plan.each {
            let table = try Self.table(each, of: plan)
            if let stale = plan.staleness(of: table) {
                Diagnostics.error("roster: \(stale); nothing was sent (make a new plan)")
                throw ExitCode(ExitStatus.stalePlan)
            }
            var rowRun = RowRun(runner: runner, script: script, arguments: plan.arguments, inputs: inputs, dryRun: true,
                                parallel: each.parallel, maxFailures: each.maxFailures, keyColumn: each.keyColumn)
            rowRun.seed = plan.seed
            rows = (table, rowRun)
        }

        // The rehearsal: reads live, nothing sent, the plan's random numbers.
        if let (table, rowRun) = rows {
            let outcomes = await rowRun.run(table.rows, journal: nil, stop: LuaStop()) { _ in }.outcomes
            if let failed = outcomes.first(where: { $0.state != .succeeded }) {
                Diagnostics.error("roster: the rehearsal of plan \(plan.id) failed at row \(failed.row.number), so nothing was sent: \(failed.error ?? failed.state.rawValue)")
                throw ExitCode(ExitStatus.scriptError)
            }
            for outcome in outcomes {
                if let stale = plan.staleness(of: outcome.result?.plan ?? [], row: outcome.row.number) {
                    Diagnostics.error("roster: \(stale); nothing was sent (make a new plan)")
                    throw ExitCode(ExitStatus.stalePlan)
                }
            }
        } else {
            let rehearsal = await runner.run(script, arguments: scriptArguments, inputs: inputs, dryRun: true, output: CollectedOutput(), seed: plan.seed)
            guard rehearsal.outcome == .success else {
                Diagnostics.error("roster: the rehearsal of plan \(plan.id) failed, so nothing was sent: \(rehearsal.outcome.summary)")
                throw ExitCode(ExitStatus.of(rehearsal.outcome) == ExitStatus.success ? ExitStatus.scriptError : ExitStatus.of(rehearsal.outcome))
            }
            if let stale = plan.staleness(of: rehearsal.plan) {
                Diagnostics.error("roster: \(stale); nothing was sent (make a new plan)")
                throw ExitCode(ExitStatus.stalePlan)
            }
        }
        // Held to max_changes before the plan is claimed: a refused apply may be given
        // --max-changes and tried again.
        if let tooMany = ChangeGate(dryRun: false, yes: yes, maxChanges: maxChanges.limit, offersDryRun: false).tooMany(plan.changes.count, tenant: connection.tenant) {
            Diagnostics.error("roster: " + tooMany)
            throw ExitCode(ExitStatus.usage)
        }
        let destructive = plan.changes.filter { $0.effect == LuaEffect.destructive.rawValue }.count
        if !yes {
            if Terminal.isInteractive {
                Diagnostics.error(RunSupervisor.target(connection, dryRun: false) + "\n" + plan.text)
                guard Terminal.ask("Apply these \(plan.changes.count) changes\(destructive > 0 ? ", \(destructive) destructive" : "")? [y/N] ") else {
                    Diagnostics.error("roster: nothing was changed (not confirmed)")
                    throw ExitCode(ExitStatus.scriptError)
                }
            } else if destructive > 0 {
                Diagnostics.error("roster: plan \(plan.id) has \(destructive) destructive change\(destructive == 1 ? "" : "s") and there is no terminal to confirm them: add --yes; nothing was sent")
                throw ExitCode(ExitStatus.usage)
            }
        }

        let journal: RunJournal
        let earlier: Int64?
        do throws(JournalError) {
            // A plugin's plan is journaled as the plugin's, so that a resume of this apply runs
            // it in the plugin's sandbox too.
            var run = NewRun.here(kind: "apply", script: made.run.script, text: Array(made.run.scriptText.utf8), arguments: plan.arguments,
                                  inputs: inputs, connection: connection, dryRun: false,
                                  plugin: made.run.workflow.map { (made.run.plugin ?? "", made.run.pluginVersion ?? "", $0, made.run.script) })
            run.seed = plan.seed
            run.clock = plan.clock
            run.modules = made.run.modules
            run.each = plan.each
            var limits = limitOptions.given
            limits.maxChanges = maxChanges.limit
            run.limits = limits.given
            journal = try RunJournal.start(run, in: store)
            earlier = try store.claimPlan(id: plan.id, runID: journal.runID, json: String(decoding: plan.encoded(), as: UTF8.self), madeBy: plan.run)
        } catch {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        // Another apply of the same plan got there first.
        if let earlier {
            let message = "plan \(plan.id) was already applied by run \(earlier) (its changes: \(JournalOptions.command("runs show \(earlier)", reaching: store))); a plan is applied once"
            journal.end(outcome: "stale plan", exitCode: ExitStatus.stalePlan, error: message)
            Diagnostics.error("roster: " + message)
            throw ExitCode(ExitStatus.stalePlan)
        }
        runner.planCheck = PlanApplication(plan)
        if let (table, rowRun) = rows {
            var rowRun = rowRun
            rowRun.runner = runner
            rowRun.dryRun = false
            rowRun.seed = nil
            try await RowRunSupervisor(dryRun: false, yes: true, results: results, verbose: verbose, maxChanges: maxChanges.limit)
                .perform(rowRun, table: table, connection: connection, journal: journal)
            return
        }
        try await RunSupervisor(dryRun: false, yes: true, json: json, verbose: verbose, maxChanges: maxChanges.limit)
            .perform(runner, script, arguments: scriptArguments, inputs: inputs, connection: connection, journal: journal)
    }

    /// The sandbox a plugin's plan runs in (nil for a script's): the workflow as the dry run
    /// ran it (its journaled text and modules), under the plugin installed in the same
    /// folder, which must still be the version the plan was made with.
    private func pluginRun(_ made: JournalRun, of plan: SavedPlan, connection: VendorConnection) throws -> (VendorScriptRunner, LuaScript)? {
        guard made.run.workflow != nil else { return nil }
        let manifest: PluginManifest
        switch try JournaledPluginRun.installedForPlan(of: made.run, trusted: PluginCatalog.trustedPublishers(configuration: connection.configurationFile)) {
        case .success(let installed): manifest = installed
        case .failure(.missing(let problem)):
            Diagnostics.error("roster: cannot apply plan \(plan.id): \(problem); nothing was sent")
            throw ExitCode(ExitStatus.usage)
        case .failure(.upgraded(let problem)):
            Diagnostics.error("roster: plan is stale: \(problem); nothing was sent (make a new plan)")
            throw ExitCode(ExitStatus.stalePlan)
        }
        do {
            return try JournaledPluginRun.runner(made.run, manifest: manifest, text: Array(made.run.scriptText.utf8), modules: made.run.modules,
                                                 connection: connection, limits: limitOptions.limits(), startedBy: made.id)
        } catch {
            Diagnostics.error("roster: cannot apply plan \(plan.id): \(error); nothing was sent")
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// The CSV of a plan row by row, read again.
    static func table(_ each: EachSource, of plan: SavedPlan) throws -> RowTable {
        let data = try each.contents.map { Data($0.utf8) } ?? Diagnostics.readRows(each.path, of: " of plan \(plan.id)")
        do throws(RowTableError) {
            return try RowTable(csv: data, name: each.name)
        } catch {
            Diagnostics.error("roster: --each \(error.description)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}
