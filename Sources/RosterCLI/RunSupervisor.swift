/// RunSupervisor.swift: running a script (or a plugin's workflow) as `roster run` does —
/// the confirmation on a terminal, the dry-run plan, `--json`, messages and exit code.
import ArgumentParser
import Bindings
import Engine
import Foundation
import Journal
import LuaHost
import Vendors

/// How a run is carried out and reported.
struct RunSupervisor {
    var dryRun: Bool
    var yes: Bool
    var json: Bool
    var verbose: Bool
    /// With a dry run: where to save its plan (`--plan-out`).
    var planOut: String? = nil
    /// `--max-changes`: this run may plan this many changes, whatever the tenant's `max_changes`.
    var maxChanges: Int? = nil

    /// Runs `script` with `runner`, journaled in `journal`, closes `connection`, reports;
    /// throws the exit code when it is not 0.
    func perform(_ runner: VendorScriptRunner, _ script: LuaScript, arguments: [String: String], inputs: [ScriptInput],
                 connection: VendorConnection, journal: RunJournal) async throws {
        // Rate budgets are shared with every Roster process through the journal.
        var runner = runner
        runner.http = runner.http.sharing(SharedRateLedger(journal.store))
        // A run is rehearsed first (a dry run, its output hidden) to be confirmed on a
        // terminal (`--json` does not skip the question: only `--yes` does), or to be held to
        // the tenant's `max_changes`. What the rehearsal reads answers the run again.
        let limit = maxChanges ?? connection.tenant.maxChanges
        let confirming = !dryRun && !yes && Terminal.isInteractive
        // Without a terminal, a run that would need confirming needs --yes instead.
        let mustHaveYes = !dryRun && !yes && !Terminal.isInteractive
        if !dryRun, journal.attempt == 1, confirming || mustHaveYes || limit != nil {
            let reads = ReadReplay()
            runner.reads = reads
            let rehearsal = await runner.run(script, arguments: arguments, inputs: inputs, dryRun: true, output: CollectedOutput())
            if let limit, rehearsal.plan.count > limit {
                await connection.close()
                journal.finish(outcome: "refused: too many changes", exitCode: ExitStatus.usage)
                Diagnostics.error("roster: the run plans \(rehearsal.plan.count) changes, more than "
                    + (maxChanges != nil ? "--max-changes \(limit)" : "max_changes = \(limit) for tenant '\(connection.tenant.name)'")
                    + "; nothing was sent (check the plan with --dry-run, then raise the limit for this run with --max-changes \(rehearsal.plan.count))")
                throw ExitCode(ExitStatus.usage)
            }
            if mustHaveYes, let unconfirmed = Self.needsConfirming(rehearsal.plan, tenant: connection.tenant) {
                await connection.close()
                journal.finish(outcome: "refused: not confirmed", exitCode: ExitStatus.usage)
                Diagnostics.error("roster: the run plans \(unconfirmed) and there is no terminal to confirm: add --yes (check the plan first with --dry-run); nothing was sent")
                throw ExitCode(ExitStatus.usage)
            }
            guard !confirming || confirmChanges(rehearsal, connection: connection) else {
                await connection.close()
                Diagnostics.error("roster: nothing was changed (not confirmed)")
                throw ExitCode(ExitStatus.scriptError)
            }
            reads.startReplaying()
        }
        let counter = CallCounter()
        runner.counter = counter
        let progress = ProgressLine(counter: counter, rowsTotal: nil, enabled: ProgressLine.terminalAvailable && !json)
        if Terminal.isInteractive, !json { progress.print(Self.target(connection, dryRun: dryRun) + "\n", to: .standardError) }
        let output: any LuaOutput = json ? CollectedOutput() : OutputAboveProgress(progress: progress)
        let stop = LuaStop()
        let signals = StopSignals(stop) { journal.abandonInFlight("stopped at once by a second signal; no answer was awaited") }
        let result = await runner.run(script, arguments: arguments, inputs: inputs, dryRun: dryRun, output: output, stop: stop,
                                      journal: journal)
        signals.cancel()
        progress.finish()
        await connection.close()
        let status = ExitStatus.of(result.outcome)
        if dryRun { try? journal.recordPlan(result.plan) }
        if let planOut, dryRun { try savePlan(result, journal: journal, to: planOut) }
        journal.abandonInFlight("the run ended before the vendor answered")
        journal.finish(outcome: result.outcome.journalText, exitCode: status)

        // Whatever ended the run (a limit, a stop), it is reported.
        if json {
            var report = RunReport(result: result, script: script.name, output: (output as? CollectedOutput)?.text ?? "")
            report.run_id = journal.runID
            report.print()
        } else {
            report(result.outcome, signal: signals.received, drain: runner.limits.drainGrace)
            reportUnknown(result.calls)
            if dryRun {
                Swift.print(RunReport.planText(result.plan), terminator: "")
                if let estimate = RunEstimate(plan: result.plan, tenant: runner.tenant).text { Diagnostics.error("roster: \(estimate)") }
            }
        }
        let unfinished = status != ExitStatus.success && !dryRun
            || result.calls.contains { if case .unknown = $0.outcome { true } else { false } }
        Diagnostics.error("roster: run \(journal.runID)" + (journal.attempt > 1 ? " (attempt \(journal.attempt))" : "")
            + (unfinished ? "; to finish it: \(journal.resumeCommand)" : "") + "; its changes: roster runs show \(journal.runID)")
        if status != ExitStatus.success { throw ExitCode(status) }
    }

