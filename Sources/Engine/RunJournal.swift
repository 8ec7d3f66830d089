/// RunJournal.swift: one attempt of one run, journaled — the run's record (who, what,
/// where), each write appended to the attempt's change log before it is sent (and stored
/// in the database in batches), and, in a resumed attempt, the changes earlier attempts
/// made answered from the journal.
import Bindings
import Foundation
import Journal
import LuaHost
import Synchronization
import Vendors

/// The journal of one attempt, as the vendor modules use it (`ChangeJournal`).
public final class RunJournal: ChangeJournal {
    public let store: JournalStore
    public let runID: Int64
    public let attempt: Int
    /// The seed `math.random` gets in every attempt.
    public let seed: Int64
    /// The Unix time `os.time()` answers in every attempt (`NewRun.clock`).
    public let clock: Int64
    /// Whether an earlier attempt got past the run's gate (confirmation, `max_changes`;
    /// journaled by `recordAdmitted`, or shown by a change it sent or a row it ran). A run
    /// refused there, or stopped or killed before it got past, has not, and its next attempt
    /// must pass the gate as a new run does.
    public let admitted: Bool
    /// The admin's decision for changes of unknown outcome nothing can check.
    let assumption: UnknownAssumption?
    /// What earlier attempts made of each change, by key and occurrence (the latest).
    private let earlier: [String: JournalChange]
    private let occurrences = Mutex<[String: Int]>([:])
    private let sequence = Atomic<Int>(0)
    private let reads = Atomic<Int>(0)
    private let writer: JournalWriter

    /// A change decided on: its row, logged when the call is about to be sent (off the Lua
    /// thread), with the state its target was found in just before, if it reads one.
    private final class Row: Sendable {
        let change: PendingChange
        let place: ChangeReference
        let occurrence: Int

        init(change: PendingChange, place: ChangeReference, occurrence: Int) {
            self.change = change
            self.place = place
            self.occurrence = occurrence
        }

        /// Its row in `state`. The arguments' JSON is written here, when the call is sent,
        /// not on the Lua thread that decides.
        func operation(_ state: ChangeState, replayedFrom: JournalChange? = nil, stateBefore: JSONValue? = nil) -> JournalOperation {
            .insert(NewChange(vendor: change.vendor.rawValue, operation: change.operation, effect: change.effect.rawValue,
                              key: change.key, occurrence: occurrence, arguments: VendorCallRecord.canonicalText(change.arguments),
                              stateBefore: stateBefore?.canonicalText),
                    place, state: state, replayedFrom: replayedFrom?.replaySource, at: Date())
        }
    }

    private init(store: JournalStore, runID: Int64, attempt: Int, seed: Int64, clock: Int64, admitted: Bool,
                 assumption: UnknownAssumption?, earlier: [JournalChange]) {
        self.clock = clock
        self.admitted = admitted
        self.store = store
        self.runID = runID
        self.attempt = attempt
        self.seed = seed
        self.assumption = assumption
        var latest: [String: JournalChange] = [:]
        for change in earlier { latest["\(change.key)#\(change.occurrence)"] = change }
        self.earlier = latest
        writer = JournalWriter(store, runID: runID, attempt: attempt)
    }

    /// Journals a new run; its first attempt.
    public static func start(_ run: NewRun, in store: JournalStore) throws(JournalError) -> RunJournal {
        var run = run
        let clock = run.clock ?? RunJournal.now
        run.clock = clock
        let id = try store.startRun(run)
        // No one else knows the id yet: this holds it against a resume while it runs.
        try store.holdRun(id)
        return RunJournal(store: store, runID: id, attempt: 1, seed: run.seed, clock: clock, admitted: false, assumption: nil, earlier: [])
    }

