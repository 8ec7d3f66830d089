/// RowRunSupervisor.swift: a run row by row (`--each`) as `roster run` and `roster resume`
/// carry it out — one line per row as it ends, the progress line, the summary, the failed
/// rows file, results per row as data, the journal's record and the exit code.
import ArgumentParser
import Bindings
import Engine
import Foundation
import Journal
import LuaHost
import Synchronization
import Vendors

/// How a row-by-row run is carried out and reported.
struct RowRunSupervisor {
    var dryRun: Bool
    var yes: Bool
    var results: RowResultOptions
    var verbose: Bool
    /// `--max-changes`: this run may plan this many changes, whatever the tenant's `max_changes`.
    var maxChanges: Int? = nil
    /// Whether the command takes `--dry-run` (`ChangeGate.offersDryRun`).
    var offersDryRun = true
    /// With a dry run: where to save its plan (`--plan-out`).
    var planOut: String? = nil

    /// Runs `rows` (but those in `done`) with `rowRun`, journaled in `journal`; closes
    /// `connection`; reports; throws the exit code when it is not 0.
    func perform(_ rowRun: RowRun, table: RowTable, done: Set<Int> = [], connection: VendorConnection, journal: RunJournal) async throws {
        var rowRun = rowRun
        rowRun.runner.http = rowRun.runner.http.sharing(SharedRateLedger(journal.store))
        // Rows report their changes, never their reads: each row's are counted, not kept.
        rowRun.runner.recordsReads = false
        // Only `--output` shows what each row returned.
        rowRun.runner.keepsReturned = results.output != nil
        // Every row, every attempt, and the rehearsal see the time the run first started.
        rowRun.runner.clock = journal.clock
        let counter = CallCounter()
        rowRun.runner.counter = counter
        let machineOutput = results.output != nil
        // Every row rehearsed first (as a dry run, output hidden) to pass the gate, as a single
        // script is; each row's reads then answer it again until it sends its first change.
        let gate = ChangeGate(dryRun: dryRun, yes: yes, maxChanges: maxChanges, offersDryRun: offersDryRun)
        var rehearsed: [Int: RowOutcome] = [:]
        if gate.needsRehearsal(connection.tenant, journal: journal) {
            let reads = RowReadReplays()
            rowRun.runner.rowReads = reads
            var rehearsal = rowRun
            rehearsal.dryRun = true
            rehearsal.seed = journal.seed
            rehearsal.runner.counter = nil
            // A row whose rehearsal was the row is not run again; what it printed is kept to
            // be shown then, up to a bound (past it, such rows run again, as any row does).
            let adoptable = Mutex((outcomes: [Int: RowOutcome](), bytes: 0))
            let rehearsalEnd = await rehearsal.run(table.rows, journal: nil, stop: LuaStop()) { outcome in
                guard RowRun.rehearsalIsTheRow(outcome) else { return }
                adoptable.withLock { kept in
                    guard kept.bytes + outcome.output.utf8.count <= Self.rehearsedOutputBudget else { return }
                    kept.bytes += outcome.output.utf8.count
                    kept.outcomes[outcome.row.number] = outcome
                }
            }
            rehearsed = adoptable.withLock { $0.outcomes }
            let outcomes = rehearsalEnd.outcomes
            let failed = outcomes.filter { $0.state == .failed }.map { "row \($0.row.number): \($0.error ?? "failed")" }
            let advice = outcomes.lazy.compactMap { $0.result?.vendorFailure.flatMap(connection.credentialAdvice) }.first
            let down = rehearsalEnd.stoppedEarly.map { "; started no more rows: " + Self.text($0) } ?? ""
            try await gate.admit(outcomes.flatMap { $0.result?.plan ?? [] },
                                 stopped: failed.isEmpty ? nil : "\(failed.count) row\(failed.count == 1 ? "" : "s") failed, first \(failed[0])" + down,
                                 advice: advice,
                                 rows: table.rows.count, connection: connection, journal: journal)
            reads.startReplaying()
        }
        // Past the gate: a resume goes on without asking again.
        if !dryRun { journal.recordAdmitted() }
        let pending = table.rows.filter { !done.contains($0.number) }.count
        let progress = ProgressLine(counter: counter, rowsTotal: pending, enabled: ProgressLine.terminalAvailable && !machineOutput)
        let lines: FileHandle = machineOutput ? .standardError : .standardOutput
        if Terminal.isInteractive, !machineOutput {
            progress.print(RunSupervisor.target(connection, dryRun: dryRun) + "\n", to: .standardError)
        }
        if !done.isEmpty { progress.print("\(done.count) row\(done.count == 1 ? "" : "s") done by an earlier attempt; running the other \(pending)\n", to: lines) }

        let stop = LuaStop()
        let signals = StopSignals(stop) { journal.abandonInFlight("stopped at once by a second signal; no answer was awaited") }
        let dryRun = self.dryRun
        let end = await rowRun.run(table.rows, done: done, rehearsed: rehearsed, journal: journal, stop: stop) { outcome in
            progress.rowEnded(failed: outcome.state == .failed)
            progress.print(outcome.output + Self.line(outcome, dryRun: dryRun) + "\n", to: lines)
        }
        let outcomes = end.outcomes
        signals.cancel()
        progress.finish()
        await connection.close()

        let failed = outcomes.filter { $0.state == .failed }
        let notRun = outcomes.filter { $0.state == .notRun }
        let status: Int32 = signals.received != nil ? ExitStatus.interrupted : (failed.isEmpty && notRun.isEmpty ? ExitStatus.success : ExitStatus.scriptError)
        if dryRun { try? journal.recordPlan(outcomes.flatMap { $0.result?.plan ?? [] }) }
        if dryRun, let planOut { try savePlan(outcomes, table: table, journal: journal, targets: connection.targets, to: planOut) }
        journal.abandonInFlight(VendorSession.cutShortMessage)
        journal.end(outcome: failed.isEmpty && notRun.isEmpty ? "success" : (signals.received != nil ? "interrupted" : "rows failed"),
                       exitCode: status)

        if let signal = signals.received {
            Diagnostics.error("roster: stopped by \(signal); rows in flight had up to \(rowRun.runner.limits.drainGrace.components.seconds) s to answer")
        }
        for outcome in outcomes {
            for call in outcome.result?.calls ?? [] {
                guard case .unknown(let why) = call.outcome else { continue }
                Diagnostics.error("roster: outcome unknown (check before running again): row \(outcome.row.number): \(call.summary): \(why)")
            }
        }
        if let stoppedEarly = end.stoppedEarly, signals.received == nil {
            Diagnostics.error("roster: started no more rows: " + Self.text(stoppedEarly))
        }
        Diagnostics.error(Self.summary(outcomes, of: table, dryRun: dryRun))
        // Once per vendor, however many rows it refused.
        var advised: Set<Vendor> = []
        for case let failure? in failed.lazy.map({ $0.result?.vendorFailure }) where !advised.contains(failure.vendor) {
            guard let advice = connection.credentialAdvice(failure) else { continue }
            advised.insert(failure.vendor)
            Diagnostics.error("roster: " + advice)
        }
        if dryRun, let estimate = RunEstimate(plan: outcomes.flatMap { $0.result?.plan ?? [] }, tenant: rowRun.runner.tenant,
                                              together: rowRun.parallel).text {
            Diagnostics.error("roster: \(estimate)")
        }
        if let path = results.failedRows { try writeFailedRows(failed, header: table.header, to: path) }
        if let format = results.output { Self.write(outcomes, as: format) }
        let unfinished = status != ExitStatus.success && !dryRun
        Diagnostics.error("roster: run \(journal.runID)" + (journal.attempt > 1 ? " (attempt \(journal.attempt))" : "")
            + (unfinished ? "; to finish it: \(JournalOptions.command("resume \(journal.runID)", reaching: journal.store))" : "")
            + "; its changes: \(JournalOptions.command("runs show \(journal.runID)", reaching: journal.store))")
        if status != ExitStatus.success { throw ExitCode(status) }
    }

