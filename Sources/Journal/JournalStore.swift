/// JournalStore.swift: what the journal keeps runs, attempts, changes, rows, plans and rate
/// slots in — one interface, two stores: SQLite (the default, one file per user) and
/// PostgreSQL (shared by many processes on many hosts).
import Foundation

/// Where the journal is kept. Every method is one short transaction.
public protocol JournalStore: RunQueue {
    /// The file, or the database's address (without its password), as messages name it.
    var path: String { get }
    /// The local folder of this process's change logs (`ChangeLog`).
    var changeLogFolder: String { get }
    /// Whether a change is recorded in a change log on this host before it is sent (and
    /// stored in batches): a store of this host's own. A shared store commits it instead, so
    /// that another host can resume the run.
    var logsChangesLocally: Bool { get }

    /// Journals a new run and its first attempt; returns the run's id.
    func startRun(_ run: NewRun) throws(JournalError) -> Int64
    /// Records that run `runID` got past its gate (`JournalRun.admitted`).
    func admitRun(_ runID: Int64) throws(JournalError)
    /// Journals the next attempt of `runID`; returns its number and the run's clock, pinned
    /// at `now` (Unix seconds) if it had none (a queued run's first start).
    func startAttempt(runID: Int64, now: Int64) throws(JournalError) -> (number: Int, clock: Int64)
    /// Stores `operations` in one transaction; each insert's row id (0 for an outcome, or
    /// for a change already stored when `idempotent`).
    func commit(_ operations: [JournalOperation], idempotent: Bool) throws(JournalError) -> [Int64]
    /// Stores the operations of change-log records (`ChangeLog`'s bytes) as `commit` does.
    @discardableResult
    func commit(records: [UInt8], idempotent: Bool) throws(JournalError) -> [Int64]
    /// Every change of the attempt still `sending` becomes `unknown` with `reason`.
    func abandonInFlight(runID: Int64, attempt: Int, reason: String) throws(JournalError)
    /// How the attempt (and so the run, unless a later attempt has begun) ended.
    func finishAttempt(_ end: AttemptEnd) throws(JournalError)
    /// How a row of an `--each` run ended in an attempt.
    func finishRow(_ row: JournalRow) throws(JournalError)
    /// How each row of a run ended, its latest attempt's.
    func rows(runID: Int64) throws(JournalError) -> [JournalRow]
    /// Keeps a saved plan (made by run `runID`).
    func savePlan(id: String, runID: Int64, json: String) throws(JournalError)
    /// The run that applied plan `id`, if one did.
    func planApplication(id: String) throws(JournalError) -> Int64?
    /// Plan `id` as it was kept when it was made (its JSON), if it was.
    func savedPlan(id: String) throws(JournalError) -> String?
    /// Marks plan `id` applied by `runID`, atomically; the run that applied it first, if
    /// another did.
    func claimPlan(id: String, runID: Int64, json: String, madeBy madeRun: Int64) throws(JournalError) -> Int64?
    /// The plan run `runID` applies, as JSON.
    func plan(appliedBy runID: Int64) throws(JournalError) -> String?
    /// A slot of `account`'s rate budget (`limit` per `window` seconds), or how long until one frees.
    func takeRateSlot(account: String, limit: Int, window: Double) throws(JournalError) -> RateSlotGrant
    /// The request holding `slot` has its answer.
    func releaseRateSlot(_ slot: Int64) throws(JournalError)
    func run(_ id: Int64) throws(JournalError) -> JournalRun?
    /// The newest `limit` runs, with their changes counted: of `tenant`, since `since`; with
    /// `undoing`, only the undos of that run (`roster undo RUN`, dry runs included); with
    /// `unsuccessful`, only those that ended otherwise than in success, or have not ended.
    /// Listed, a run has no script text and no kept bytes of its inputs or CSV (`run(_:)`
    /// has them). With `before`, only runs older than that one: the next page of a long list.
    func runs(tenant: String?, since: Date?, undoing: Int64?, unsuccessful: Bool, before: Int64?, limit: Int) throws(JournalError) -> [RunSummary]
    /// A run's changes, in the order they were made (attempt by attempt), handed to `each`
    /// as they are read: a run of many rows may hold more than fits in memory at once.
    func changes(runID: Int64, each: (JournalChange) -> Void) throws(JournalError)
    /// Every change sent (not planned, not replayed), oldest first: the audit trail, handed
    /// to `each` one at a time from one snapshot of the journal, so that a trail larger than
    /// memory streams through it.
    func audit(since: Date?, until: Date?, tenant: String?, vendor: String?, each: (JournalChange) -> Void) throws(JournalError)
    /// The runs (of `tenant`) started before `cutoff`, and the links between runs that
    /// pruning must keep (`PruneSelection`).
    func pruneSurvey(before cutoff: Date, tenant: String?) throws(JournalError) -> PruneSurvey
    /// Deletes runs `ids` with their attempts, changes, rows, queue entries and the plans
    /// they made, in one transaction; how many change rows went.
    func deleteRuns(_ ids: [Int64]) throws(JournalError) -> Int
    /// Gives the space deleted runs held back where the store can (SQLite: the file is
    /// rewritten, if no other process is writing it); one line saying what came of it, or
    /// nil where the database does it itself (PostgreSQL's autovacuum).
    func reclaimSpace() -> String?
}

