/// JournalStoreTests.swift: the journal's store on its own — a new file opened by many at
/// once, a change's life from `sending` to its outcome, counts per run, and the audit's
/// filters.
import Foundation
import GRDB
import Journal
import Testing
import TestSupport

@Suite struct JournalStoreTests {
    /// A new journal's path, in a folder of its own. All are in one folder removed when the
    /// test process exits: most tests here left theirs behind (eleven a run of the suite).
    static func temporaryPath() -> String {
        TemporaryFolders.root.appendingPathComponent("journal-\(UUID().uuidString)/journal.sqlite").path
    }

    static func newRun(tenant: String = "acme") -> NewRun {
        NewRun(kind: "run", user: "ada", host: "desk", script: "/s.lua", scriptText: "print(1)", arguments: ["k": "v"],
               inputs: [JournalInput(name: "people.csv", path: "/people.csv", sha256: "ab")], tenant: tenant, configFile: nil,
               seed: 7, dryRun: false)
    }

    static func change(_ key: String, occurrence: Int = 0, vendor: String = "encore") -> NewChange {
        NewChange(vendor: vendor, operation: "create_user", effect: "write", key: key, occurrence: occurrence, arguments: #"{"id":1}"#)
    }

    /// Records one change (one commit); its row id.
    /// Records one change (one commit); its row id and its place.
    @discardableResult
    static func record(_ change: NewChange, in store: JournalStore, run: Int64, attempt: Int, sequence: Int = 1,
                       state: ChangeState = .sending, replayedFrom: JournalChange? = nil) throws -> (id: Int64, place: ChangeReference) {
        let place = ChangeReference(runID: run, attempt: attempt, sequence: sequence)
        return (try store.commit([.insert(change, place, state: state, replayedFrom: replayedFrom?.replaySource, at: Date())])[0], place)
    }

    static func finish(_ place: ChangeReference, in store: JournalStore, result: String) throws {
        try store.commit([.finish(place, state: .succeeded, already: false, result: result, error: nil, notApplied: false, at: Date())])
    }

    @Test func aNewJournalOpenedByManyAtOnceIsCreatedOnce() async throws {
        let path = Self.temporaryPath()
        let opened = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<12 { group.addTask { (try? SQLiteJournalStore.open(path: path)) != nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(opened == 12)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    /// A journal of version 1 (before toggles kept their state, rate slots and rows) is upgraded in place
    /// when opened: its runs and changes stay, and the new column is there.
    @Test func aVersionOneJournalIsUpgradedInPlace() throws {
        let path = Self.temporaryPath()
        let store = try SQLiteJournalStore.open(path: path)
        let run = try store.startRun(Self.newRun())
        try Self.record(Self.change("encore.create_user {a}"), in: store, run: run, attempt: 1)
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            // Back to version 1: what later versions added, gone.
            try db.execute(sql: """
                ALTER TABLE changes DROP COLUMN state_before;
                DROP TABLE rate_slots;
                ALTER TABLE runs DROP COLUMN each;
                ALTER TABLE runs DROP COLUMN clock;
                ALTER TABLE runs DROP COLUMN modules;
                ALTER TABLE runs DROP COLUMN admitted;
                ALTER TABLE runs DROP COLUMN targets;
                ALTER TABLE runs DROP COLUMN limits;
                ALTER TABLE runs DROP COLUMN error;
                ALTER TABLE attempts DROP COLUMN error;
                DROP TABLE rows;
                DROP TABLE plans;
                DROP INDEX changes_by_place;
                DROP TABLE queue;
                DROP TABLE workers;
                PRAGMA user_version = 1;
                """)
        }
        try queue.close()

        let upgraded = try SQLiteJournalStore.open(path: path)
        #expect(try upgraded.changes(runID: run).map(\.key) == ["encore.create_user {a}"])
        var toggle = Self.change("allthenticate.toggle_suspension {b}")
        toggle.stateBefore = #"{"ad_status":"ACTIVE"}"#
        try Self.record(toggle, in: upgraded, run: run, attempt: 1, sequence: 2)
        #expect(try upgraded.changes(runID: run).map(\.stateBefore) == [nil, #"{"ad_status":"ACTIVE"}"#])
        #expect(try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 13)
        // A run from before clocks were kept gets one when it is resumed.
        #expect(try upgraded.run(run)?.run.clock == nil && upgraded.run(run)?.run.modules == nil && upgraded.run(run)?.admitted == false)
        #expect(try upgraded.startAttempt(runID: run, now: 1_700_000_000).clock == 1_700_000_000)
        // The queue, made by version 7, has its cancellations since version 12.
        let queued = try #require(try upgraded.submit(Self.newRun(), files: QueuedFiles(), notBefore: Date(), tick: nil))
        #expect(try upgraded.cancel(runID: queued) == .withdrawn && upgraded.queueEntry(runID: queued)?.cancelledAt != nil)
        // The line a run ended on, since version 13.
        try upgraded.finishAttempt(runID: run, attempt: 2, outcome: "script error", exitCode: 1, reads: 0, error: "s.lua:1: no")
        #expect(try upgraded.run(run)?.error == "s.lua:1: no")
    }

    /// A change logged by a process that is gone (killed before the log was stored) is
    /// stored by the next process to open the journal, exactly once; a log still held by a
    /// live writer is left to it.
    @Test func aKilledRunsChangeLogIsStoredOnceByTheNextOpen() throws {
        let path = Self.temporaryPath()
        let store = try SQLiteJournalStore.open(path: path)
        let run = try store.startRun(Self.newRun())
        let first = ChangeReference(runID: run, attempt: 1, sequence: 1), second = ChangeReference(runID: run, attempt: 1, sequence: 2)
        var log: ChangeLog? = try ChangeLog.create(for: store, runID: run, attempt: 1)
        try log?.append([.insert(Self.change("encore.create_user {a}"), first, state: .sending, replayedFrom: nil, at: Date()),
                         .insert(Self.change("encore.create_user {b}"), second, state: .sending, replayedFrom: nil, at: Date())])
        // The first was stored before the "kill"; the log still holds it.
        try store.commit([.insert(Self.change("encore.create_user {a}"), first, state: .sending, replayedFrom: nil, at: Date())])
        try log?.append([.finish(first, state: .succeeded, already: false, result: "1001", error: nil, notApplied: false, at: Date())])
        let held = try ChangeLog.create(for: store, runID: run, attempt: 2)
        try held.append([.insert(Self.change("encore.create_user {c}"), ChangeReference(runID: run, attempt: 2, sequence: 1),
                                 state: .sending, replayedFrom: nil, at: Date())])
        let path1 = try #require(log?.path)
        log = nil // the process is gone: its lock is released, its log stays

        let reopened = try SQLiteJournalStore.open(path: path)
        let changes = try reopened.changes(runID: run)
        #expect(changes.map(\.key) == ["encore.create_user {a}", "encore.create_user {b}"], "each once; the live log not taken")
        #expect(changes.map(\.state) == [.succeeded, .sending] && changes[0].result == "1001")
        #expect(!FileManager.default.fileExists(atPath: path1) && FileManager.default.fileExists(atPath: held.path))
        held.remove()
    }

    /// A row's end and an attempt's end, logged when the database could not take them (a
    /// full disk), are stored by the next process to open the journal, after the changes
    /// before them; an attempt's end stored late leaves the run to a later attempt.
    @Test func endsLoggedAreStoredByTheNextOpen() throws {
        let path = Self.temporaryPath()
        let store = try SQLiteJournalStore.open(path: path)
        let run = try store.startRun(Self.newRun())
        let place = ChangeReference(runID: run, attempt: 1, sequence: 1)
        let row = JournalRow(runID: run, number: 2, attempt: 1, key: "ada", sha256: "ab", state: .succeeded, error: nil, changes: 1,
                             finishedAt: Date(timeIntervalSince1970: 1_800_000_000))
        var log: ChangeLog? = try ChangeLog.create(for: store, runID: run, attempt: 1, capacity: ChangeLog.smallCapacity)
        try log?.append([.insert(Self.change("row 2: encore.create_user {a}"), place, state: .sending, replayedFrom: nil, at: Date()),
                         .finish(place, state: .succeeded, already: false, result: "1001", error: nil, notApplied: false, at: Date()),
                         .row(row)],
                        then: .end(AttemptEnd(runID: run, attempt: 1, outcome: "success", exitCode: 0, reads: 3, error: nil)))
        log = nil // the process is gone

        let reopened = try SQLiteJournalStore.open(path: path)
        #expect(try reopened.changes(runID: run).map(\.state) == [.succeeded])
        #expect(try reopened.rows(runID: run) == [row])
        let ended = try #require(try reopened.run(run))
        #expect(ended.outcome == "success" && ended.exitCode == 0 && ended.reads == 3)

        // Attempt 2 has begun when attempt 1's end (an error) is stored: the run stays attempt 2's.
        _ = try reopened.startAttempt(runID: run, now: 1_800_000_000)
        let late = try ChangeLog.create(for: reopened, runID: run, attempt: 1, capacity: ChangeLog.smallCapacity)
        try late.append([.end(AttemptEnd(runID: run, attempt: 1, outcome: "script error", exitCode: 1, reads: 1, error: "a.lua:1: no"))])
        try late.storeAppended(in: reopened)
        late.remove()
        let resumed = try #require(try reopened.run(run))
        #expect(resumed.outcome == nil && resumed.error == nil && resumed.attempts == 2)
        #expect(resumed.reads == 1, "attempt 1's reads are its late end's")
    }

    /// An append is written with its first record's length last: an append a kill cut
    /// short (that length still zero) reads as the log's end, and what came before it is
    /// stored as it was.
    @Test func anAppendCutShortReadsAsTheLogsEnd() throws {
        let path = Self.temporaryPath()
        let store = try SQLiteJournalStore.open(path: path)
        let run = try store.startRun(Self.newRun())
        let place = { (sequence: Int) in ChangeReference(runID: run, attempt: 1, sequence: sequence) }
        var log: ChangeLog? = try ChangeLog.create(for: store, runID: run, attempt: 1)
        try log?.append([.insert(Self.change("encore.create_user {a}"), place(1), state: .sending, replayedFrom: nil, at: Date())])
        try log?.append([.finish(place(1), state: .succeeded, already: false, result: "1", error: nil, notApplied: false, at: Date())],
                        then: .insert(Self.change("encore.create_user {b}"), place(2), state: .sending, replayedFrom: nil, at: Date()))
        let logPath = try #require(log?.path)
        log = nil
        // The second append as a kill leaves it before its first length is written.
        let file = try #require(FileHandle(forUpdatingAtPath: logPath))
        let firstLength = try #require(try file.read(upToCount: 8)).withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
        try file.seek(toOffset: UInt64(firstLength))
        try file.write(contentsOf: Data(count: 8))
        try file.close()

        let changes = try SQLiteJournalStore.open(path: path).changes(runID: run)
        #expect(changes.map(\.key) == ["encore.create_user {a}"] && changes.map(\.state) == [.sending])
    }

    /// The write-ahead log an attempt leaves stays small however much it wrote (every
    /// process that opens the journal reads all of it first): past 1 MB, it is folded into
    /// the journal and emptied when the attempt ends.
    @Test func theWriteAheadLogStaysSmall() throws {
        let path = Self.temporaryPath()
        let store = try SQLiteJournalStore.open(path: path)
        let run = try store.startRun(Self.newRun())
        let arguments = "{\"note\":\"" + String(repeating: "x", count: 1_000) + "\"}"
        for batch in 0..<300 { // about 3 MB of rows
            try store.commit((0..<10).map { index in
                .insert(NewChange(vendor: "encore", operation: "create_user", effect: "write", key: "k\(batch)-\(index)", occurrence: 0,
                                  arguments: arguments),
                        ChangeReference(runID: run, attempt: 1, sequence: batch * 10 + index), state: .sending, replayedFrom: nil, at: Date())
            })
        }
        let size = { try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0 }
        // Cut back by the batches as the run writes, so that its end rarely has to.
        let whileWriting = try size()
        #expect(whileWriting <= 1_100_000, "write-ahead log of \(whileWriting) bytes while the run writes")
        try store.finishAttempt(runID: run, attempt: 1, outcome: "success", exitCode: 0, reads: 0, error: nil)
        let trimmed = try size()
        #expect(trimmed <= 1_100_000, "write-ahead log of \(trimmed) bytes")
        #expect(try store.changes(runID: run).count == 3_000)
    }

    /// Trimming the write-ahead log never waits for another process using the journal (a
    /// reader here): neither a batch nor the attempt's end waits, and the log is left to a
    /// later one.
    @Test func trimmingTheWriteAheadLogWaitsForNoOne() throws {
        let path = Self.temporaryPath()
        let store = try SQLiteJournalStore.open(path: path)
        let run = try store.startRun(Self.newRun())
        let arguments = String(repeating: "x", count: 2_000)
        let reader = try DatabaseQueue(path: path)
        try reader.inDatabase { db in
            try db.beginTransaction(.deferred)
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM changes") // a read that holds the log
            let start = ContinuousClock.now
            try store.commit((0..<1_000).map { index in
                .insert(NewChange(vendor: "encore", operation: "create_user", effect: "write", key: "k\(index)", occurrence: 0, arguments: arguments),
                        ChangeReference(runID: run, attempt: 1, sequence: index), state: .sending, replayedFrom: nil, at: Date())
            })
            try store.finishAttempt(runID: run, attempt: 1, outcome: "success", exitCode: 0, reads: 0, error: nil)
            // Waiting for the reader would take the busy timeout (30 s) each time; far less means neither waited.
            #expect(ContinuousClock.now - start < .seconds(10))
            try db.rollback()
        }
        let size = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(size > 1_100_000, "left while the reader held it")
    }

    /// A batch's new changes are inserted many to a statement: each gets the id its
    /// position gives, the outcomes in the batch go with their rows, and an outcome that
    /// is an update (its row not `sending`, or in an earlier batch) finds its row.
    @Test func aBatchStoresEachChangeInOrderWithItsOutcome() throws {
        let store = try SQLiteJournalStore.open(path: Self.temporaryPath())
        let run = try store.startRun(Self.newRun())
        let place = { (sequence: Int) in ChangeReference(runID: run, attempt: 1, sequence: sequence) }
        let earlier = try Self.record(Self.change("encore.create_user {0}"), in: store, run: run, attempt: 1, sequence: 0)
        var group: [JournalOperation] = []
        for sequence in 1...50 { // groups of 32, 8 and 1 (ten of them)
            group.append(.insert(Self.change("encore.create_user {\(sequence)}"), place(sequence), state: sequence == 45 ? .failed : .sending,
                                 replayedFrom: nil, at: Date()))
            if sequence.isMultiple(of: 2) == false || sequence == 45 {
                group.append(.finish(place(sequence), state: .succeeded, already: false, result: "\(sequence)", error: nil, notApplied: false, at: Date()))
            }
        }
        group.append(.finish(earlier.place, state: .succeeded, already: false, result: "0", error: nil, notApplied: false, at: Date()))
        let ids = try store.commit(group)
        let inserted = zip(group, ids).compactMap { operation, id -> Int64? in
            if case .insert = operation { id } else { nil }
        }
        #expect(inserted == Array((earlier.id + 1)...(earlier.id + 50)))
        let changes = try store.changes(runID: run)
        #expect(changes.map(\.sequence) == Array(0...50))
        #expect(changes.dropFirst().map(\.id) == inserted)
        for change in changes {
            let ended = change.sequence % 2 == 1 || change.sequence == 45 || change.sequence == 0
            #expect(change.state == (ended ? .succeeded : .sending), "change \(change.sequence)")
            #expect(change.result == (ended ? "\(change.sequence)" : nil), "change \(change.sequence)")
        }
    }

    /// The log is the queue of what the database has yet to take: each batch stores what
    /// was appended since the last one, once; a batch the database refuses stays in the log
    /// and goes with the next.
    @Test func aBatchTheDatabaseRefusesGoesWithTheNext() throws {
        let path = Self.temporaryPath()
        let store = try SQLiteJournalStore.open(path: path)
        let run = try store.startRun(Self.newRun())
        let log = try ChangeLog.create(for: store, runID: run, attempt: 1)
        defer { log.remove() }
        let place = { (sequence: Int) in ChangeReference(runID: run, attempt: 1, sequence: sequence) }
        try log.append([.insert(Self.change("encore.create_user {a}"), place(1), state: .sending, replayedFrom: nil, at: Date())])
        try log.storeAppended(in: store)
        try log.storeAppended(in: store) // nothing new
        #expect(try store.changes(runID: run).map(\.key) == ["encore.create_user {a}"])

        // The database refuses the next batch: its table is away for a moment.
        let other = try DatabaseQueue(path: path)
        try other.write { try $0.execute(sql: "ALTER TABLE changes RENAME TO changes_away") }
        try log.append([.finish(place(1), state: .succeeded, already: false, result: "7", error: nil, notApplied: false, at: Date()),
                        .insert(Self.change("encore.create_user {b}"), place(2), state: .sending, replayedFrom: nil, at: Date())])
        #expect(throws: JournalError.self) { try log.storeAppended(in: store) }
        try other.write { try $0.execute(sql: "ALTER TABLE changes_away RENAME TO changes") }
        try log.append([.finish(place(2), state: .failed, already: false, result: nil, error: "refused", notApplied: true, at: Date())])
        try log.storeAppended(in: store)
        let changes = try store.changes(runID: run)
        #expect(changes.map(\.key) == ["encore.create_user {a}", "encore.create_user {b}"], "each once")
        #expect(changes.map(\.state) == [.succeeded, .failed])
        #expect(changes[0].result == "7" && changes[1].error == "refused" && changes[1].notApplied)
    }

    @Test func aChangeIsRecordedBeforeItsOutcome() throws {
        let store = try SQLiteJournalStore.open(path: Self.temporaryPath())
        let run = try store.startRun(Self.newRun())
        let first = try Self.record(Self.change("encore.create_user {a}"), in: store, run: run, attempt: 1)
        #expect(try store.changes(runID: run).map(\.state) == [.sending])
        try Self.finish(first.place, in: store, result: "42")
        let second = try Self.record(Self.change("encore.create_user {b}"), in: store, run: run, attempt: 1, sequence: 2)
        try store.abandonInFlight(runID: run, attempt: 1, reason: "killed")
        let changes = try store.changes(runID: run)
        #expect(changes.map(\.state) == [.succeeded, .unknown])
        #expect(changes[0].result == "42" && changes[1].error == "killed" && changes[1].id == second.id)
        try store.finishAttempt(runID: run, attempt: 1, outcome: "interrupted", exitCode: 130, reads: 3, error: "stopped by SIGINT")
        #expect(try store.run(run)?.error == "stopped by SIGINT")

        // A resumed attempt: one change replayed, the other resent; each counts once.
        // A run journaled without a clock (queued, or from before clocks were kept) gets one
        // at its next start, and keeps it.
        #expect(try store.startAttempt(runID: run, now: 1_700_000_000) == (2, 1_700_000_000))
        try Self.record(Self.change("encore.create_user {a}"), in: store, run: run, attempt: 2, state: .replayed, replayedFrom: changes[0])
        let resent = try Self.record(Self.change("encore.create_user {b}"), in: store, run: run, attempt: 2, sequence: 2)
        try Self.finish(resent.place, in: store, result: "43")
        try store.finishAttempt(runID: run, attempt: 2, outcome: "success", exitCode: 0, reads: 0, error: nil)
        let summary = try #require(try store.runs().first)
        #expect(summary.run.attempts == 2 && summary.run.outcome == "success")
        #expect(summary.run.error == nil, "a resumed attempt that finished ends on no error")
        #expect(try store.runs(unsuccessful: true).isEmpty, "it succeeded in the end")
        #expect(summary.done == 2 && summary.unknown == 0 && summary.failed == 0)
        let replayed = try store.changes(runID: run).first { $0.state == .replayed }
        #expect(replayed?.result == "42" && replayed?.replayedFrom == changes[0].id)
        #expect(try store.run(run)?.run.inputs == Self.newRun().inputs)
        #expect(try store.startAttempt(runID: run, now: 1_800_000_000) == (3, 1_700_000_000))
        #expect(try store.run(run)?.run.clock == 1_700_000_000)
        var pinned = Self.newRun()
        pinned.clock = 1_600_000_000
        let clocked = try store.startRun(pinned)
        #expect(try store.run(clocked)?.run.clock == 1_600_000_000)
        #expect(try store.startAttempt(runID: clocked, now: 1_800_000_000).clock == 1_600_000_000)
    }

    @Test func theAuditListsWhatWasSentWithItsFilters() throws {
        let store = try SQLiteJournalStore.open(path: Self.temporaryPath())
        let acme = try store.startRun(Self.newRun(tenant: "acme"))
        let beta = try store.startRun(Self.newRun(tenant: "beta"))
        try Self.record(Self.change("x"), in: store, run: acme, attempt: 1)
        try Self.record(Self.change("y", vendor: "guardant"), in: store, run: beta, attempt: 1)
        try Self.record(Self.change("z"), in: store, run: beta, attempt: 1, sequence: 2, state: .planned)
        #expect(try store.audit().map(\.key) == ["x", "y"])
        #expect(try store.audit(tenant: "beta").map(\.key) == ["y"])
        #expect(try store.audit(vendor: "encore").map(\.key) == ["x"])
        #expect(try store.audit(since: Date().addingTimeInterval(60)).isEmpty)
        #expect(try store.audit().first?.tenant == "acme")
    }

    /// What a prune needs to know, read from the store: which old runs ended, which left a
    /// change unanswered or wait in the queue, and which runs need others; then the runs
    /// deleted with all they held, and the file given back its space.
    @Test func aPruneSurveysThenDeletesRunsWithAllTheyHeld() throws {
        let path = Self.temporaryPath()
        let store = try SQLiteJournalStore.open(path: path)
        func finished(_ run: NewRun = Self.newRun()) throws -> Int64 {
            let id = try store.startRun(run)
            try store.finishAttempt(runID: id, attempt: 1, outcome: "success", exitCode: 0, reads: 0, error: nil)
            return id
        }
        let settled = try finished()
        for sequence in 1...200 {
            let (_, place) = try Self.record(Self.change("k\(sequence)"), in: store, run: settled, attempt: 1, sequence: sequence)
            try Self.finish(place, in: store, result: String(repeating: "r", count: 2_000))
        }
        try store.finishRow(JournalRow(runID: settled, number: 2, attempt: 1, key: "ada", sha256: "ab", state: .succeeded, error: nil, changes: 1,
                                      finishedAt: Date()))
        let killed = try store.startRun(Self.newRun()) // never ended
        let unanswered = try finished()
        try Self.record(Self.change("u"), in: store, run: unanswered, attempt: 1, state: .unknown)
        var undo = Self.newRun()
        undo.kind = "undo"
        undo.arguments = ["run": String(settled)]
        let undoID = try finished(undo)
        var dry = Self.newRun()
        dry.dryRun = true
        let made = try finished(dry)
        try store.savePlan(id: "p1", runID: made, json: "{}")
        let applied = try finished()
        #expect(try store.claimPlan(id: "p1", runID: applied, json: "{}", madeBy: made) == nil)
        let queued = try store.submit(Self.newRun(), files: QueuedFiles(), notBefore: Date(), tick: nil)
        let other = try finished(Self.newRun(tenant: "beta"))

        let survey = try store.pruneSurvey(before: Date().addingTimeInterval(1), tenant: "acme")
        #expect(survey.runs == [
            .init(id: settled, ended: true, unanswered: 0, queued: false, changes: 200),
            .init(id: killed, ended: false, unanswered: 0, queued: false, changes: 0),
            .init(id: unanswered, ended: true, unanswered: 1, queued: false, changes: 1),
            .init(id: undoID, ended: true, unanswered: 0, queued: false, changes: 0),
            .init(id: made, ended: true, unanswered: 0, queued: false, changes: 0),
            .init(id: applied, ended: true, unanswered: 0, queued: false, changes: 0),
            .init(id: try #require(queued), ended: true, unanswered: 0, queued: true, changes: 0), // its outcome: `queued`
        ], "\(survey.runs)")
        #expect(survey.undos == [.init(run: undoID, of: settled)])
        #expect(survey.applications == [.init(run: applied, of: made)])
        #expect(try store.pruneSurvey(before: Date().addingTimeInterval(-60), tenant: nil).runs.isEmpty)

        let selection = PruneSelection(survey, includeUnfinished: false) { _ in false }
        #expect(selection.deleted == [settled, undoID, made, applied] && selection.changes == 200)
        let sizeBefore = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(try store.deleteRuns(selection.deleted) == 200)
        #expect(try store.run(settled) == nil && store.changes(runID: settled).isEmpty && store.rows(runID: settled).isEmpty)
        #expect(try store.savedPlan(id: "p1") == nil && store.planApplication(id: "p1") == nil)
        #expect(try store.runs().map(\.run.id) == [other, try #require(queued), unanswered, killed])
        #expect(try store.audit().map(\.key) == ["u"])
        let space = try #require(store.reclaimSpace())
        let sizeAfter = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(sizeAfter < sizeBefore / 2, "\(space)")
        #expect(space.hasPrefix("\(path) went from "), "\(space)")
    }

    /// Which old runs a prune deletes: the settled ones, unless a run kept needs them.
    @Test func aPruneKeepsWhatAKeptRunNeeds() {
        func old(_ id: Int64, ended: Bool = true, unanswered: Int = 0, queued: Bool = false) -> PruneSurvey.OldRun {
            .init(id: id, ended: ended, unanswered: unanswered, queued: queued, changes: 1)
        }
        // 1 killed, 2 left a change unanswered, 3 queued, 4 run by a process now; 5 undone by
        // 6 (both old: both go), 7 undone by 20 (newer: kept), 8 undoes 2 (kept); 9 made the
        // plan 10 applied (both go), 11 the plan 21 applied (newer: kept); 12 undone by 13.
        let survey = PruneSurvey(
            runs: [old(1, ended: false), old(2, unanswered: 1), old(3, ended: false, queued: true), old(4), old(5), old(6), old(7), old(8),
                   old(9), old(10), old(11), old(12), old(13)],
            undos: [.init(run: 6, of: 5), .init(run: 20, of: 7), .init(run: 8, of: 2), .init(run: 13, of: 12)],
            applications: [.init(run: 10, of: 9), .init(run: 21, of: 11)])
        let selection = PruneSelection(survey, includeUnfinished: false) { $0 == 4 }
        #expect(selection.deleted == [5, 6, 9, 10, 12, 13])
        #expect(selection.deletedRuns == "runs 5, 6, 9, 10, 12 and 13")
        #expect(selection.changes == 6)
        #expect(selection.kept.map(\.run) == [1, 2, 3, 4, 7, 8, 11])
        #expect(selection.kept.map(\.reason) == [.unfinished, .unfinished, .running, .running, .undoneBy(20), .undoes(2), .planAppliedBy(21)])

        // With the unfinished: 1 and 2 go, and 8 (the undo of 2) with them; queued and running stay.
        let all = PruneSelection(survey, includeUnfinished: true) { $0 == 4 }
        #expect(all.deleted == [1, 2, 5, 6, 8, 9, 10, 12, 13])
        #expect(all.deletedRuns == "runs 1, 2, 5, 6, 8 to 10, 12 and 13")
        #expect(all.kept.map(\.run) == [3, 4, 7, 11])
        // Consecutive ids read as one span; a lone run as itself.
        let twelve = PruneSurvey(runs: (1...12).map { old($0) }, undos: [], applications: [])
        #expect(PruneSelection(twelve, includeUnfinished: false) { _ in false }.deletedRuns == "runs 1 to 12")
        #expect(PruneSelection(twelve, includeUnfinished: false) { $0 != 7 }.deletedRuns == "run 7")
        #expect(PruneSelection(twelve, includeUnfinished: false) { [4, 8].contains($0) }.deletedRuns == "runs 1 to 3, 5 to 7 and 9 to 12")
        // Past four spans, the rest are counted.
        #expect(PruneSelection(twelve, includeUnfinished: false) { [3, 6, 9, 11].contains($0) }.deletedRuns == "runs 1, 2, 4, 5, 7, 8, 10 and 1 more")
    }

    @Test func anUnwritableJournalIsOneLine() {
        #expect(throws: JournalError.self) { try SQLiteJournalStore.open(path: "/proc/roster/journal.sqlite") }
        #expect(Self.openingError("/proc/roster/journal.sqlite")
            == "cannot open the journal /proc/roster/journal.sqlite: cannot make the folder /proc/roster (no such file or directory)")
        // Another database's URL is a mistake, not a folder named `mysql:`.
        #expect(Self.openingError("mysql://db/roster")
            == "'mysql://db/roster' is not a journal Roster can use: give a file path, or postgres://USER@HOST:PORT/DATABASE")
        #expect(!FileManager.default.fileExists(atPath: "mysql:"))
        // A password written into a location is never shown.
        #expect(Self.openingError("mysql://roster:s3cret@db/roster")
            == "'mysql://roster@db/roster' is not a journal Roster can use: give a file path, or postgres://USER@HOST:PORT/DATABASE")
        #expect(throws: JournalError.self) { try PostgresJournalStore.open(url: "postgres://roster:s3cret@/roster", password: nil, logFolder: "/nonexistent") }
        do {
            _ = try PostgresJournalStore.open(url: "postgres://roster:s3c/ret@/roster", password: nil, logFolder: "/nonexistent")
        } catch {
            #expect(!error.description.contains("s3c"), "\(error.description)")
        }
    }

    /// A folder, or a file where a folder goes, is named as such: not SQLite's "unable to
    /// open database file".
    @Test func aJournalPathThroughTheWrongKindOfFileSaysSo() throws {
        let folder = URL(fileURLWithPath: Self.temporaryPath()).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(Self.openingError(folder.path)
            == "cannot open the journal \(folder.path): it is a folder; name a file in it (\(folder.path)/journal.sqlite)")
        let file = folder.appendingPathComponent("notes.txt").path
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        #expect(Self.openingError(file + "/journal.sqlite") == "cannot open the journal \(file)/journal.sqlite: \(file) is a file, not a folder")
        // Missing folders are made, as the default journal's are.
        let deep = folder.appendingPathComponent("a/b/journal.sqlite").path
        _ = try SQLiteJournalStore.open(path: deep)
        #expect(FileManager.default.fileExists(atPath: deep))
    }

    /// A damaged journal is named as damaged, with what to do, wherever SQLite notices; a
    /// run a damaged page hides is not called missing (it read "no run 3").
    @Test func aDamagedJournalSaysSoAndWhatToDo() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        do {
            let store = try SQLiteJournalStore.open(path: path)
            for _ in 0..<5 { _ = try store.startRun(Self.newRun()) }
            #expect(try store.run(3) != nil)
        }
        try DatabaseQueue(path: path).writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        // Page 2 is the runs table's first: its cells now point nowhere.
        let file = try #require(FileHandle(forUpdatingAtPath: path))
        try file.seek(toOffset: 4096 + 8)
        try file.write(contentsOf: Data(repeating: 0xAB, count: 292))
        try file.close()

        let advice = "; the file is damaged: move it aside and keep it (sqlite3's .dump reads back what is intact), and journal into a new file (--journal PATH)"
        let store = try SQLiteJournalStore.open(path: path)
        #expect(throws: JournalError.self) { try store.run(3) }
        do {
            _ = try store.run(3)
        } catch {
            #expect(error.description.hasPrefix("the journal \(path) could not be read: database disk image is malformed ("), "\(error)")
            #expect(error.description.hasSuffix(advice) && !error.description.contains("\n"), "\(error)")
        }
        do {
            _ = try store.runs(tenant: nil, since: nil, undoing: nil, unsuccessful: false, before: nil, limit: 10)
            Issue.record("a damaged runs table was listed")
        } catch {
            // It was a crash: GRDB traps on a NULL read as a number.
            #expect(error.description.hasPrefix("the journal \(path) could not be read: database disk image is malformed"), "\(error)")
            #expect(error.description.hasSuffix(advice) && !error.description.contains("\n"), "\(error)")
        }
        // A value Roster never wrote, by a hand edit: the same (it trapped too).
        let edited = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("edited.sqlite").path
        let run = try SQLiteJournalStore.open(path: edited).startRun(Self.newRun())
        try DatabaseQueue(path: edited).write { db in try db.execute(sql: "UPDATE runs SET started_at = 'yesterday'") }
        #expect(throws: JournalError.self) { try SQLiteJournalStore.open(path: edited).run(run) }
        // A file that is no database at all is not one to recover.
        let other = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("notes.sqlite").path
        #expect(FileManager.default.createFile(atPath: other, contents: Data(repeating: 0x5A, count: 5000)))
        #expect(Self.openingError(other)
            == "cannot open the journal \(other): file is not a database; it is not a journal: name the journal's file with --journal, or move this file aside")
    }

    @Test(arguments: [
        ("postgres://roster:pw@db.example.com:5432/roster", "postgres://roster@db.example.com:5432/roster"),
        ("postgres://roster:p/w@d@db:5432/roster", "postgres://roster@db:5432/roster"),
        ("postgres://roster@db/roster", "postgres://roster@db/roster"),
        ("postgres://db:5432/roster", "postgres://db:5432/roster"),
        ("/home/ada/journal.sqlite", "/home/ada/journal.sqlite"),
    ])
    func aLocationIsShownWithoutItsPassword(location: String, shown: String) {
        #expect(JournalLocation.shown(location) == shown)
    }

    private static func openingError(_ path: String) -> String? {
        do {
            _ = try SQLiteJournalStore.open(path: path)
            return nil
        } catch {
            return error.description
        }
    }
}