    /// What the rows whose rehearsal was the row may keep of their output until the run
    /// shows it.
    static let rehearsedOutputBudget = 16 << 20

    /// Saves the plan of a dry run whose every row planned to its end.
    private func savePlan(_ outcomes: [RowOutcome], table: RowTable, journal: RunJournal, targets: [Vendor: String], to path: String) throws {
        let unfinished = outcomes.filter { $0.state != .succeeded }.map { String($0.row.number) }
        guard unfinished.isEmpty else {
            Diagnostics.error("roster: no plan saved: the dry run of row\(unfinished.count == 1 ? "" : "s") \(unfinished.prefix(10).joined(separator: ", ")) did not finish")
            return
        }
        guard let run = try? journal.store.run(journal.runID) else { return }
        let plans = Dictionary(outcomes.map { ($0.row.number, $0.result?.plan ?? []) }) { first, _ in first }
        var plan = SavedPlan(run: run, rows: table.rows, plans: plans)
        plan.aim(at: targets)
        try plan.save(to: path, journal: journal)
    }

    /// Why a run started no more rows: `--max-failures 3 reached`, or `3 rows in a row could
    /// not reach encore (could not connect to api.example.com:443 (timed out)): it looks down`.
    static func text(_ stop: RowRun.EarlyStop) -> String {
        switch stop {
        case .maxFailures(let count):
            return "--max-failures \(count) reached"
        case .vendorDown(let failure, let rows) where failure.unreachable:
            return "\(rows) rows in a row could not reach \(failure.vendor.rawValue) (\(failure.message)): it looks down"
        case .vendorDown(let failure, let rows):
            return "\(rows) rows in a row had the credentials refused by \(failure.vendor.rawValue) (HTTP \(failure.status.map(String.init) ?? "?"))"
        }
    }