extension JournalStore {
    /// Takes run `runID` for this process before it runs an attempt of it (RunHold.swift):
    /// throws, naming the process, when another process on this host runs it now. A shared
    /// store also fences each change by its attempt, for processes on other hosts.
    public func holdRun(_ runID: Int64) throws(JournalError) {
        try RunHold.take(runID, in: changeLogFolder)
    }

    /// The process on this host running run `runID` now, if one is.
    public func processRunning(_ runID: Int64) -> Int32? {
        RunHold.holder(of: runID, in: changeLogFolder)
    }

    @discardableResult
    public func commit(_ operations: [JournalOperation]) throws(JournalError) -> [Int64] { try commit(operations, idempotent: false) }

    /// How the attempt ended, ending now. `error`: the one line it ended on, when it failed.
    public func finishAttempt(runID: Int64, attempt: Int, outcome: String, exitCode: Int, reads: Int, error: String?) throws(JournalError) {
        try finishAttempt(AttemptEnd(runID: runID, attempt: attempt, outcome: outcome, exitCode: exitCode, reads: reads, error: error))
    }

    /// The records' operations, committed.
    @discardableResult
    public func commit(records: [UInt8], idempotent: Bool) throws(JournalError) -> [Int64] {
        try commit(LogRecord.operations(in: records), idempotent: idempotent)
    }

    /// A run's changes, in the order they were made (attempt by attempt).
    public func changes(runID: Int64) throws(JournalError) -> [JournalChange] {
        var changes: [JournalChange] = []
        try self.changes(runID: runID) { changes.append($0) }
        return changes
    }

    public func runs(tenant: String? = nil, since: Date? = nil, unsuccessful: Bool = false, before: Int64? = nil, limit: Int = 200) throws(JournalError) -> [RunSummary] {
        try runs(tenant: tenant, since: since, undoing: nil, unsuccessful: unsuccessful, before: before, limit: limit)
    }

    /// The undo run that changed something of run `runID` (the newest, if several did):
    /// `roster undo` is not done twice, and a run undone is not resumed on top of its undo.
    public func undo(of runID: Int64) throws(JournalError) -> RunSummary? {
        try runs(tenant: nil, since: nil, undoing: runID, unsuccessful: false, before: nil, limit: 1_000).first { summary in
            !summary.run.run.dryRun && summary.done + summary.failed + summary.unknown + summary.sending > 0
        }
    }

    /// The audit trail (`audit(…each:)`) as one list, for the few changes a filter keeps.
    public func audit(since: Date? = nil, until: Date? = nil, tenant: String? = nil, vendor: String? = nil) throws(JournalError) -> [JournalChange] {
        var changes: [JournalChange] = []
        try audit(since: since, until: until, tenant: tenant, vendor: vendor) { changes.append($0) }
        return changes
    }
}

/// Columns both stores select a run with, beyond the `runs` table's own.
enum RunColumns {
    /// `reads`: the reads of the run's attempts, summed.
    static let reads = "(SELECT COALESCE(SUM(reads), 0) FROM attempts WHERE run_id = runs.id) AS reads"

