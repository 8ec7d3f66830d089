/// RowRun.swift: a script run once per CSV row (`--each`), up to N rows at once: a failing
/// row does not stop the others (unless the vendor is down for all), each row is journaled
/// under its number, and a resume runs again only the rows that failed or never finished.
import Bindings
import Foundation
import Journal
import LuaHost
import Vendors

/// How one row ended.
public struct RowOutcome: Sendable {
    public enum State: String, Sendable {
        case succeeded = "ok"
        case failed = "failed"
        /// An earlier attempt of the run finished it: not run again.
        case doneEarlier = "done earlier"
        /// Not started: the run stopped first (`--max-failures`, a vendor down, a signal).
        case notRun = "not run"
    }

    public var row: TableRow
    /// The row's value in the key column.
    public var key: String
    public var state: State
    /// Changes made, replayed or planned.
    public var changes: Int
    /// Why it failed, in one line.
    public var error: String?
    /// What the script printed (given to `RowRun.run`'s `ended`; empty in what it returns).
    public var output: String
    public var result: ScriptRunResult?
    public var duration: Duration
}

/// How a run row by row ended: every row's outcome, in file order, and why it started no
/// more rows when something other than a stop made it.
public struct RowRunEnd: Sendable {
    public var outcomes: [RowOutcome]
    public var stoppedEarly: RowRun.EarlyStop?
}

/// Runs a script once per row.
public struct RowRun: Sendable {
    /// Why a run started no more rows, a stop aside.
    public enum EarlyStop: Sendable, Equatable {
        /// `--max-failures` rows had failed.
        case maxFailures(Int)
        /// The last rows in a row failed on a vendor-wide failure (`VendorError.vendorWide`):
        /// the vendor is down or refuses the credentials, and every row would fail the same
        /// way (a host that drops packets cost each row 20 s).
        case vendorDown(VendorError, rows: Int)
    }

    /// Rows failing one after the other on the same vendor-wide failure that stop the run.
    public static let vendorDownAfter = 3

    public var runner: VendorScriptRunner
    public var script: LuaScript
    public var arguments: [String: String]
    public var inputs: [ScriptInput]
    public var dryRun: Bool
    /// Rows at once.
    public var parallel: Int
    /// Failures after which no new row starts (nil: never).
    public var maxFailures: Int?
    /// The column whose value names a row.
    public var keyColumn: String
    /// `math.random`'s seed when there is no journal to give it (a rehearsal's: the run's).
    public var seed: Int64?

    public init(runner: VendorScriptRunner, script: LuaScript, arguments: [String: String], inputs: [ScriptInput], dryRun: Bool,
                parallel: Int, maxFailures: Int?, keyColumn: String) {
        self.runner = runner
        self.script = script
        self.arguments = arguments
        self.inputs = inputs
        self.dryRun = dryRun
        self.parallel = max(1, parallel)
        self.maxFailures = maxFailures
        self.keyColumn = keyColumn
    }

    /// Runs `rows` (skipping those in `done`, which an earlier attempt finished), calling
    /// `ended` as each row ends, in the order they end; returns every row's outcome in file
    /// order. `stop` ends the rows in flight and starts no more. What a row printed goes to
    /// `ended` only: the outcomes returned leave it out, and are kept in one array filled in
    /// place (not a dictionary, then a copy of it in file order), so that a long run holds
    /// little per row. A row in `rehearsed` (by number) is not run: its rehearsal was the
    /// row (`RowRun.rehearsalIsTheRow`), and its outcome, output included, is taken as it is.
    public func run(_ rows: [TableRow], done: Set<Int> = [], rehearsed: [Int: RowOutcome] = [:], journal: RunJournal?, stop: LuaStop,
                    ended: @escaping @Sendable (RowOutcome) -> Void) async -> RowRunEnd {
        var failures = 0
        // The vendor-wide failure the last rows to end failed on, and how many rows in a row.
        var downStreak: (failure: VendorError, rows: Int)?
        var stoppedEarly: EarlyStop?
        var outcomes = rows.map { row in
            RowOutcome(row: row, key: row[keyColumn], state: done.contains(row.number) ? .doneEarlier : .notRun, changes: 0, error: nil,
                       output: "", result: nil, duration: .zero)
        }
        var pending = rows.indices.filter { !done.contains(rows[$0].number) }[...]
        func mayStart() -> Bool {
            !stop.isRequested && stoppedEarly == nil
        }
        func finish(_ index: Int, _ finished: RowOutcome) {
            var outcome = finished
            if outcome.state == .failed {
                failures += 1
                if let maxFailures, failures >= maxFailures, stoppedEarly == nil { stoppedEarly = .maxFailures(maxFailures) }
            }
            if outcome.state == .failed, let failure = outcome.result?.vendorFailure, failure.vendorWide {
                let rows = downStreak.map { $0.failure.vendor == failure.vendor ? $0.rows + 1 : 1 } ?? 1
                downStreak = (failure, rows)
                if rows >= Self.vendorDownAfter, stoppedEarly == nil { stoppedEarly = .vendorDown(failure, rows: rows) }
            } else {
                downStreak = nil
            }
            ended(outcome)
            outcome.output = ""
            outcomes[index] = outcome
        }
        await withTaskGroup(of: (Int, RowOutcome?).self) { group in
            var running = 0
            while true {
                while running < parallel, mayStart(), let index = pending.popFirst() {
                    let row = rows[index]
                    if let outcome = rehearsed[row.number] {
                        // Its reads were made (by the rehearsal), and count as the run's.
                        if !dryRun, let journal { for _ in 0..<(outcome.result?.reads ?? 0) { journal.didRead() } }
                        record(outcome, journal: journal)
                        finish(index, outcome)
                        continue
                    }
                    running += 1
                    group.addTask { (index, await runOne(row, journal: journal, stop: stop)) }
                }
                guard running > 0, let (index, finished) = await group.next() else { break }
                running -= 1
                if let outcome = finished { finish(index, outcome) }
            }
        }
        return RowRunEnd(outcomes: outcomes, stoppedEarly: pending.isEmpty ? nil : stoppedEarly)
    }

