/// RunJournal.swift: one attempt of one run, journaled — the run's record (who, what,
/// where), each write committed before it is sent, and, in a resumed attempt, the changes
/// earlier attempts made answered from the journal.
import Bindings
import Dispatch
import Foundation
import Journal
import Synchronization
import Vendors

/// The journal of one attempt, as the vendor modules use it (`ChangeJournal`).
public final class RunJournal: ChangeJournal {
    public let store: JournalStore
    public let runID: Int64
    public let attempt: Int
    /// The seed `math.random` gets in every attempt.
    public let seed: Int64
    /// The admin's decision for changes of unknown outcome nothing can check.
    let assumption: UnknownAssumption?
    /// What earlier attempts made of each change, by key and occurrence (the latest).
    private let earlier: [String: JournalChange]
    private let occurrences = Mutex<[String: Int]>([:])
    private let sequence = Atomic<Int>(0)
    private let reads = Atomic<Int>(0)
    private let committer: GroupCommitter

    /// A change decided on: its row's commit, started at once (the Lua thread goes on; the
    /// call waits for it before it is sent); or, for a toggle, the row to commit once the
    /// state it finds is read.
    private enum Row: Sendable {
        case submitted(PendingCommit)
        case afterStateRead(@Sendable (JSONValue) -> JournalOperation)
    }

    private init(store: JournalStore, runID: Int64, attempt: Int, seed: Int64, assumption: UnknownAssumption?, earlier: [JournalChange]) {
        self.store = store
        self.runID = runID
        self.attempt = attempt
        self.seed = seed
        self.assumption = assumption
        var latest: [String: JournalChange] = [:]
        for change in earlier { latest["\(change.key)#\(change.occurrence)"] = change }
        self.earlier = latest
        committer = GroupCommitter(store)
    }

    /// Journals a new run; its first attempt.
    public static func start(_ run: NewRun, in store: JournalStore) throws(JournalError) -> RunJournal {
        let id = try store.startRun(run)
        return RunJournal(store: store, runID: id, attempt: 1, seed: run.seed, assumption: nil, earlier: [])
    }

    /// The next attempt of `run`, knowing what the earlier ones made.
    public static func resume(_ run: JournalRun, in store: JournalStore, assuming assumption: UnknownAssumption?) throws(JournalError) -> RunJournal {
        let earlier = try store.changes(runID: run.id)
        let attempt = try store.startAttempt(runID: run.id)
        return RunJournal(store: store, runID: run.id, attempt: attempt, seed: run.run.seed, assumption: assumption, earlier: earlier)
    }

    /// `roster resume 12`
    public var resumeCommand: String { "roster resume \(runID)" }

    public func willSend(_ change: PendingChange) -> JournalDecision { decide(change, occurrences: occurrences) }

    public func sentEarlier(_ change: PendingChange) -> Bool { sentEarlier(change, occurrences: occurrences) }

    /// Whether an earlier attempt sent `change` as its next occurrence in `occurrences`.
    func sentEarlier(_ change: PendingChange, occurrences: borrowing Mutex<[String: Int]>) -> Bool {
        let occurrence = occurrences.withLock { $0[change.key, default: 0] }
        guard let previous = earlier["\(change.key)#\(occurrence)"] else { return false }
        return [.succeeded, .replayed, .sending, .unknown].contains(previous.state)
    }

    /// The journal of row `number` of an `--each` run: its changes are keyed by the row, so
    /// that rows running side by side (in any order) each find their own on a resume.
    public func row(_ number: Int) -> RowJournal { RowJournal(run: self, number: number) }

    /// How a row ended.
    public func finishRow(number: Int, key: String, sha256: String, state: RowState, error: String?, changes: Int) {
        try? store.finishRow(JournalRow(runID: runID, number: number, attempt: attempt, key: key, sha256: sha256, state: state,
                                        error: error, changes: changes))
    }

