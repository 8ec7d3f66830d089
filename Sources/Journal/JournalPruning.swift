/// JournalPruning.swift: which old runs `roster runs prune` may delete. A journal grows with
/// every run (its script, every change, every row); pruning deletes what is settled and
/// keeps whatever a run still to be finished, resumed or undone depends on.
import Foundation

/// What pruning needs to know of a journal: the runs started before the cutoff, and how
/// runs depend on one another (whatever their age).
public struct PruneSurvey: Sendable {
    /// A run old enough to prune.
    public struct OldRun: Sendable, Equatable {
        public var id: Int64
        /// Whether its last attempt ended (it has an outcome).
        public var ended: Bool
        /// Its changes whose latest state is `unknown` or `sending`: sent, never answered.
        public var unanswered: Int
        /// Whether it waits in the run queue or a worker holds it.
        public var queued: Bool
        /// Its change rows (every attempt's).
        public var changes: Int

        public init(id: Int64, ended: Bool, unanswered: Int, queued: Bool, changes: Int) {
            self.id = id
            self.ended = ended
            self.unanswered = unanswered
            self.queued = queued
            self.changes = changes
        }
    }

    /// Two runs, the second of which needs the first.
    public struct Link: Sendable, Equatable {
        public var run: Int64
        public var of: Int64
        public init(run: Int64, of: Int64) {
            self.run = run
            self.of = of
        }
    }

    public var runs: [OldRun]
    /// Each undo run and the run it undoes (both in the journal).
    public var undos: [Link]
    /// Each run that applied a plan and the dry run that made it (both in the journal).
    public var applications: [Link]

    public init(runs: [OldRun], undos: [Link], applications: [Link]) {
        self.runs = runs
        self.undos = undos
        self.applications = applications
    }
}

/// The runs a prune deletes, and those it keeps though they are old enough, with why.
public struct PruneSelection: Sendable {
    /// Why an old run is kept.
    public enum Reason: Sendable, Equatable {
        /// It never ended (killed), or a change of it was sent and never answered: `roster
        /// resume` settles it (or `--include-unfinished` deletes it anyway).
        case unfinished
        /// It waits in the run queue, or a worker or a process on this host runs it now.
        case running
        /// An undo of it is kept: deleting it would let it be resumed on top of its undo.
        case undoneBy(Int64)
        /// It is an undo of a run that is kept: that run would read as never undone.
        case undoes(Int64)
        /// It made the plan a kept run applied: that run's resume reads the plan.
        case planAppliedBy(Int64)
    }

    /// Runs deleted per transaction.
    static let batch = 500

    /// The runs to delete, oldest first.
    public private(set) var deleted: [Int64]
    /// Their change rows, together.
    public private(set) var changes: Int
    /// The old runs kept, oldest first.
    public private(set) var kept: [(run: Int64, reason: Reason)]

    /// The runs to delete by their ids, in runs of consecutive ids (kept runs leave gaps):
    /// `run 4`, `runs 1 to 3`, `runs 5, 6, 9 to 12 and 14`; past four such runs of ids, how
    /// many runs the rest are.
    public var deletedRuns: String {
        var spans: [ClosedRange<Int64>] = []
        for id in deleted {
            if let last = spans.last, last.upperBound + 1 == id {
                spans[spans.count - 1] = last.lowerBound...id
            } else {
                spans.append(id...id)
            }
        }
        var items = spans.prefix(4).flatMap { span -> [String] in
            span.count > 2 ? ["\(span.lowerBound) to \(span.upperBound)"] : span.map { "\($0)" }
        }
        let rest = spans.dropFirst(4).reduce(0) { $0 + $1.count }
        if rest > 0 { items.append("\(rest) more") }
        guard let last = items.popLast() else { return "no run" }
        return (deleted.count == 1 ? "run " : "runs ") + (items.isEmpty ? last : items.joined(separator: ", ") + " and " + last)
    }

    /// Chooses from `survey`: every old run that ended with no change left unanswered (or
    /// any, with `includeUnfinished`) and that no process runs (`running`), unless a run
    /// kept needs it. An undo and the run it undoes go together or stay together.
    public init(_ survey: PruneSurvey, includeUnfinished: Bool, running: (Int64) -> Bool) {
        var reasons: [Int64: Reason] = [:]
        var chosen = Set<Int64>()
        for run in survey.runs {
            if run.queued || running(run.id) {
                reasons[run.id] = .running
            } else if !includeUnfinished && (!run.ended || run.unanswered > 0) {
                reasons[run.id] = .unfinished
            } else {
                chosen.insert(run.id)
            }
        }
        // Runs newer than the cutoff are kept too: whatever they need stays with them.
        var settled = false
        while !settled {
            settled = true
            for link in survey.undos where chosen.contains(link.run) != chosen.contains(link.of) {
                if chosen.contains(link.run) {
                    chosen.remove(link.run)
                    reasons[link.run] = .undoes(link.of)
                } else {
                    chosen.remove(link.of)
                    reasons[link.of] = .undoneBy(link.run)
                }
                settled = false
            }
            for link in survey.applications where !chosen.contains(link.run) && chosen.contains(link.of) {
                chosen.remove(link.of)
                reasons[link.of] = .planAppliedBy(link.run)
                settled = false
            }
        }
        let old = survey.runs.sorted { $0.id < $1.id }
        let gone = old.filter { chosen.contains($0.id) }
        deleted = gone.map(\.id)
        changes = gone.reduce(0) { $0 + $1.changes }
        kept = old.compactMap { run in reasons[run.id].map { (run.id, $0) } }
    }
}

extension JournalStore {
    /// The runs (of `tenant`) started before `cutoff` to delete. `holding`: each is taken
    /// for this process first (a resume or undo of it on this host then waits for the prune
    /// to end); one another process takes meanwhile is kept, and what it needs with it.
    public func pruneSelection(before cutoff: Date, tenant: String?, includeUnfinished: Bool, holding: Bool) throws(JournalError) -> PruneSelection {
        let survey = try pruneSurvey(before: cutoff, tenant: tenant)
        var busy = Set<Int64>()
        while true {
            let selection = PruneSelection(survey, includeUnfinished: includeUnfinished) { id in
                busy.contains(id) || processRunning(id) != nil
            }
            guard holding else { return selection }
            let taken = selection.deleted.filter { id in (try? holdRun(id)) == nil }
            if taken.isEmpty { return selection }
            busy.formUnion(taken)
        }
    }

    /// Deletes the runs `selection` chose, a batch per short transaction (runs going on
    /// meanwhile wait little); how many change rows went.
    public func prune(_ selection: PruneSelection) throws(JournalError) -> Int {
        var changes = 0
        for start in stride(from: 0, to: selection.deleted.count, by: PruneSelection.batch) {
            changes += try deleteRuns(Array(selection.deleted[start..<min(start + PruneSelection.batch, selection.deleted.count)]))
        }
        return changes
    }
}