    /// Saves a successful dry run's plan (mode 0600) and keeps it in the journal.
    private func savePlan(_ result: ScriptRunResult, journal: RunJournal, to path: String) throws {
        guard result.outcome == .success else {
            Diagnostics.error("roster: no plan saved: the dry run did not finish (\(result.outcome.summary))")
            return
        }
        guard let run = try? journal.store.run(journal.runID) else { return }
        let plan = SavedPlan(run: run, plan: result.plan)
        guard FileManager.default.createFile(atPath: path, contents: plan.encoded(), attributes: [.posixPermissions: 0o600]) else {
            Diagnostics.error("roster: cannot write --plan-out '\(path)'")
            throw ExitCode(ExitStatus.usage)
        }
        // An existing file keeps its mode: make it private either way.
        chmod(path, 0o600)
        try? journal.store.savePlan(id: plan.id, runID: run.id, json: String(decoding: plan.encoded(), as: UTF8.self))
        Diagnostics.error("roster: plan \(plan.id) saved to \(path) (\(plan.changes.count) change\(plan.changes.count == 1 ? "" : "s")); apply exactly it with: roster apply \(path)")
    }

    /// `roster: acting on tenant 'acme' (/etc/roster/roster.toml)`: said on a terminal before
    /// the first change, so that an admin sees where the changes go.
    static func target(_ connection: VendorConnection, dryRun: Bool) -> String {
        "roster: " + (dryRun ? "planning against" : "acting on") + " tenant '\(connection.tenant.name)'"
            + (connection.configurationFile.map { " (\($0))" } ?? " (the built-in emulator)")
    }

    private func report(_ outcome: LuaRunOutcome, signal: String?, drain: Duration) {
        switch outcome {
        case .success: break
        case .scriptError(let message, let traceback): Diagnostics.error(verbose ? traceback : message)
        case .limit(.interrupted, _):
            // Calls still unanswered after the drain are listed next, as unknown.
            Diagnostics.error("roster: stopped by \(signal ?? "an interrupt"); calls in flight had up to \(drain.components.seconds) s to answer")
        case .limit(_, let message): Diagnostics.error("roster: \(message)")
        case .hostError(let message): Diagnostics.error("roster: \(message)")
        }
    }

    /// One line per change whose outcome is unknown: the admin must check it.
    private func reportUnknown(_ calls: [VendorCallRecord]) {
        for call in calls {
            guard case .unknown(let why) = call.outcome else { continue }
            Diagnostics.error("roster: outcome unknown (check before running again): \(call.summary): \(why)")
        }
    }