    /// What to do with `change`, counting its occurrences in `occurrences` (the run's, or a
    /// row's).
    func decide(_ change: PendingChange, occurrences: borrowing Mutex<[String: Int]>) -> JournalDecision {
        let occurrence = occurrences.withLock { counts in
            defer { counts[change.key, default: 0] += 1 }
            return counts[change.key, default: 0]
        }
        let sequence = sequence.add(1, ordering: .relaxed).newValue
        let (runID, attempt) = (self.runID, self.attempt)
        // The row's JSON is written by the writer thread, not the Lua thread that decides.
        @Sendable func row(_ state: ChangeState, _ replayedFrom: JournalChange?, stateBefore: JSONValue? = nil) -> JournalOperation {
            let arguments = Dictionary(change.arguments.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            return .insert(NewChange(vendor: change.vendor.rawValue, operation: change.operation, effect: change.effect.rawValue,
                                     key: change.key, occurrence: occurrence, arguments: JSONValue.object(arguments).canonicalText,
                                     stateBefore: stateBefore?.canonicalText),
                           runID: runID, attempt: attempt, sequence: sequence, state: state, replayedFrom: replayedFrom)
        }
        func sending() -> JournalTicket {
            if change.readsStateFirst {
                return JournalTicket(row: Row.afterStateRead { state in row(.sending, nil, stateBefore: state) })
            }
            return JournalTicket(row: Row.submitted(committer.submit { row(.sending, nil) }))
        }
        if let previous = earlier["\(change.key)#\(occurrence)"] {
            switch previous.state {
            case .succeeded, .replayed:
                committer.enqueue { row(.replayed, previous) }
                return .replay(answer: previous.result.flatMap(JSONValue.parse) ?? .null, already: previous.already)
            case .sending, .unknown:
                return .reconcile(sending(), assumption: assumption, stateBefore: previous.stateBefore.flatMap(JSONValue.parse))
            case .failed, .planned:
                break
            }
        }
        return .send(sending())
    }

    public func recordSending(_ ticket: JournalTicket, stateBefore: JSONValue?) async throws -> Int64 {
        switch ticket.row as? Row {
        case .submitted(let commit)?:
            return try await commit.value()
        case .afterStateRead(let row)?:
            return try await committer.submit { row(stateBefore ?? .null) }.value()
        case nil:
            throw JournalError("a change this journal did not decide on")
        }
    }

    public func didFinish(_ id: Int64, _ outcome: JournaledOutcome) {
        // Committed with the next group; a row whose outcome never lands stays `sending`,
        // which a resume checks as unknown: safe.
        committer.enqueue {
            switch outcome {
            case .succeeded(let answer, let already):
                .finish(id, state: .succeeded, already: already, result: answer.canonicalText, error: nil, notApplied: false)
            case .failed(let message, let notApplied):
                .finish(id, state: .failed, already: false, result: nil, error: message, notApplied: notApplied)
            case .unknown(let message):
                .finish(id, state: .unknown, already: false, result: nil, error: message, notApplied: false)
            }
        }
    }

    public func didRead() { reads.add(1, ordering: .relaxed) }

    /// Journals a dry run's plan.
    public func recordPlan(_ plan: [VendorCallRecord]) throws(JournalError) {
        let operations = plan.map { change in
            let arguments = Dictionary(change.arguments.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            return JournalOperation.insert(NewChange(vendor: change.vendor.rawValue, operation: change.operation, effect: change.effect,
                                                     key: change.summary, occurrence: 0, arguments: JSONValue.object(arguments).canonicalText),
                                           runID: runID, attempt: attempt, sequence: sequence.add(1, ordering: .relaxed).newValue,
                                           state: .planned, replayedFrom: nil)
        }
        _ = try store.commit(operations)
    }

    /// Changes still `sending` become `unknown` (the run ends without their answers); what
    /// is queued is committed first.
    public func abandonInFlight(_ reason: String) {
        committer.flush()
        try? store.abandonInFlight(runID: runID, attempt: attempt, reason: reason)
    }

    /// How the attempt ended (what is queued is committed first).
    public func finish(outcome: String, exitCode: Int32) {
        committer.flush()
        try? store.finishAttempt(runID: runID, attempt: attempt, outcome: outcome, exitCode: Int(exitCode),
                                 reads: reads.load(ordering: .relaxed))
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

    public func recordSending(_ ticket: JournalTicket, stateBefore: JSONValue?) async throws -> Int64 {
        try await run.recordSending(ticket, stateBefore: stateBefore)
    }

    public func didFinish(_ id: Int64, _ outcome: JournaledOutcome) { run.didFinish(id, outcome) }
    public func didRead() { run.didRead() }
}

/// Commits journal writes in groups: a change's row is submitted as soon as the change is
/// decided on and committed by a writer thread together with whatever else is queued
/// (other rows, outcomes); the change is sent only once its row is committed. Many calls
/// in flight cost few commits, and the Lua thread never waits on the disk.
final class GroupCommitter: Sendable {
    /// An operation, built when its group is written (on the writer thread).
    typealias Deferred = @Sendable () -> JournalOperation

    private struct Queue {
        var operations: [Deferred] = []
        /// Who waits for which operation (its index in `operations`).
        var pending: [(Int, PendingCommit)] = []
        var draining = false
    }

    private let store: JournalStore
    private let queue = Mutex(Queue())

    init(_ store: JournalStore) { self.store = store }

    /// Queues `operation` for the next group, started now if none is under way; its row id
    /// arrives in the returned commit.
    func submit(_ operation: @escaping Deferred) -> PendingCommit {
        let commit = PendingCommit()
        let start = queue.withLock { queue in
            queue.pending.append((queue.operations.count, commit))
            queue.operations.append(operation)
            defer { queue.draining = true }
            return !queue.draining
        }
        if start { DispatchQueue.global(qos: .userInitiated).async { self.drain() } }
        return commit
    }

    /// Queues `operation` (an outcome, a replayed row): it goes with the next group, or at
    /// the latest with `flush` when the run ends. Nobody waits on it, so it starts no group
    /// of its own: a busy run pays no extra commit for it.
    func enqueue(_ operation: @escaping Deferred) {
        queue.withLock { $0.operations.append(operation) }
    }

    /// Commits everything queued, waiting for a group under way.
    func flush() {
        while true {
            let mine = queue.withLock { queue in
                defer { queue.draining = true }
                return !queue.draining
            }
            if mine {
                drain()
                return
            }
            usleep(500)
        }
    }

    /// Writes groups until the queue is empty, then marks it idle. SQLite blocks: this runs
    /// on a dispatch thread (or the ending run's), never on Swift's small pool.
    private func drain() {
        while true {
            let (operations, pending) = queue.withLock { queue in
                let group = (queue.operations, queue.pending)
                queue.operations = []
                queue.pending = []
                if group.0.isEmpty { queue.draining = false }
                return group
            }
            if operations.isEmpty { return }
            do {
                let ids = try store.commit(operations.map { $0() })
                for (index, commit) in pending { commit.fulfil(.success(ids[index])) }
            } catch {
                for (_, commit) in pending { commit.fulfil(.failure(error)) }
            }
        }
    }
}

/// A row's commit, awaited by the call that sends the change.
final class PendingCommit: Sendable {
    private struct State {
        var result: Result<Int64, any Error>?
        var waiter: CheckedContinuation<Int64, any Error>?
    }

    private let state = Mutex(State())

    func fulfil(_ result: Result<Int64, any Error>) {
        let waiter = state.withLock { state in
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    /// The row's id once committed. Usually the commit is done before the call asks (it was
    /// submitted when the call was decided on): then there is no suspension and no hop.
    func value() async throws -> Int64 {
        if let ready = state.withLock({ $0.result }) { return try ready.get() }
        return try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state in
                if state.result == nil { state.waiter = continuation }
                return state.result
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