    /// The next attempt of `run`, knowing what the earlier ones made.
    public static func resume(_ run: JournalRun, in store: JournalStore, assuming assumption: UnknownAssumption?) throws(JournalError) -> RunJournal {
        try store.holdRun(run.id)
        // The attempt first, then what earlier ones did: once this attempt is the latest, an
        // earlier one still running (on another host) stores no further change, so none it
        // sends can be missing from what is read here.
        let (attempt, clock) = try store.startAttempt(runID: run.id, now: RunJournal.now)
        let earlier = try store.changes(runID: run.id).filter { $0.attempt < attempt }
        var admitted = run.admitted || !earlier.isEmpty
        // A row an earlier attempt ran (with changes or none) was past the gate too.
        if !admitted, run.run.each != nil { admitted = try store.rows(runID: run.id).contains { $0.attempt < attempt } }
        // The earlier attempts are over: a change still `sending` there got no answer. This
        // attempt checks it if the script makes it again; if not (the script found nothing
        // left to do), it stays journaled as what it is: of unknown outcome.
        for earlierAttempt in Set(earlier.filter { $0.state == .sending }.map(\.attempt)) {
            try store.abandonInFlight(runID: run.id, attempt: earlierAttempt,
                                      reason: "attempt \(earlierAttempt) ended (killed or cut) before the vendor answered")
        }
        return RunJournal(store: store, runID: run.id, attempt: attempt, seed: run.run.seed, clock: clock, admitted: admitted,
                          assumption: assumption, earlier: earlier)
    }

    /// The Unix time now, in whole seconds, as `os.time()` counts.
    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    /// Journals that the run got past its gate, before it sends anything: its resumes do not
    /// ask again. A failure to journal it only means a resume would ask.
    public func recordAdmitted() {
        guard !admitted else { return }
        try? store.admitRun(runID)
    }

    public func willSend(_ change: PendingChange) -> JournalDecision { decide(change, occurrences: occurrences) }

    public func sentEarlier(_ change: PendingChange) -> Bool { sentEarlier(change, occurrences: occurrences) }

    /// Whether an earlier attempt sent `change` as its next occurrence in `occurrences`.
    func sentEarlier(_ change: PendingChange, occurrences: borrowing Mutex<[String: Int]>) -> Bool {
        guard !earlier.isEmpty else { return false }
        let occurrence = occurrences.withLock { $0[change.key, default: 0] }
        guard let previous = earlier["\(change.key)#\(occurrence)"] else { return false }
        return [.succeeded, .replayed, .sending, .unknown].contains(previous.state)
    }

    /// The journal of row `number` of an `--each` run: its changes are keyed by the row, so
    /// that rows running side by side (in any order) each find their own on a resume.
    public func row(_ number: Int) -> RowJournal { RowJournal(run: self, number: number) }

    /// How a row ended: logged after its changes' outcomes and stored with them (a row
    /// recorded as done is not run again by a resume, so none of its changes may be left
    /// `sending`). Not logged (a full disk), the row runs again on a resume, its changes
    /// replayed.
    public func finishRow(number: Int, key: String, sha256: String, state: RowState, error: String?, changes: Int) {
        try? writer.write(.row(JournalRow(runID: runID, number: number, attempt: attempt, key: key, sha256: sha256, state: state,
                                          error: error, changes: changes)))
    }

    /// What to do with `change`, counting its occurrences in `occurrences` (the run's, or a
    /// row's).
    func decide(_ change: PendingChange, occurrences: borrowing Mutex<[String: Int]>) -> JournalDecision {
        // Read and counted in one lookup (a bulk run keys thousands of changes).
        func next(_ count: inout Int) -> Int {
            defer { count += 1 }
            return count
        }
        let occurrence = occurrences.withLock { counts in next(&counts[change.key, default: 0]) }
        let row = Row(change: change, place: ChangeReference(runID: runID, attempt: attempt, sequence: sequence.add(1, ordering: .relaxed).newValue),
                      occurrence: occurrence)
        let ticket = JournalTicket(row: row)
        if !earlier.isEmpty, let previous = earlier["\(change.key)#\(occurrence)"] {
            switch previous.state {
            case .succeeded, .replayed:
                try? writer.write(row.operation(.replayed, replayedFrom: previous))
                return .replay(answer: previous.result.flatMap(JSONValue.parse) ?? .null, already: previous.already)
            case .sending, .unknown:
                return .reconcile(ticket, assumption: assumption, stateBefore: previous.stateBefore.flatMap(JSONValue.parse))
            case .failed, .planned:
                break
            }
        }
        return .send(ticket)
    }

