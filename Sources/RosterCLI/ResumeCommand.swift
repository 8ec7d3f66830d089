/// ResumeCommand.swift: `roster resume RUN` — the journaled script run again as the next
/// attempt of the same run: what earlier attempts did is answered from the journal, what
/// failed is sent again, what has an unknown outcome is checked first.
import ArgumentParser
import Bindings
import Engine
import Foundation
import Journal
import LuaHost
import Vendors

/// Finishes an interrupted run.
struct ResumeCommand: AsyncParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "resume",
        abstract: "Finish an interrupted run: its script again, with what was already done answered from the journal.",
        discussion: """
            The run's own script text, arguments, tenant and configuration are used; its input files must be unchanged. A run row by row (--each) runs again only the rows that failed or never finished; its CSV may have changed in those rows (fix them, then resume), not in the rows that succeeded. A change whose outcome is unknown is checked with a read where its operation declares one, sent again where that is harmless, and otherwise left to you: --assume-sent or --assume-not-sent.

            A run that never got past its confirmation (refused, declined, or stopped or killed before it was confirmed) is checked again as a new run is: its plan shown and asked about on a terminal, --yes without one, and held to the tenant's max_changes.

            Exit codes as for roster run, and 5: a change of unknown outcome needs your decision.
            """)

    @Argument(help: ArgumentHelp("The run's id (from roster runs, or the line a run prints when it ends).", valueName: "run")) var id: Int64
    @Flag(name: .customLong("assume-sent"), help: "Take changes of unknown outcome that nothing can check as done.") var assumeSent = false
    @Flag(name: .customLong("assume-not-sent"), help: "Send changes of unknown outcome that nothing can check again.") var assumeNotSent = false
    @Flag(help: "Do not ask before sending the changes of a run that was never confirmed (a confirmed run, or one run with --yes, is not asked about again).") var yes = false
    @OptionGroup var maxChanges: MaxChangesOption
    @Option(help: ArgumentHelp("Use this configuration instead of the run's own.", valueName: "FILE")) var config: String?
    @Flag(help: "Print one JSON document instead of the script's output.") var json = false
    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var instructions: InstructionLimitOption
    @OptionGroup var tracing: TraceOption
    @OptionGroup var journalOptions: JournalOptions
    @Flag(help: "Show a traceback with script errors.") var verbose = false
    @OptionGroup var results: RowResultOptions
    /// A worker runs a queued run this way: its files from the queue, this host's own
    /// configuration, and the process ends at once if the worker is gone (another takes over).
    @Flag(help: .hidden) var queued = false
    @Option(name: .customLong("worker-pid"), help: .hidden) var workerPID: Int32?
    /// The descriptor a worker reads its run's vendor counts (requests, 429s, budget waits)
    /// from, for its metrics: a pipe, so nothing is left behind when the worker is gone.
    @Option(name: .customLong("stats-descriptor"), help: .hidden) var statsDescriptor: Int32?
    /// A queued plugin run: the plugins folder of the worker's host.
    @Option(help: .hidden) var plugins: String?
    /// A worker's `--run-timeout`: the timeout of a queued run submitted without one.
    @Option(name: .customLong("default-timeout"), parsing: .unconditional, help: .hidden) var defaultTimeout: Double?

    func validate() throws {
        if assumeSent && assumeNotSent { throw ValidationError("--assume-sent and --assume-not-sent cannot be combined") }
    }

    /// The run's limits: as given to this command, else as the run was given them, else
    /// the defaults.
    private func limits(_ found: JournalRun) -> LuaLimits {
        var limits = limitOptions.limits(journaled: found.run.limits, defaultTimeout: defaultTimeout)
        if let limit = instructions.limit { limits.instructions = limit }
        return limits
    }

    /// Whether a run not yet admitted goes without asking: `--yes`, or a queued run
    /// (submitting it was the decision; it is still held to `max_changes`).
    private var confirmed: Bool { yes || queued }

    func run() async throws {
        ProcessStopSignals.arm() // Ctrl-C while it starts stops the run before its first call
        try results.checkWritable(reads: [])
        defer {
            if let statsDescriptor, let data = try? JSONEncoder().encode(VendorCallStats.shared.snapshot()) {
                // Well under a pipe's buffer: written whole without waiting for the reader.
                let handle = FileHandle(fileDescriptor: statsDescriptor, closeOnDealloc: true)
                try? handle.write(contentsOf: data)
            }
        }
        let (store, found, changes) = try journalOptions.run(id)
        // Written over, the files the run reads again would be lost to it and to the admin.
        try results.checkWritable(reads: ReadFile.ofRun(script: found.run.script, each: found.run.each?.path, inputs: found.run.inputs.map(\.path),
                                                        configuration: found.run.configFile) + ReadFile.ofJournal(store.path))
        guard found.run.kind != "repl" else {
            Diagnostics.error("roster: run \(id) was a REPL session; \(JournalOptions.command("runs show \(id)", reaching: store)) lists its changes, but a session cannot be replayed")
            throw ExitCode(ExitStatus.usage)
        }
        guard !found.run.dryRun else {
            Diagnostics.error("roster: run \(id) was a dry run; it sent nothing, so there is nothing to finish (run the script again without --dry-run)")
            throw ExitCode(ExitStatus.usage)
        }
        let open = changes.contains { [.sending, .unknown, .failed].contains($0.state) }
        if found.outcome == "success", !open {
            Diagnostics.error("roster: run \(id) finished successfully; nothing to resume")
            return
        }
        // Its changes would count as made (replayed from the journal, not sent again), and the
        // rest would be made on top of the undo: half a run, half reversed.
        if let undo = try? store.undo(of: id) {
            Diagnostics.error("roster: run \(id) was undone by run \(undo.run.id) (\(undo.run.outcome ?? "not finished")); a resume would count its undone changes "
                              + "as made and make the rest on top of the undo: run the script again as a new run instead")
            throw ExitCode(ExitStatus.usage)
        }
        // A cancelled run was withdrawn on purpose: no worker takes it again, and neither does
        // a hand resume (which would finish what `roster cancel` stopped).
        if let entry = try? store.queueEntry(runID: id), entry.cancelledAt != nil {
            let made = changes.filter { $0.state == .succeeded }.count
            Diagnostics.error("roster: run \(id) was cancelled (roster cancel), so it is not resumed: "
                              + (made == 0 ? "it made no change; submit or run the script again to run it after all"
                                           : "\(made) of its changes were made; \(JournalOptions.command("undo \(id)", reaching: store)) reverses them, or run the script again to finish as a new run"))
            throw ExitCode(ExitStatus.usage)
        }
        // A queued run a live worker holds is that worker's to finish, on whatever host: a
        // resume beside it would check its changes in flight before their answers came.
        if !queued, let entry = try? store.queueEntry(runID: id), entry.state == .running, let worker = entry.worker,
           (entry.leaseUntil ?? .distantPast) > Date() {
            Diagnostics.error("roster: run \(id) runs on worker \(worker), which finishes it; wait for it to end (\(JournalOptions.command("runs show \(id)", reaching: store))), or stop it with \(JournalOptions.command("cancel \(id)", reaching: store))")
            throw ExitCode(ExitStatus.usage)
        }
        if let workerPID { WorkerWatch.exitWhenGone(workerPID) }
        // A queued run no worker has started yet, resumed by hand, starts as a worker would
        // start it: its files from the queue, this host's configuration (it has no other).
        let fromQueue = queued || found.attempts == 0
        let files = fromQueue ? try store.queuedFiles(runID: id) ?? QueuedFiles() : nil
        let inputs = try files.map { $0.inputs.map { ScriptInput(name: $0.name, contents: Array($0.contents)) } } ?? readInputs(found)
        let connection = fromQueue
            ? try await VendorConnection.thisHost(configuration: config, tenant: found.run.tenant.isEmpty ? nil : found.run.tenant, http: tracing.http)
            : try await VendorConnection.reopen(configuration: config ?? found.run.configFile, tenant: found.run.tenant,
                                                of: "run \(id)", journaled: config == nil, http: tracing.http)
        // Queued without a tenant: the one it runs in is journaled.
        if fromQueue, found.run.tenant.isEmpty { try? store.recordTenant(runID: id, tenant: connection.tenant.name) }
        // A run is finished where it started: the same accounts at the same addresses.
        if let moved = connection.moved(from: found.run.targets) {
            await connection.close()
            Diagnostics.error("roster: run \(id) was started against \(moved.vendor) at \(moved.made); tenant '\(connection.tenant.name)' now reaches "
                              + "\(moved.vendor) at \(moved.now); a resume finishes a run where it started: put the configuration back as it was, or start a new run")
            throw ExitCode(ExitStatus.usage)
        } else if fromQueue, found.run.targets == nil {
            try? store.recordTargets(runID: id, targets: connection.journaledTargets)
        }
        let journal: RunJournal
        do throws(JournalError) {
            journal = try RunJournal.resume(found, in: store, assuming: assumeSent ? .sent : assumeNotSent ? .notSent : nil)
        } catch {
            await connection.close()
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        var (runner, script) = try await prepare(found, connection: connection, store: store, fromQueue: fromQueue)
        script.keep(files?.modules)
        // An apply goes on checking each change against its plan.
        if found.run.kind == "apply", let json = try? store.plan(appliedBy: found.id),
           let plan = try? JSONDecoder().decode(SavedPlan.self, from: Data(json.utf8)) {
            runner.planCheck = PlanApplication(plan)
        }
        if let each = found.run.each {
            let (table, done): (RowTable, Set<Int>)
            do {
                (table, done) = try rowsToRun(found, each, store: store, queued: files?.each)
            } catch {
                await connection.close()
                throw error
            }
            let rowRun = RowRun(runner: runner, script: script, arguments: found.run.arguments, inputs: inputs, dryRun: false,
                                parallel: each.parallel, maxFailures: each.maxFailures, keyColumn: each.keyColumn)
            try await RowRunSupervisor(dryRun: false, yes: confirmed, results: results, verbose: verbose, maxChanges: maxChanges.limit ?? found.run.limits?.maxChanges,
                             offersDryRun: false)
                .perform(rowRun, table: table, done: done, connection: connection, journal: journal)
            return
        }
        try await RunSupervisor(dryRun: false, yes: confirmed, json: json, verbose: verbose, maxChanges: maxChanges.limit ?? found.run.limits?.maxChanges,
                             offersDryRun: false)
            .perform(runner, script, arguments: Self.scriptArguments(of: found), inputs: inputs,
                     connection: connection, journal: journal)
    }

    /// The `--arg` values the run's script gets again: a script's and an applied plan's (a
    /// plugin's workflow gets its parameters through its runner; an undo's script takes none).
    static func scriptArguments(of found: JournalRun) -> [String: String] {
        ["run", "apply"].contains(found.run.kind) ? found.run.arguments : [:]
    }

    /// The CSV of a row-by-row run, read again, and the rows an earlier attempt finished
    /// (which must be as they were).
    private func rowsToRun(_ found: JournalRun, _ each: EachSource, store: JournalStore, queued: QueuedFile?) throws -> (RowTable, Set<Int>) {
        guard let data = queued?.contents ?? each.contents.map({ Data($0.utf8) }) ?? (try? UserFile.contents(each.path, atMost: UserFile.Limit.rows)) else {
            Diagnostics.error("roster: cannot read --each '\(each.name)' (\(each.path)) of run \(found.id): \(UserFile.whyUnreadable(each.path)); resume reads the rows again from it")
            throw ExitCode(ExitStatus.usage)
        }
        let table: RowTable
        do throws(RowTableError) {
            table = try RowTable(csv: data, name: each.name)
        } catch {
            Diagnostics.error("roster: --each \(error.description)")
            throw ExitCode(ExitStatus.usage)
        }
        let byNumber = Dictionary(table.rows.map { ($0.number, $0) }) { first, _ in first }
        var done = Set<Int>()
        for row in try store.rows(runID: found.id) where row.state == .succeeded {
            if let now = byNumber[row.number], now.sha256 != row.sha256 {
                Diagnostics.error("roster: row \(row.number) of \(each.name) changed since it succeeded in run \(found.id); resume runs only the rows that failed or never finished: put it back, or run the changed rows as a new run")
                throw ExitCode(ExitStatus.usage)
            }
            done.insert(row.number)
        }
        return (table, done)
    }

    /// The run's inputs, read again: each must be as it was.
    private func readInputs(_ found: JournalRun) throws -> [ScriptInput] {
        try found.run.inputs.map { input in
            let read: ScriptInput, changed: Bool
            do {
                (read, changed) = try input.readAgain(atMost: limits(found).memory)
            } catch {
                Diagnostics.error("roster: cannot read --input '\(input.name)' (\(input.path)) of run \(found.id): \(error); resume needs the same inputs")
                throw ExitCode(ExitStatus.usage)
            }
            guard !changed else {
                Diagnostics.error("roster: --input '\(input.name)' changed since run \(found.id) read it (sha256 \(input.sha256.prefix(12))…, now \(read.sha256.prefix(12))…); resume needs the same inputs")
                throw ExitCode(ExitStatus.usage)
            }
            return read
        }
    }

    /// A queued workflow's plugin: this host's installed copy, signed by a publisher its
    /// configuration trusts (as `roster plugin run` requires), and meant for the run's tenant.
    private func queuedPlugin(_ found: JournalRun, connection: VendorConnection) throws -> PluginManifest {
        var location = PluginCommand.Location()
        location.plugins = plugins
        let manifest = try location.runnable(found.run.plugin ?? found.run.script, trusted: PluginCatalog.trustedPublishers(configuration: connection.configurationFile))
        guard manifest.isFor(tenant: connection.tenant.name) else {
            Diagnostics.error("roster: plugin \(manifest.name) is not for tenant '\(connection.tenant.name)'")
            throw ExitCode(ExitStatus.permission)
        }
        return manifest
    }

    /// The runner and script of the journaled run: its own text, and for a plugin's
    /// workflow, the plugin's sandbox and parameters.
    private func prepare(_ found: JournalRun, connection: VendorConnection, store: JournalStore, fromQueue: Bool) async throws -> (VendorScriptRunner, LuaScript) {
        var text = Array(found.run.scriptText.utf8)
        if found.run.kind == "undo" {
            return (VendorScriptRunner.undoing(tenant: connection.tenant, limits: limits(found), http: connection.http),
                    LuaScript(name: found.run.script, source: text, directory: "."))
        }
        // A plugin's workflow, or an apply of a plugin's plan: in the plugin's sandbox.
        guard found.run.workflow != nil else {
            return (VendorScriptRunner(tenant: connection.tenant, limits: limits(found), http: connection.http), found.script)
        }
        do {
            let manifest = fromQueue ? try queuedPlugin(found, connection: connection) : try JournaledPluginRun.installedManifest(of: found.run, trusted: PluginCatalog.trustedPublishers(configuration: connection.configurationFile))
            var modules = found.run.modules
            if text.isEmpty, let workflow = found.run.workflow.flatMap(manifest.workflow(named:)) {
                // A queued workflow's first start: this host's installed copy runs, and is journaled.
                text = try manifest.script(workflow).source
                modules = QueuedFile.modules(requiredBy: text, folder: manifest.folder.path)
                try store.recordScript(runID: found.id, text: String(decoding: text, as: UTF8.self), pluginVersion: manifest.version.description,
                                       modules: modules)
            }
            return try JournaledPluginRun.runner(found.run, manifest: manifest, text: text, modules: modules, connection: connection,
                                                 limits: limits(found), startedBy: found.id)
        } catch let exit as ExitCode {
            await connection.close()
            throw exit
        } catch {
            await connection.close()
            Diagnostics.error("roster: cannot \(found.attempts == 0 ? "start" : "resume") run \(found.id): \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}
