/// RunSupervisor.swift: running a script (or a plugin's workflow) as `roster run` does —
/// the confirmation on a terminal, the dry-run plan, `--json`, messages and exit code.
import ArgumentParser
import Bindings
import Engine
import Foundation
import Journal
import LuaHost
import Synchronization
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
    /// Whether the command takes `--dry-run` (`ChangeGate.offersDryRun`).
    var offersDryRun = true

    /// Runs `script` with `runner`, journaled in `journal`, closes `connection`, reports;
    /// throws the exit code when it is not 0.
    func perform(_ runner: VendorScriptRunner, _ script: LuaScript, arguments: [String: String], inputs: [ScriptInput],
                 connection: VendorConnection, journal: RunJournal) async throws {
        // Rate budgets are shared with every Roster process through the journal.
        var runner = runner
        runner.http = runner.http.sharing(SharedRateLedger(journal.store))
        // Only a report that lists every call needs every read kept.
        runner.recordsReads = json
        runner.keepsReturned = json
        // Every attempt, and the rehearsal, sees the time the run first started.
        runner.clock = journal.clock
        // A run is rehearsed first (a dry run, its output hidden) to pass the gate: confirmed
        // on a terminal, `--yes` without one, held to `max_changes`. What the rehearsal reads
        // answers the run again.
        let gate = ChangeGate(dryRun: dryRun, yes: yes, maxChanges: maxChanges, offersDryRun: offersDryRun)
        var rehearsed: (result: ScriptRunResult, output: CollectedOutput)?
        if gate.needsRehearsal(connection.tenant, journal: journal) {
            let reads = ReadReplay()
            runner.reads = reads
            let rehearsalOutput = CollectedOutput()
            // Ctrl-C and SIGTERM stop the rehearsal gracefully too (a script that changes
            // nothing runs there alone); not the question that may follow.
            let rehearsalStop = LuaStop()
            let rehearsalSignals = StopSignals(rehearsalStop)
            let rehearsal = await runner.run(script, arguments: arguments, inputs: inputs, dryRun: true, output: rehearsalOutput,
                                             stop: rehearsalStop, seed: journal.seed)
            rehearsalSignals.cancel()
            if let signal = rehearsalSignals.received {
                await connection.close()
                let stopped = "stopped by \(signal) before anything was sent (while the run was checked for its changes)"
                journal.end(outcome: rehearsal.outcome.journalText, exitCode: ExitStatus.interrupted, error: stopped)
                if json {
                    // The dry run it was stopped in: its outcome, and the changes it had planned.
                    var report = RunReport(result: rehearsal, script: script.name, output: "")
                    report.run_id = journal.runID
                    report.print()
                }
                Diagnostics.error("roster: \(stopped); run \(journal.runID)")
                throw ExitCode(ExitStatus.interrupted)
            }
            // A rehearsal that a vendor's refusal of the credentials stopped says what to check.
            let advice = rehearsal.vendorFailure.flatMap(connection.credentialAdvice)
            try await gate.admit(rehearsal.plan, stopped: rehearsal.outcome == .success ? nil : rehearsal.outcome.summary, advice: advice,
                                 connection: connection, journal: journal) { status, message in
                guard json else { return }
                // Refused before anything was sent: the plan it was refused on, and why.
                var report = RunReport(result: rehearsal, script: script.name, output: "")
                report.run_id = journal.runID
                report.outcome = "refused"
                report.exit_code = status
                report.error = message
                report.errors = [message]
                report.advice = advice
                report.dry_run = false
                report.print()
            }
            reads.startReplaying()
            if rehearsal.rehearsalWasTheRun { rehearsed = (rehearsal, rehearsalOutput) }
        }
        // Past the gate: a resume goes on without asking again (a rehearsal that was the run
        // itself changed nothing, and leaves nothing to resume).
        if !dryRun, rehearsed == nil { journal.recordAdmitted() }
        let counter = CallCounter()
        runner.counter = counter
        let progress = ProgressLine(counter: counter, rowsTotal: nil, enabled: ProgressLine.terminalAvailable && !json)
        if Terminal.isInteractive, !json { progress.print(Self.target(connection, dryRun: dryRun) + "\n", to: .standardError) }
        let output: any LuaOutput = json ? CollectedOutput() : OutputAboveProgress(progress: progress)
        let stop = LuaStop()
        let signals = StopSignals(stop) { journal.abandonInFlight("stopped at once by a second signal; no answer was awaited") }
        let result: ScriptRunResult
        if var rehearsal = rehearsed?.result, let printed = rehearsed?.output {
            // The script ran once: what it printed is shown now, its reads counted as sent.
            output.write(printed.printed)
            for _ in 0..<rehearsal.reads { journal.didRead() }
            rehearsal.dryRun = false
            result = rehearsal
        } else {
            result = await runner.run(script, arguments: arguments, inputs: inputs, dryRun: dryRun, output: output, stop: stop,
                                      journal: journal)
        }
        signals.cancel()
        progress.finish()
        await connection.close()
        let status = ExitStatus.of(result.outcome)
        if dryRun { try? journal.recordPlan(result.plan) }
        if let planOut, dryRun { try savePlan(result, journal: journal, targets: connection.targets, to: planOut) }
        journal.abandonInFlight(VendorSession.cutShortMessage)
        journal.end(outcome: result.outcome.journalText, exitCode: status, error: result.outcome.message)

        // Whatever ended the run (a limit, a stop), it is reported.
        if json {
            var report = RunReport(result: result, script: script.name, output: (output as? CollectedOutput)?.text ?? "")
            report.run_id = journal.runID
            report.advice = result.vendorFailure.flatMap(connection.credentialAdvice)
            report.print()
        } else {
            report(result.outcome, signal: signals.received, drain: runner.limits.drainGrace)
            if let failure = result.vendorFailure, let advice = connection.credentialAdvice(failure) { Diagnostics.error("roster: " + advice) }
            reportUnknown(result.calls)
            if dryRun {
                RosterCLI.print(RunReport.planText(result.plan, finished: result.outcome == .success), terminator: "")
                if let estimate = RunEstimate(plan: result.plan, tenant: runner.tenant).text { Diagnostics.error("roster: \(estimate)") }
            }
        }
        // A script that failed before its first change has nothing to finish: a resume would
        // run the same text into the same error. A change the vendor refused (or that never
        // reached it) changed nothing either: `create_user` refused for a missing field is the
        // script's to fix, and a resume would send it again as it was.
        let failedBeforeAnyChange = status == ExitStatus.scriptError && journal.attempt == 1 && !dryRun
            && !result.calls.contains { call in
                guard call.effect != LuaEffect.read.rawValue else { return false }
                if case .failed = call.outcome { return false }
                return true
            }
        let unfinished = status != ExitStatus.success && !dryRun && !failedBeforeAnyChange
            || result.calls.contains { if case .unknown = $0.outcome { true } else { false } }
        let show = JournalOptions.command("runs show \(journal.runID)", reaching: journal.store)
        Diagnostics.error("roster: run \(journal.runID)" + (journal.attempt > 1 ? " (attempt \(journal.attempt))" : "")
            + (failedBeforeAnyChange ? " changed nothing before its error: \(Self.rerunAdvice(after: result.vendorFailure)) (\(show))"
                : (unfinished ? "; to finish it: " + JournalOptions.command("resume \(journal.runID)" + LimitOptions.raised(after: result.outcome, from: runner.limits),
                                                                       reaching: journal.store) : "") + "; its changes: \(show)"))
        if status != ExitStatus.success { throw ExitCode(status) }
    }

    /// Refuses a script that does not compile, before anything starts: its syntax error is
    /// the one line a run would print (with `--json`, the run's report), exit 1; no run is
    /// journaled, no vendor reached, and under `--each` no row fails one by one for a typo.
    static func refuseUncompilable(_ script: LuaScript, json: Bool, dryRun: Bool) throws {
        guard let error = script.syntaxError else { return }
        if json {
            RunReport(result: ScriptRunResult(outcome: .scriptError(message: error, traceback: error), dryRun: dryRun),
                      script: script.name, output: "").print()
        }
        Diagnostics.error(error)
        throw ExitCode(ExitStatus.scriptError)
    }

    /// Saves a successful dry run's plan (mode 0600) and keeps it in the journal.
    private func savePlan(_ result: ScriptRunResult, journal: RunJournal, targets: [Vendor: String], to path: String) throws {
        guard result.outcome == .success else {
            Diagnostics.error("roster: no plan saved: the dry run did not finish (\(result.outcome.summary))")
            return
        }
        guard let run = try? journal.store.run(journal.runID) else { return }
        var plan = SavedPlan(run: run, plan: result.plan)
        plan.aim(at: targets)
        try plan.save(to: path, journal: journal)
    }

    /// What a run that changed nothing before its error waits for before it is run again:
    /// the script's fix, unless a vendor's failure ended it.
    static func rerunAdvice(after failure: VendorError?) -> String {
        guard let failure else { return "run the script again once it is fixed" }
        if failure.status == 401 { return "run it again once \(failure.vendor.rawValue)'s credentials are fixed" }
        if failure.retryable { return "run it again once \(failure.vendor.rawValue) answers" }
        if let status = failure.status, status >= 500 { return "run it again once \(failure.vendor.rawValue) works again" }
        return "run the script again once it is fixed"
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
}