    public func recordSending(_ ticket: JournalTicket, stateBefore: JSONValue?) throws -> Int64 {
        guard let row = ticket.row as? Row else { throw JournalError("a change this journal did not decide on") }
        try writer.write(row.operation(.sending, stateBefore: row.change.readsStateFirst ? stateBefore ?? .null : nil))
        return Int64(row.place.sequence)
    }

    public func didFinish(_ id: Int64, _ outcome: JournaledOutcome) {
        // A row whose outcome never lands stays `sending`, which a resume checks as unknown: safe.
        let place = ChangeReference(runID: runID, attempt: attempt, sequence: Int(id))
        let operation: JournalOperation = switch outcome {
        case .succeeded(let answer, let already):
            .finish(place, state: .succeeded, already: already, result: answer.canonicalText, error: nil, notApplied: false, at: Date())
        case .failed(let message, let notApplied):
            .finish(place, state: .failed, already: false, result: nil, error: message, notApplied: notApplied, at: Date())
        case .unknown(let message):
            .finish(place, state: .unknown, already: false, result: nil, error: message, notApplied: false, at: Date())
        }
        try? writer.write(operation, durable: false)
    }

    public func didRead() { reads.add(1, ordering: .relaxed) }

    /// Journals a dry run's plan.
    public func recordPlan(_ plan: [VendorCallRecord]) throws(JournalError) {
        let operations = plan.map { change in
            let arguments = Dictionary(change.arguments.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            return JournalOperation.insert(NewChange(vendor: change.vendor.rawValue, operation: change.operation, effect: change.effect,
                                                     key: change.summary, occurrence: 0, arguments: JSONValue.object(arguments).canonicalText),
                                           ChangeReference(runID: runID, attempt: attempt, sequence: sequence.add(1, ordering: .relaxed).newValue),
                                           state: .planned, replayedFrom: nil, at: Date())
        }
        try store.commit(operations)
    }

    /// Changes still `sending` become `unknown` (the run ends without their answers); what
    /// is logged is stored first.
    public func abandonInFlight(_ reason: String) {
        writer.flush()
        try? store.abandonInFlight(runID: runID, attempt: attempt, reason: reason)
    }

    /// Journals how the attempt ended, and the line it failed on, if it did, with what is
    /// logged before it (the log is then deleted). Returns nil once the journal has it;
    /// else the line to tell the admin: where it waits for the database (a full disk), or
    /// that the run will be listed as if killed.
    public func finish(outcome: String, exitCode: Int32, error: String? = nil) -> String? {
        writer.close(ending: AttemptEnd(runID: runID, attempt: attempt, outcome: outcome, exitCode: Int(exitCode),
                                        reads: reads.load(ordering: .relaxed), error: error))
    }
}

/// The journal of one row of an `--each` run: the run's, with every change's key naming the
/// row (`row 17: encore.create_user {...}`).
public final class RowJournal: ChangeJournal {
    let run: RunJournal
    public let number: Int
    private let occurrences = Mutex<[String: Int]>([:])

    init(run: RunJournal, number: Int) {
        self.run = run
        self.number = number
    }

    public func willSend(_ change: PendingChange) -> JournalDecision {
        var scoped = change
        scoped.key = "row \(number): \(change.key)"
        return run.decide(scoped, occurrences: occurrences)
    }

    public func sentEarlier(_ change: PendingChange) -> Bool {
        var scoped = change
        scoped.key = "row \(number): \(change.key)"
        return run.sentEarlier(scoped, occurrences: occurrences)
    }

