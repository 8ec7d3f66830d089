/// RunJournal.swift: one attempt of one run, journaled — the run's record (who, what,
/// where), each write committed before it is sent, and, in a resumed attempt, the changes
/// earlier attempts made answered from the journal.
import Bindings
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
    private let reads = Atomic<Int>(0)
    private let sent = Atomic<Int>(0)

    private init(store: JournalStore, runID: Int64, attempt: Int, seed: Int64, assumption: UnknownAssumption?, earlier: [JournalChange]) {
        self.store = store
        self.runID = runID
        self.attempt = attempt
        self.seed = seed
        self.assumption = assumption
        var latest: [String: JournalChange] = [:]
        for change in earlier { latest["\(change.key)#\(change.occurrence)"] = change }
        self.earlier = latest
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

    public func willSend(_ change: PendingChange) throws -> JournalDecision {
        let occurrence = occurrences.withLock { counts in
            defer { counts[change.key, default: 0] += 1 }
            return counts[change.key, default: 0]
        }
        let arguments = Dictionary(change.arguments.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        let new = NewChange(vendor: change.vendor.rawValue, operation: change.operation, effect: change.effect.rawValue,
                            key: change.key, occurrence: occurrence, arguments: JSONValue.object(arguments).canonicalText)
        if let previous = earlier["\(change.key)#\(occurrence)"] {
            switch previous.state {
            case .succeeded, .replayed:
                let original = previous.replayedFrom.map { _ in previous } ?? previous
                _ = try store.recordChange(new, runID: runID, attempt: attempt, state: .replayed, replayedFrom: original)
                return .replay(answer: previous.result.flatMap(JSONValue.parse) ?? .null, already: previous.already)
            case .sending, .unknown:
                let id = try store.recordChange(new, runID: runID, attempt: attempt)
                sent.add(1, ordering: .relaxed)
                return .reconcile(id: id, assumption: assumption)
            case .failed, .planned:
                break
            }
        }
        let id = try store.recordChange(new, runID: runID, attempt: attempt)
        sent.add(1, ordering: .relaxed)
        return .send(id: id)
    }

    public func didFinish(_ id: Int64, _ outcome: JournaledOutcome) {
        // A failure here leaves the row `sending`, which a resume checks as unknown: safe.
        switch outcome {
        case .succeeded(let answer, let already):
            try? store.finishChange(id, state: .succeeded, already: already, result: answer.canonicalText)
        case .failed(let message, let notApplied):
            try? store.finishChange(id, state: .failed, error: message, notApplied: notApplied)
        case .unknown(let message):
            try? store.finishChange(id, state: .unknown, error: message)
        }
    }

    public func didRead() { reads.add(1, ordering: .relaxed) }

    /// Journals a dry run's plan.
    public func recordPlan(_ plan: [VendorCallRecord]) throws(JournalError) {
        for change in plan {
            let arguments = Dictionary(change.arguments.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            _ = try store.recordChange(NewChange(vendor: change.vendor.rawValue, operation: change.operation, effect: change.effect,
                                                 key: change.summary, occurrence: 0, arguments: JSONValue.object(arguments).canonicalText),
                                       runID: runID, attempt: attempt, state: .planned)
        }
    }

    /// Changes still `sending` become `unknown` (the run ends without their answers).
    public func abandonInFlight(_ reason: String) {
        try? store.abandonInFlight(runID: runID, attempt: attempt, reason: reason)
    }

    /// How the attempt ended.
    public func finish(outcome: String, exitCode: Int32) {
        try? store.finishAttempt(runID: runID, attempt: attempt, outcome: outcome, exitCode: Int(exitCode),
                                 reads: reads.load(ordering: .relaxed))
    }
}

extension JSONValue {
    /// Sorted keys, no spaces: the form the journal stores and keys compare.
    var canonicalText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// The JSON in `text`, if it is JSON.
    static func parse(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}
