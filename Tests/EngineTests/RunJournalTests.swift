/// RunJournalTests.swift: one attempt's journal writer on its own — changes reach the
/// database in batches while the run goes on, on a thread below the calls' priority, and an
/// outcome that comes after the run has closed its change log is still stored.
import Bindings
import Engine
import Foundation
import Journal
import Testing
import TestSupport
import Vendors

@Suite struct RunJournalTests {
    static func start() throws -> (RunJournal, SQLiteJournalStore) {
        // Removed at exit: each test here left its journal behind (three a run of the suite).
        let path = try TemporaryFolders.new("run-journal").appendingPathComponent("journal.sqlite").path
        let store = try SQLiteJournalStore.open(path: path)
        let run = NewRun(kind: "run", user: "ada", host: "desk", script: "s.lua", scriptText: "", arguments: [:], inputs: [],
                         tenant: "emulator", configFile: nil, seed: 1, dryRun: false)
        return (try RunJournal.start(run, in: store), store)
    }

    /// Decides on, and journals as sent, a create of `name`; its row's id.
    static func send(_ name: String, in journal: RunJournal) throws -> Int64 {
        let change = PendingChange(vendor: .encore, operation: "create_user", effect: .write,
                                   key: "encore.create_user {fields.user_name=\"\(name)\"}",
                                   arguments: [VendorArgument("fields", .object(["user_name": .string(name)]))],
                                   ifUnknown: .check, readsStateFirst: false)
        guard case .send(let ticket) = journal.willSend(change) else { throw JournalError("not to be sent") }
        return try journal.recordSending(ticket, stateBefore: nil)
    }

    /// The states of the run's changes once `expected` (polled: batches are stored a moment later).
    static func states(of journal: RunJournal, in store: SQLiteJournalStore, becoming expected: [ChangeState]) async throws -> [ChangeState] {
        var states: [ChangeState] = []
        for _ in 0..<100 {
            states = try store.changes(runID: journal.runID).map(\.state)
            if states == expected { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        return states
    }

    @Test func changesReachTheDatabaseWhileTheRunGoesOn() async throws {
        let (journal, store) = try Self.start()
        let first = try Self.send("a", in: journal), second = try Self.send("b", in: journal)
        journal.didFinish(first, .succeeded(answer: .int(1), already: false))
        journal.didFinish(second, .failed(message: "refused", notApplied: true))
        // Not finished: the batch stores them (the outcomes logged with no change after them).
        #expect(try await Self.states(of: journal, in: store, becoming: [.succeeded, .failed]) == [.succeeded, .failed])
        #expect(journal.finish(outcome: "success", exitCode: 0) == nil)
        let changes = try store.changes(runID: journal.runID)
        #expect(changes.map(\.key) == [#"encore.create_user {fields.user_name="a"}"#, #"encore.create_user {fields.user_name="b"}"#])
        #expect(changes.map(\.arguments) == [#"{"fields":{"user_name":"a"}}"#, #"{"fields":{"user_name":"b"}}"#])
        #expect(changes[1].error == "refused" && changes[1].notApplied)
    }

    @Test func anOutcomeAfterTheRunHasEndedIsStillStored() async throws {
        let (journal, store) = try Self.start()
        let late = try Self.send("late", in: journal)
        #expect(journal.finish(outcome: "interrupted", exitCode: 130) == nil)
        #expect(try store.changes(runID: journal.runID).map(\.state) == [.sending])
        journal.didFinish(late, .succeeded(answer: .int(7), already: false))
        #expect(try await Self.states(of: journal, in: store, becoming: [.succeeded]) == [.succeeded])
        #expect(try store.changes(runID: journal.runID).first?.result == "7")
    }

    #if os(Linux)
    /// Batches are stored on a thread of their own, niced +10: the calls go first when the
    /// machine is busy (the log already keeps every change). The thread's nice value is read
    /// from /proc, as `ps -L` would.
    @Test func batchesAreStoredBelowTheCallsPriority() async throws {
        let (journal, store) = try Self.start()
        let sent = try Self.send("niced", in: journal)
        journal.didFinish(sent, .succeeded(answer: .int(1), already: false))
        #expect(try await Self.states(of: journal, in: store, becoming: [.succeeded]) == [.succeeded])
        #expect(journal.finish(outcome: "success", exitCode: 0) == nil)
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        // The name is cut to 15 bytes; the nice value is the 19th field of `stat`, counted after the name's parenthesis.
        let niceValues = tasks.compactMap { task -> Int? in
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                  name.hasPrefix("roster-journal"),
                  let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 16 ? Int(fields[16]) : nil
        }
        #expect(niceValues == [10])
    }
    #endif
}