    public func recordSending(_ ticket: JournalTicket, stateBefore: JSONValue?) throws -> Int64 {
        try run.recordSending(ticket, stateBefore: stateBefore)
    }

    public func didFinish(_ id: Int64, _ outcome: JournaledOutcome) { run.didFinish(id, outcome) }
    public func didRead() { run.didRead() }
}

/// Writes an attempt's journal: each operation appended to the attempt's change log at
/// once (durable against a killed process before the call it records is sent), and stored
/// in the database in batches a moment later, off the calls' path: a bulk run pays a few
/// transactions a second instead of one per change. The log itself is the queue of what
/// the database has yet to take; no operation waits in memory.
final class JournalWriter: Sendable {
    private struct State {
        var log: ChangeLog?
        /// Outcomes to log with the next change.
        var unlogged: [JournalOperation] = []
        /// Outcomes to commit with the next change (a store that keeps no local log).
        var uncommitted: [JournalOperation] = []
        var scheduled = false
    }

    private let store: JournalStore
    private let runID: Int64
    private let attempt: Int
    private let state = Mutex(State())
    /// Held while a batch is stored, so that batches go in order.
    private let storing = Mutex(())
    /// How long an operation may wait in the log before it is stored.
    static let batchDelay = Duration.milliseconds(50)

    init(_ store: JournalStore, runID: Int64, attempt: Int) {
        self.store = store
        self.runID = runID
        self.attempt = attempt
    }

    /// Appends `operation` to the log (created on the first write); it is stored with the
    /// next batch. An outcome (`durable: false`) is logged with the next change instead, in
    /// the same write: if the process is killed first, its change stays `sending`, which a
    /// resume checks as unknown.
    func write(_ operation: JournalOperation, durable: Bool = true) throws(JournalError) {
        // A shared store (PostgreSQL) keeps nothing on this host: another host may have to
        // resume the run. A change is committed there before it is sent; outcomes go in batches.
        guard store.logsChangesLocally else {
            if durable {
                // With the outcomes before it, in order.
                try storing.withLock { _ throws(JournalError) in
                    let outcomes = state.withLock { state in
                        defer { state.uncommitted = [] }
                        return state.uncommitted
                    }
                    try store.commit(outcomes + [operation])
                }
            } else {
                let schedule = state.withLock { state -> Bool in
                    state.uncommitted.append(operation)
                    defer { state.scheduled = true }
                    return !state.scheduled
                }
                if schedule { scheduleFlush() }
            }
            return
        }
        let schedule = try state.withLock { state throws(JournalError) -> Bool in
            defer { state.scheduled = true }
            guard durable else {
                state.unlogged.append(operation)
                return !state.scheduled
            }
            if state.log == nil { state.log = try ChangeLog.create(for: store, runID: runID, attempt: attempt) }
            // Under the lock (a copy into the log's mapping, which takes its own lock anyway):
            // the outcomes' array keeps its storage from one change to the next.
            try state.log?.append(state.unlogged, then: operation)
            state.unlogged.removeAll(keepingCapacity: true)
            return !state.scheduled
        }
        if schedule { scheduleFlush() }
    }

    private func scheduleFlush() {
        BatchThread.shared.run(after: Self.batchDelay) { self.flush() }
    }

    /// Stores everything written so far (a failure leaves it in the log, for the next batch
    /// or the next process to open the journal).
    func flush() {
        storing.withLock { _ in
            let (log, outcomes) = take(closing: false)
            guard let log else {
                if !outcomes.isEmpty { _ = try? store.commit(outcomes) }
                return
            }
            // A failure leaves them in the log: stored by the next batch, or by the next
            // process that opens the journal.
            try? log.append(outcomes)
            try? log.storeAppended(in: store)
        }
    }