    /// One row; nil when a stop cut it (it is neither done nor failed: a resume runs it).
    private func runOne(_ row: TableRow, journal: RunJournal?, stop: LuaStop) async -> RowOutcome? {
        let output = CollectedOutput()
        let start = ContinuousClock.now
        let result = await runner.run(script, row: row, arguments: arguments, inputs: inputs, dryRun: dryRun, output: output,
                                      stop: stop, journal: dryRun ? nil : journal, seed: journal?.seed ?? seed)
        let changes = result.calls.filter { call in
            guard call.effect != LuaEffect.read.rawValue else { return false }
            switch call.outcome {
            case .succeeded, .replayed, .planned: return true
            case .failed, .unknown: return false
            }
        }.count
        var outcome = RowOutcome(row: row, key: row[keyColumn], state: .succeeded, changes: changes, error: nil, output: output.text,
                                 result: result, duration: .now - start)
        switch result.outcome {
        case .success:
            break
        case .limit(.interrupted, _):
            return RowOutcome(row: row, key: row[keyColumn], state: .notRun, changes: changes, error: "stopped", output: output.text,
                              result: result, duration: .now - start)
        case .scriptError, .limit, .hostError:
            outcome.state = .failed
            outcome.error = Self.reason(result.outcome.message ?? "failed", script: script.name)
        }
        record(outcome, journal: journal)
        return outcome
    }

    /// Journals how a row ended (a dry run journals no row).
    private func record(_ outcome: RowOutcome, journal: RunJournal?) {
        guard !dryRun, let journal else { return }
        journal.finishRow(number: outcome.row.number, key: outcome.key, sha256: outcome.row.sha256,
                          state: outcome.state == .succeeded ? .succeeded : .failed, error: outcome.error, changes: outcome.changes)
    }

    /// Whether a row's rehearsal was the row itself (`ScriptRunResult.rehearsalWasTheRun`):
    /// it ran to an end, well or not (a row a stop cut short was not run to its end).
    public static func rehearsalIsTheRow(_ rehearsal: RowOutcome) -> Bool {
        guard rehearsal.state == .succeeded || rehearsal.state == .failed, let result = rehearsal.result else { return false }
        return result.rehearsalWasTheRun
    }

    /// The failure in one line: a vendor's refusal the script did not catch reads as the
    /// vendor's (`encore.create_user: HTTP 400 (code 115): ...`), without the script's line.
    static func reason(_ message: String, script: String) -> String {
        let name = (script as NSString).lastPathComponent
        guard message.hasPrefix(script + ":") || message.hasPrefix(name + ":") else { return message }
        let afterName = message.drop { $0 != ":" }.dropFirst()
        let afterLine = afterName.drop(while: \.isNumber)
        guard afterLine.hasPrefix(": ") else { return message }
        let rest = afterLine.dropFirst(2)
        let call = rest.prefix { $0 != ":" && $0 != " " }
        // `module.function: ...`, as a vendor error object reads.
        let isVendorCall = rest.dropFirst(call.count).hasPrefix(":") && call.split(separator: ".").count == 2
            && call.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        return isVendorCall ? String(rest) : message
    }
}