    /// On a terminal, a run whose rehearsal would make a destructive change, or more than the
    /// tenant's `confirm_over` changes, shows its plan grouped by vendor with the destructive
    /// changes marked and counted in people, and is applied only once confirmed.
    private func confirmChanges(_ rehearsal: ScriptRunResult, connection: VendorConnection) -> Bool {
        let plan = rehearsal.plan
        guard let what = Self.needsConfirming(plan, tenant: connection.tenant) else { return true }
        var text = Self.target(connection, dryRun: false) + "\n" + Self.groupedPlan(plan)
        if rehearsal.outcome != .success {
            text += "(the rehearsal stopped early, so the run may change more: \(rehearsal.outcome.summary))\n"
        }
        Diagnostics.error(text.trimmingCharacters(in: .newlines))
        return Terminal.ask("Apply these \(what) to tenant '\(connection.tenant.name)'? [y/N] ")
    }

    /// `3 changes, 2 destructive affecting 4 people` when `plan` must be confirmed (a
    /// destructive change, or more than the tenant's `confirm_over`); nil when it need not.
    static func needsConfirming(_ plan: [VendorCallRecord], tenant: Tenant) -> String? {
        let destructive = plan.filter { $0.effect == LuaEffect.destructive.rawValue }
        guard !destructive.isEmpty || plan.count > tenant.confirmOver else { return nil }
        let people = destructive.reduce(0) { $0 + $1.people }
        return "\(plan.count) change\(plan.count == 1 ? "" : "s")"
            + (destructive.isEmpty ? "" : ", \(destructive.count) destructive affecting \(people) \(people == 1 ? "person" : "people")")
    }

    /// The plan by vendor, destructive changes marked with `!` and their people counted.
    static func groupedPlan(_ plan: [VendorCallRecord]) -> String {
        var vendors: [String] = []
        for change in plan where !vendors.contains(change.vendor.rawValue) { vendors.append(change.vendor.rawValue) }
        var text = "Plan (! destructive):\n"
        for vendor in vendors {
            let changes = plan.filter { $0.vendor.rawValue == vendor }
            text += "  \(vendor): \(changes.count) change\(changes.count == 1 ? "" : "s")\n"
            for change in changes {
                let destructive = change.effect == LuaEffect.destructive.rawValue
                text += "    \(destructive ? "!" : " ") \(change.summary)" + (destructive && change.people > 1 ? "  (\(change.people) people)" : "") + "\n"
            }
        }
        return text
    }
}

/// SIGINT and SIGTERM during a run: the first stops it gracefully (the script goes no
/// further, the calls in flight are awaited, the report is printed, exit 130); a second one
/// ends the process at once.
final class StopSignals: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]
    private let lock = NSLock()
    private var name: String?
    /// Before the process ends at a second signal (the journal marks what is in flight).
    private let onForcedStop: @Sendable () -> Void

    init(_ stop: LuaStop, onForcedStop: @escaping @Sendable () -> Void = {}) {
        self.onForcedStop = onForcedStop
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN) // delivered to the source instead
            return DispatchSource.makeSignalSource(signal: number, queue: .global())
        }
        for (source, name) in zip(sources, ["SIGINT", "SIGTERM"]) {
            source.setEventHandler { [weak self] in self?.received(name, stop) }
            source.resume()
        }
    }

    /// The signal that stopped the run, if one did.
    var received: String? { lock.withLock { name } }

    private func received(_ signal: String, _ stop: LuaStop) {
        let first = lock.withLock {
            defer { name = name ?? signal }
            return name == nil
        }
        guard first else {
            Diagnostics.error("roster: \(signal) again: stopping now; calls in flight are not awaited")
            onForcedStop()
            exit(ExitStatus.interrupted)
        }
        Diagnostics.error("roster: \(signal): stopping; no new vendor calls, waiting for the ones in flight (\(signal) again to stop at once)")
        stop.request()
    }

    /// Back to the default handling, once the run is over.
    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