    /// Stores everything written, then the attempt's `end`, and deletes the log. When the
    /// database cannot take them (a full disk), they stay in the log (made for the end if
    /// there was none) for the next process that opens the journal, and this says so; when
    /// the log cannot take the end either, this says that it is lost.
    func close(ending end: AttemptEnd) -> String? {
        storing.withLock { _ -> String? in
            let (log, outcomes) = take(closing: true)
            let all = outcomes + [.end(end)]
            guard store.logsChangesLocally, let log else {
                // A shared store, or nothing logged (a run that changed nothing): straight in.
                do {
                    try store.commit(all)
                    return nil
                } catch {
                    guard store.logsChangesLocally,
                          let log = try? ChangeLog.create(for: store, runID: runID, attempt: attempt, capacity: ChangeLog.smallCapacity),
                          (try? log.append(all)) != nil
                    else { return lost(end, error) }
                    return waiting(end, in: log, error)
                }
            }
            do {
                try log.append(outcomes, then: .end(end))
            } catch {
                // The log is full and cannot grow: what it holds, then the end, straight in.
                do {
                    try log.storeAppended(in: store)
                    try store.commit(all)
                    log.remove()
                    return nil
                } catch {
                    return lost(end, error)
                }
            }
            do {
                try log.storeAppended(in: store)
                log.remove()
                return nil
            } catch {
                return waiting(end, in: log, error)
            }
        }
    }

    /// The log and the outcomes to store with it (`closing`: the log is then let go).
    private func take(closing: Bool) -> (ChangeLog?, [JournalOperation]) {
        state.withLock { state in
            defer {
                state.unlogged = []; state.uncommitted = []; state.scheduled = false
                if closing { state.log = nil }
            }
            // With no log (a shared store, or an outcome that came after the log was
            // closed), outcomes are committed as they are.
            return (state.log, state.log == nil ? state.uncommitted + state.unlogged : state.unlogged)
        }
    }

    private func waiting(_ end: AttemptEnd, in log: ChangeLog, _ error: any Error) -> String {
        "run \(end.runID) ended (\(end.outcome)), but \(error); how it ended waits in \(log.path), "
            + "and roster stores it the next time it opens this journal (roster runs does)"
    }

    private func lost(_ end: AttemptEnd, _ error: any Error) -> String {
        "run \(end.runID) ended (\(end.outcome)), but \(error): it will be listed as killed; "
            + "roster resume \(end.runID) finishes it (what it did is replayed, not sent again)"
    }
}

/// Where batches are stored: a thread of their own, so that a batch (a few milliseconds of
/// SQLite) never holds one of the few threads the run's async work (its calls, the
/// in-process emulator) runs on, and at a lower priority (nice +10) than those: the log
/// already keeps every change, so a batch can wait while the calls have work to do.
/// Its own thread, not a dispatch queue's: a thread's nice value stays with it (Linux),
/// and one lowered cannot be raised back by an unprivileged process.
private final class BatchThread: @unchecked Sendable {
    static let shared = BatchThread()

    /// Work to run, each at its time, in order (every batch waits the same delay). Guarded by `condition`.
    private var waiting: [(at: ContinuousClock.Instant, work: @Sendable () -> Void)] = []
    private let condition = NSCondition()

    private init() {
        Thread { [self] in loop() }.start()
    }

    /// Runs `work` on the thread once `delay` has passed.
    func run(after delay: Duration, _ work: @escaping @Sendable () -> Void) {
        condition.withLock {
            waiting.append((.now + delay, work))
            condition.signal()
        }
    }

    private func loop() {
        #if os(Linux)
        Thread.nameCurrent("roster-journal")
        // Linux keeps a nice value per thread; `who` 0 is the calling thread.
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
        while true {
            let work = condition.withLock { () -> (@Sendable () -> Void)? in
                guard let next = waiting.first else {
                    condition.wait()
                    return nil
                }
                let left = next.at - .now
                guard left <= .zero else {
                    let (seconds, attoseconds) = left.components
                    _ = condition.wait(until: Date(timeIntervalSinceNow: Double(seconds) + Double(attoseconds) / 1e18))
                    return nil
                }
                waiting.removeFirst()
                return next.work
            }
            work?()
        }
    }
}
