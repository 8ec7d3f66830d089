/// UndoCommand.swift: `roster undo RUN` — a journaled run's changes reversed, newest first,
/// by the inverses their operations declare, each only while its target is still as the run
/// left it. The undo is itself a run (its script written from the journal): planned with
/// --dry-run, confirmed, journaled, resumable.
import ArgumentParser
import Bindings
import Engine
import Foundation
import Journal
import LuaHost

/// Undoes a run.
struct UndoCommand: AsyncParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "undo",
        abstract: "Undo a journaled run's changes, newest first.",
        discussion: """
            Each change is reversed by the inverse its operation declares, from the state read just before it was made (kept in the journal): a rank or a smartcard list set back, a deactivation activated again, a suspension toggled back, a member created deleted. A change with no inverse (a guest promoted, a user deleted, a text sent) is listed as not undoable. A change whose target someone altered since the run is skipped and reported, never overwritten.

            The undo is a run of its own, journaled with its script: --dry-run shows its plan (reads live, nothing sent); it asks before destructive or many changes as roster run does (without a terminal it needs --yes); roster resume finishes it if it is interrupted.

            Exit codes as for roster run.
            """)

    @Argument(help: ArgumentHelp("The run to undo (from roster runs).", valueName: "run")) var id: Int64
    @Flag(name: .customLong("dry-run"), help: "Show what the undo would do: reads live, nothing sent.") var dryRun = false
    @Flag(help: "Do not ask before applying.") var yes = false
    @Option(help: ArgumentHelp("Use this configuration instead of the run's own.", valueName: "FILE")) var config: String?
    @Flag(help: "Print one JSON document instead of the undo's output.") var json = false
    @OptionGroup var limitOptions: LimitOptions
    @OptionGroup var maxChanges: MaxChangesOption
    @OptionGroup var tracing: TraceOption
    @OptionGroup var journalOptions: JournalOptions
    @Flag(help: "Show a traceback with errors.") var verbose = false

    func run() async throws {
        let (store, found, changes) = try journalOptions.run(id)
        guard !found.run.dryRun else {
            Diagnostics.error("roster: run \(id) was a dry run; it changed nothing, so there is nothing to undo")
            throw ExitCode(ExitStatus.usage)
        }
        // Held while it is undone (a dry run of the undo changes nothing): not while it still
        // runs or is resumed, and by one undo at a time, checked below for one done before.
        if !dryRun {
            do throws(JournalError) {
                try store.holdRun(id)
            } catch {
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
        }
        // A queued run is not undone under a worker that goes on with it (or resumes it later,
        // counting the changes undone as made).
        if let entry = try? store.queueEntry(runID: id), entry.state != .done {
            let place = entry.state == .running ? "runs on worker \(entry.worker ?? "?")" : "is still queued (a worker would go on with it)"
            Diagnostics.error("roster: run \(id) \(place); cancel it first (\(JournalOptions.command("cancel \(id)", reaching: store)) --wait), then undo it")
            throw ExitCode(ExitStatus.usage)
        }
        // An undo that changed something (an undo refused, or that found nothing to do, did not).
        if let undoing = try? store.undo(of: id) {
            let by = undoing.run
            if by.outcome == "success" {
                Diagnostics.error("roster: run \(id) was already undone by run \(by.id) (its changes: \(JournalOptions.command("runs show \(by.id)", reaching: store)))")
            } else {
                Diagnostics.error("roster: run \(id) is being undone by run \(by.id), which did not finish (\(by.outcome ?? "killed")); finish it with: \(JournalOptions.command("resume \(by.id)", reaching: store))")
            }
            throw ExitCode(ExitStatus.usage)
        }
        // Each process starts the built-in emulator afresh: what the run changed there ended
        // with it, and every change would read as "changed since the run".
        if config == nil, found.run.configFile == nil, changes.contains(where: { $0.state == .succeeded }) {
            Diagnostics.error("roster: run \(id) ran on the built-in emulator, whose changes ended with that process; there is nothing left to undo (to try undo, run against `roster emulator --write-config roster.toml`, which keeps its state while it runs)")
            throw ExitCode(ExitStatus.usage)
        }
        let plan = UndoPlan(run: found, changes: changes) { vendor, operation in
            // Only that operation's changes kept as the trail streams by: the journal may hold years.
            var made: [JournalChange] = []
            try? store.audit(since: nil, until: nil, tenant: found.run.tenant, vendor: vendor) { change in
                if change.operation == operation, change.state == .succeeded { made.append(change) }
            }
            return made
        }
        guard !plan.steps.isEmpty else {
            Diagnostics.error("roster: run \(id) made no changes; nothing to undo")
            return
        }
        let connection = try await VendorConnection.reopen(configuration: config ?? found.run.configFile, tenant: found.run.tenant,
                                                           of: "run \(id)", journaled: config == nil, http: tracing.http)
        // Reversed where it was made: the same accounts at the same addresses.
        if let moved = connection.moved(from: found.run.targets) {
            await connection.close()
            Diagnostics.error("roster: run \(id) was made against \(moved.vendor) at \(moved.made); tenant '\(connection.tenant.name)' now reaches "
                              + "\(moved.vendor) at \(moved.now); an undo reverses a run where it was made: put the configuration back as it was")
            throw ExitCode(ExitStatus.usage)
        }
        let text = Array(plan.script().utf8)
        let journal: RunJournal
        do throws(JournalError) {
            var run = NewRun.here(kind: "undo", script: "", text: text, arguments: ["run": String(id)], inputs: [],
                                  connection: connection, dryRun: dryRun)
            run.script = UndoPlan.scriptName(of: id)
            var limits = limitOptions.given
            limits.maxChanges = maxChanges.limit
            run.limits = limits.given
            journal = try RunJournal.start(run, in: store)
        } catch {
            await connection.close()
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let runner = VendorScriptRunner.undoing(tenant: connection.tenant, limits: limitOptions.limits(), http: connection.http)
        let script = LuaScript(name: UndoPlan.scriptName(of: id), source: text, directory: ".")
        try await RunSupervisor(dryRun: dryRun, yes: yes, json: json, verbose: verbose, maxChanges: maxChanges.limit)
            .perform(runner, script, arguments: [:], inputs: [], connection: connection, journal: journal)
    }
}