/// SIGINT and SIGTERM during a run: the first stops it gracefully (the script goes no
/// further, the calls in flight are awaited, the report is printed, exit 130); a second one
/// ends the process at once. A run that is rehearsed first has one for the rehearsal, then
/// one for the run: both take the process's signals in turn (`ProcessStopSignals`).
final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var name: String?
    /// Before the process ends at a second signal (the journal marks what is in flight).
    private let onForcedStop: @Sendable () -> Void

    init(_ stop: LuaStop, onForcedStop: @escaping @Sendable () -> Void = {}) {
        self.onForcedStop = onForcedStop
        ProcessStopSignals.take { [weak self] signal in
            // Gone without `cancel` (its run ended by an error): no run to stop.
            guard let self else { exit(ExitStatus.interrupted) }
            self.received(signal, stop)
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

    /// The run is over: signals are held again (`ProcessStopSignals.release`).
    func cancel() { ProcessStopSignals.release() }
}

/// SIGINT and SIGTERM, watched once for the whole process. libdispatch on Linux puts its
/// own handler in place the first time a source watches a signal, and never again: a run's
/// sources, cancelled and the handling reset to the default, left the next run (a rehearsed
/// run's real pass) with sources that never saw a signal, and Ctrl-C did nothing. So the
/// sources live as long as the process and each `StopSignals` takes them while its run goes.
/// The handling is left to libdispatch (not set to ignore first): a signal that comes before
/// its handler is in place ends the process by default instead of being lost.
///
/// A command that runs a script arms them first (`arm`): a signal while it starts (reading
/// its configuration, opening the journal) is held for the run, which then stops before its
/// first call and says how to finish it, as it would a moment later. Held until a run takes
/// the signals, held again when it lets them go (`release`), and not at a question
/// (`disarm`): there Ctrl-C ends the process.
enum ProcessStopSignals {
    private struct State {
        var handler: (@Sendable (String) -> Void)?
        /// Signals are held for the run about to start (between `arm` and the first `take`).
        var armed = false
        var held: String?
    }

    private static let state = Mutex(State())
    nonisolated(unsafe) private static let sources: [DispatchSourceSignal] = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, name in
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            let (handler, held) = state.withLock { state -> ((@Sendable (String) -> Void)?, Bool) in
                guard state.handler == nil, state.armed, state.held == nil else { return (state.handler, false) }
                state.held = name
                return (nil, true)
            }
            if let handler { return handler(name) }
            // Held for the run about to start; else (a second signal, or no run to come)
            // what the signal does by default.
            if !held {
                if state.withLock({ $0.held != nil }) { Diagnostics.error("roster: \(name) again: stopping now") }
                exit(ExitStatus.interrupted)
            }
        }
        source.resume()
        return source
    }

    /// Signals from now on are held for the first run to take them.
    static func arm() {
        state.withLock { $0.armed = true } // before the sources catch anything
        _ = sources
    }

    /// Signals end the process again, one held so far at once: what comes next waits for a
    /// person (a question), where Ctrl-C must not wait for a run. Nothing was sent yet.
    static func disarm() {
        let held = state.withLock { state -> String? in
            state.armed = false
            defer { state.held = nil }
            return state.held
        }
        guard let held else { return }
        Diagnostics.error("roster: \(held): stopped; nothing was sent")
        exit(ExitStatus.interrupted)
    }

    /// Signals go to `body` until `release`, a signal held for it first.
    static func take(_ body: @escaping @Sendable (String) -> Void) {
        _ = sources
        let held = state.withLock { state -> String? in
            state.handler = body
            state.armed = false
            defer { state.held = nil }
            return state.held
        }
        if let held { body(held) }
    }

    /// The run is over. The signals are held again, as while the command started: for the
    /// run that follows a rehearsal (which then stops before its first call and says how
    /// to finish it), or, after the last run, while its outcome is journaled and reported
    /// (the command ends by itself then). Ended silently there, a run stopped at that
    /// moment said nothing, not even its id; a second signal still ends it at once.
    static func release() {
        state.withLock { state in
            state.handler = nil
            state.armed = true
        }
    }
}