    /// `row 17 ada@example.com: ok, 3 changes`, `row 18 bob@example.com: FAILED encore.create_user: ...`
    static func line(_ outcome: RowOutcome, dryRun: Bool) -> String {
        let name = "row \(outcome.row.number)" + (outcome.key.isEmpty ? "" : " \(outcome.key)")
        let changes = "\(outcome.changes) change" + (outcome.changes == 1 ? "" : "s")
        switch outcome.state {
        case .succeeded: return "\(name): " + (dryRun ? "planned, " : "ok, ") + changes
        case .failed: return "\(name): FAILED \(outcome.error ?? "")"
        case .doneEarlier: return "\(name): done earlier"
        case .notRun: return "\(name): not run"
        }
    }

    /// `roster: 48 rows ok, 2 failed (rows 18, 33); 144 changes`
    static func summary(_ outcomes: [RowOutcome], of table: RowTable, dryRun: Bool) -> String {
        // An export that came out empty is said to be one, not counted as "0 rows ok".
        guard !outcomes.isEmpty else { return "roster: \(table.name) has no rows below its header; nothing was run" }
        // Counted in place: a filtered copy of every outcome was 8 MB at the end of a 20,000-row run.
        let count = { (state: RowOutcome.State) in outcomes.count { $0.state == state } }
        let failedRows = outcomes.filter { $0.state == .failed }.map { String($0.row.number) }
        var parts = ["\(count(.succeeded)) row\(count(.succeeded) == 1 ? "" : "s") " + (dryRun ? "planned" : "ok")]
        if count(.doneEarlier) > 0 { parts.append("\(count(.doneEarlier)) done earlier") }
        if !failedRows.isEmpty {
            let shown = failedRows.prefix(10).joined(separator: ", ") + (failedRows.count > 10 ? ", ..." : "")
            parts.append("\(failedRows.count) failed (row\(failedRows.count == 1 ? "" : "s") \(shown))")
        }
        if count(.notRun) > 0 { parts.append("\(count(.notRun)) not run") }
        let changes = outcomes.reduce(0) { $0 + $1.changes }
        return "roster: " + parts.joined(separator: ", ") + "; \(changes) change\(changes == 1 ? "" : "s")" + (dryRun ? " planned" : "")
    }

    /// The failed rows with their columns and `error`, ready to fix and run again: values
    /// exactly as read (`CSV.line`, not a report's `reportLine`), so a rerun reads the same.
    private func writeFailedRows(_ failed: [RowOutcome], header: [String], to path: String) throws {
        var text = CSV.line(header + ["error"]) + "\n"
        for outcome in failed {
            let values = header.indices.map { $0 < outcome.row.values.count ? outcome.row.values[$0] : "" }
            text += CSV.line(values + [outcome.error ?? ""]) + "\n"
        }
        do {
            // The rows' values can be personal (a first password, say): private to the user.
            try UserFile.write(Data(text.utf8), to: path, mode: 0o600)
        } catch {
            Diagnostics.error("roster: cannot write --failed-rows '\(path)': \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        Diagnostics.error("roster: wrote \(failed.count) failed row\(failed.count == 1 ? "" : "s") to \(path)")
    }

    /// One result per row on stdout.
    static func write(_ outcomes: [RowOutcome], as format: RowOutputFormat) {
        func fields(_ outcome: RowOutcome) -> [String: JSONValue] {
            ["row": .int(outcome.row.number), "key": .string(outcome.key), "outcome": .string(outcome.state.rawValue),
             "changes": .int(outcome.changes), "error": outcome.error.map(JSONValue.string) ?? .null,
             "result": outcome.result?.returned ?? .null]
        }
        /// A CSV cell: a text or number as it is, nothing as empty, a table as compact JSON.
        func cell(_ value: JSONValue) -> String {
            switch value {
            case .null: ""
            case .string(let text): text
            default: value.canonicalText
            }
        }
        var text = ""
        switch format {
        case .csv:
            text = CSV.line(["row", "key", "outcome", "changes", "error", "result"]) + "\n"
            for outcome in outcomes {
                text += CSV.reportLine([String(outcome.row.number), outcome.key, outcome.state.rawValue, String(outcome.changes), outcome.error ?? "",
                                  cell(outcome.result?.returned ?? .null)]) + "\n"
            }
        case .jsonl:
            for outcome in outcomes { text += JSONValue.object(fields(outcome)).canonicalText + "\n" }
        case .json:
            text = JSONValue.array(outcomes.map { .object(fields($0)) }).canonicalText + "\n"
        }
        FileHandle.standardOutput.write(text: text)
    }
}