    /// A run's columns as a list of runs reads them: without the script's text and without
    /// the bytes kept of a piped CSV or input (each as large as the file was), which only
    /// resuming one run needs. Listing 20 runs of a piped 4 MB CSV held 184 MB.
    static func listed(user: String, inputs: String, each: String) -> String {
        """
        id, kind, \(user), host, script, '' AS script_text, script_sha256, plugin, plugin_version, workflow, arguments,
        \(inputs) AS inputs, tenant, config_file, seed, dry_run, started_at, ended_at, outcome, exit_code, attempts,
        \(each) AS each, clock, modules, admitted, targets, limits, error
        """
    }
}

/// A group of journal writes as a store writes them: a change whose outcome is in the same
/// group is inserted once, as it ended, and that outcome is then skipped — both stores
/// share this. `Text` is how its texts are held: Strings, or where they lie in change-log
/// records (which SQLite binds without copying them).
struct JournalBatch<Text> {
    /// How a change ended, as its outcome records it.
    struct Outcome {
        var state: ChangeState
        var already: Bool
        var result: Text?
        var error: Text?
        var notApplied: Bool
        /// Seconds since 1970.
        var time: Double
    }

    /// A change's row as inserted: how it stands (its outcome's, when the group holds one).
    struct ChangeRow {
        var end: Outcome
        var startedAt: Double
        /// When it ended: not yet for a change being sent.
        var finishedAt: Double?
        var durationMilliseconds: Double? { finishedAt.map { ($0 - startedAt) * 1000 } }
        /// It carries its outcome (stored only if the row is).
        var carriesOutcome: Bool
    }

    /// Each change's outcome, and whether it went with the change's row (`folded`).
    private var outcomes: [ChangeReference: (end: Outcome, folded: Bool)] = [:]

    /// A group with `outcomes` (of one change, the last one counts), about `count` of them.
    init(outcomes: some Sequence<(ChangeReference, Outcome)>, count: Int = 0) {
        // Sized once: a batch holds hundreds, and a growing dictionary hashes each again.
        self.outcomes.reserveCapacity(count)
        outcomes.forEach { self.outcomes[$0] = ($1, false) }
    }

    init(_ operations: [JournalOperation]) where Text == String {
        self.init(outcomes: operations.lazy.compactMap { operation -> (ChangeReference, Outcome)? in
            guard case .finish(let place, let state, let already, let result, let error, let notApplied, let at) = operation else { return nil }
            return (place, Outcome(state: state, already: already, result: result, error: error, notApplied: notApplied, time: at.timeIntervalSince1970))
        })
    }

    /// The row to insert for a change in state `state` at `started` (with the outcome in
    /// this group folded in, when there is one); a replayed change has the earlier one's
    /// `already` and `result`.
    func row(_ place: ChangeReference, state: ChangeState, replayedAlready: Bool, replayedResult: Text?, at started: Double) -> ChangeRow {
        if state == .sending, let end = outcomes[place]?.end {
            return ChangeRow(end: end, startedAt: started, finishedAt: end.time, carriesOutcome: true)
        }
        return ChangeRow(end: Outcome(state: state, already: replayedAlready, result: replayedResult, error: nil, notApplied: false, time: started),
                         startedAt: started, finishedAt: state == .sending ? nil : started, carriesOutcome: false)
    }

    func row(_ place: ChangeReference, state: ChangeState, replayedFrom: ReplaySource?, at: Date) -> ChangeRow where Text == String {
        row(place, state: state, replayedAlready: replayedFrom?.already ?? false, replayedResult: replayedFrom?.result, at: at.timeIntervalSince1970)
    }

    /// `row` was stored (not found stored already): its outcome, if it carried one, is done.
    mutating func stored(_ place: ChangeReference, _ row: ChangeRow) {
        if row.carriesOutcome { outcomes[place]?.folded = true }
    }

    /// Whether the outcome of `place` went with its row.
    func isFolded(_ place: ChangeReference) -> Bool { outcomes[place]?.folded ?? false }
}

/// A journal's location as it may be shown in a message: a URL's password, when one was
/// written into it (`postgres://roster:pw@db/roster`), left out.
public enum JournalLocation {
    public static func shown(_ location: String) -> String {
        guard let scheme = location.range(of: "://") else { return location }
        // The last `@`: a password typed unencoded may hold `/` or `@` itself.
        guard let at = location[scheme.upperBound...].lastIndex(of: "@"),
              let colon = location[scheme.upperBound..<at].firstIndex(of: ":") else { return location }
        return String(location[..<colon] + location[at...])
    }
}
