/// PostgresJournalTests.swift: the journal in PostgreSQL — the same commands on a
/// throwaway cluster the test starts and stops: runs, runs show, audit, resume, undo.
import Foundation
@testable import Journal
import Synchronization
import Testing

@Suite struct PostgresJournalTests {
    @Test func runsResumeAuditApplyAndUndoOnPostgreSQL() async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        let folder = try RosterProcess.scriptFolder([
            "change.lua": "encore.deactivate_user(1002)\nallthenticate.toggle_suspension(102)\nprint('changed')",
            "fails.lua": "encore.get_user(1001)\nencore.deactivate_user(1001)\nerror('stopped after the first change', 0)",
            "plan.lua": "activeconnect.add_users({'planned@example.com'})",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        // The journal named in roster.toml (a top-level key, before the tables).
        let config = folder.appendingPathComponent("roster.toml")
        try ("journal = \"\(server.url)\"\n" + String(contentsOf: config, encoding: .utf8)).write(to: config, atomically: true, encoding: .utf8)
        let environment = JournalTests.journal(folder)
        func roster(_ arguments: [String]) async throws -> ProcessResult {
            try await RosterProcess.run(arguments, in: folder, environment: environment)
        }

        let changed = try await roster(["run", "change.lua", "--config", "roster.toml", "--yes"])
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(changed.stderr.contains("roster: run 1;"), "\(changed.stderr)")
        let listed = try await roster(["runs", "--json"])
        let runs = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(runs.count == 1 && (runs.first?["changes"] as? [String: Any])?["done"] as? Int == 2, "\(listed.stdout) \(listed.stderr)")
        let shown = try await roster(["runs", "show", "1"])
        #expect(shown.stdout.contains("encore.deactivate_user") && shown.stdout.contains("allthenticate.toggle_suspension"), "\(shown.stdout)")
        let audit = try await roster(["audit", "--format", "jsonl"])
        #expect(audit.stdout.split(separator: "\n").count == 2, "\(audit.stdout)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("state/roster/journal.sqlite").path), "no SQLite journal was used")


        // Killed while a change is in flight: the change is in PostgreSQL already, and nothing of
        // the journal stays on this host (another host may have to resume the run).
        try await emulator.setFaults("latency=4000ms")
        let killed = try RosterProcess.spawn(["run", "change.lua", "--config", "roster.toml", "--yes"], in: folder, environment: environment)
        // Killed once its first change is in flight (journaled as sending; each is answered
        // 4 s later), not after a fixed pause, which a loaded machine can outlast in start-up.
        try await Poll.until(tries: 200) { try await roster(["runs", "show", "2", "--json"]).stdout.contains("\"sending\"") }
        killed.send(SIGKILL)
        _ = try await killed.wait()
        try await emulator.setFaults("")
        let state = folder.appendingPathComponent("state/roster")
        let logs = ((try? FileManager.default.contentsOfDirectory(atPath: state.path)) ?? []).filter { $0.hasPrefix("changes-") }.flatMap { name in
            (try? FileManager.default.contentsOfDirectory(atPath: state.appendingPathComponent(name).path)) ?? []
        }.filter { $0 != "runs.lock" } // which process on this host runs which run: no journal data
        #expect(logs.isEmpty, "\(logs)")
        let inFlight = try await roster(["runs", "show", "2", "--json"])
        #expect(inFlight.stdout.contains("\"sending\""), "\(inFlight.stdout)")

        // Resume reads the earlier attempt from PostgreSQL: the first change replayed.
        let failed = try await roster(["run", "fails.lua", "--config", "roster.toml", "--yes"])
        #expect(failed.status == 1 && failed.stderr.contains("roster resume 3"), "\(failed.stderr)")
        let resumed = try await roster(["resume", "3"])
        #expect(resumed.status == 1, "\(resumed.stderr)")
        let attempts = try await roster(["runs", "show", "3", "--json"])
        #expect(attempts.stdout.contains("\"replayed\""), "\(attempts.stdout)")
        #expect(attempts.stdout.contains("\"reads\" : 2"), "one read an attempt: \(attempts.stdout)")
        #expect(attempts.stdout.contains("\"error\" : \"fails.lua:3: stopped after the first change\""), "the line it ended on: \(attempts.stdout)")
        // Those that did not succeed: the one killed, the one that failed.
        let unsuccessful = try await roster(["runs", "--failed", "--json"])
        let ids = (try JSONSerialization.jsonObject(with: Data(unsuccessful.stdout.utf8)) as? [[String: Any]])?.map { $0["id"] as? Int }
        #expect(ids == [3, 2], "\(unsuccessful.stdout)")

        // Undo, journaled there too.
        let undone = try await roster(["undo", "1", "--yes"])
        #expect(undone.status == 0, "\(undone.stderr)")
        #expect(undone.stdout.contains("undid change 2, allthenticate.toggle_suspension email_id=102"), "\(undone.stdout)")
        #expect(try await emulator.allthenticateSuspended(emailID: 102) == false)
        let again = try await roster(["undo", "1", "--yes"])
        #expect(again.status == 2 && again.stderr.contains("was already undone by run 4"), "\(again.stderr)")

        // A saved plan, applied once.
        #expect(try await roster(["run", "plan.lua", "--config", "roster.toml", "--dry-run", "--plan-out", "p.plan"]).status == 0)
        let applied = try await roster(["apply", "p.plan", "--yes"])
        #expect(applied.status == 0, "\(applied.stderr)")
        let twice = try await roster(["apply", "p.plan", "--yes"])
        #expect(twice.status == 6 && twice.stderr.contains("was already applied by run 6"), "\(twice.stderr)")

        // Fenced: once another attempt has taken the run up (a resume on another host, a worker
        // that took it over), the earlier attempt stores, and so sends, no further change;
        // the answer to a change it had already sent is still recorded.
        let store = try PostgresJournalStore.open(url: server.url, password: nil, logFolder: folder.appendingPathComponent("fence").path)
        let run = try store.startRun(NewRun(kind: "run", user: "ada", host: "elsewhere", script: "/s.lua", scriptText: "", arguments: [:],
                                            inputs: [], tenant: "demo", configFile: nil, seed: 1, dryRun: false))
        func change(_ attempt: Int, _ sequence: Int) -> JournalOperation {
            .insert(NewChange(vendor: "encore", operation: "create_user", effect: "write", key: "k\(sequence)", occurrence: 0, arguments: "{}"),
                    ChangeReference(runID: run, attempt: attempt, sequence: sequence), state: .sending, replayedFrom: nil, at: Date())
        }
        _ = try store.commit([change(1, 1)], idempotent: false)
        #expect(try store.startAttempt(runID: run, now: 0).number == 2)
        #expect(throws: JournalError.self) { try store.commit([change(1, 2)], idempotent: false) }
        do {
            _ = try store.commit([change(1, 2)], idempotent: false)
        } catch {
            #expect(error.description == "run \(run) was taken up by attempt 2 (roster resume, or a worker that took the run over), so attempt 1 stops sending")
        }
        _ = try store.commit([change(2, 1)], idempotent: false)
        _ = try store.commit([.finish(ChangeReference(runID: run, attempt: 1, sequence: 1), state: .succeeded, already: false, result: "1",
                                      error: nil, notApplied: false, at: Date())], idempotent: false)
        #expect(try store.changes(runID: run).map { "\($0.attempt).\($0.sequence) \($0.state.rawValue)" } == ["1.1 succeeded", "2.1 sending"])

        // The audit trail comes in pages, each change once and in order across them.
        let before = try store.audit().count
        _ = try store.commit((2...2_101).map { change(2, $0) }, idempotent: false)
        let trail = try store.audit().map(\.id)
        #expect(trail.count == before + 2_100 && trail == trail.sorted() && Set(trail).count == trail.count, "\(trail.count)")

        // Pruned: the settled runs go (1 with its undo 4, 5 with its apply 6, the failed 3);
        // the killed 2 and the fenced 7, each with a change never answered, stay.
        let pruned = try await roster(["runs", "prune", "--before", "0s", "--yes"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stderr.contains("roster: kept 2 unfinished runs (never ended, or a change of unknown outcome): run 2, run 7; ")
            && pruned.stderr.contains("roster: deleted 5 runs started before "), "\(pruned.stderr)")
        func runIDs() async throws -> [Int]? {
            let runs = try await roster(["runs", "--json"])
            return (try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])?.compactMap { $0["id"] as? Int }
        }
        #expect(try await runIDs() == [8, Int(run), 2])
        #expect(try store.changes(runID: 1).isEmpty)
        // The plan's dry run is gone: the plan is not applied again, whatever its file says.
        let stale = try await roster(["apply", "p.plan", "--yes"])
        #expect(stale.status == 2 && stale.stderr.contains("is not in the journal"), "\(stale.stderr)")
        let everything = try await roster(["runs", "prune", "--before", "0s", "--include-unfinished", "--yes"])
        #expect(everything.status == 0 && everything.stderr.contains("roster: deleted 3 runs started before "), "\(everything.stderr)")
        #expect(try await runIDs() == [9])
    }

    /// `roster cancel` in either store: a waiting run is withdrawn and never claimed; a claimed
    /// one is marked for its worker, which ends it as cancelled; a worker that died before it
    /// could is swept by the next renewal, and its run is not claimed again; a lapsed claim
    /// with no cancel is withdrawn at once; a run that was not queued is not the queue's.
    @Test func aQueuedRunIsCancelledInEitherStore() async throws {
        try await Self.withBothStores { stores, folder in
            for (store, location) in stores {
                func listed() async throws -> String {
                    try await RosterProcess.run(["runs", "--journal", location], in: folder, environment: JournalTests.journal(folder)).stdout
                }
                let run = NewRun(kind: "run", user: "ada", host: "desk", script: "/s.lua", scriptText: "print(1)", arguments: [:], inputs: [],
                                 tenant: "demo", configFile: nil, seed: 1, dryRun: false)
                func submit() throws -> Int64 { try #require(try store.submit(run, files: QueuedFiles(), notBefore: Date(), tick: nil)) }
                func outcome(_ id: Int64) throws -> String? { try store.run(id)?.outcome }
                let worker = WorkerRecord(name: "w", host: "desk", pid: 1, concurrency: 2, startedAt: Date(), heartbeat: Date(), stopping: false)

                let waiting = try submit()
                #expect(try store.cancel(runID: waiting) == .withdrawn)
                #expect(try outcome(waiting) == "cancelled" && store.run(waiting)?.exitCode == 130)
                #expect(try store.queueEntry(runID: waiting)?.state == .done)
                #expect(try store.cancel(runID: waiting) == .ended)
                #expect(try store.claim(worker: "w", lease: 30) == nil, "a cancelled run is not claimed")

                let running = try submit()
                #expect(try store.claim(worker: "w", lease: 30)?.runID == running)
                // Run by a worker elsewhere (its attempt started there; no process here holds it):
                // `roster runs` names the worker.
                _ = try store.startAttempt(runID: running, now: 0)
                let whileRunning = try await listed()
                #expect(whileRunning.contains("running on worker w "), "\(whileRunning)")
                // Nor is it resumed by hand beside its worker (which may have a change in flight).
                let beside = try await RosterProcess.run(["resume", String(running), "--journal", location], in: folder, environment: JournalTests.journal(folder))
                #expect(beside.status == 2 && beside.diagnostics == "roster: run \(running) runs on worker w, which finishes it; wait for it to end (roster runs show \(running) --journal \(store.path)), or stop it with roster cancel \(running) --journal \(store.path)\n",
                        "\(beside.stderr)")
                #expect(try store.cancel(runID: running) == .requested(worker: "w"))
                let whileStopping = try await listed()
                #expect(whileStopping.contains("running on worker w (cancelled: stopping)"), "\(whileStopping)")
                #expect(try store.cancel(runID: running) == .alreadyRequested(worker: "w"))
                #expect(try store.cancellations(worker: "w") == [running] && store.cancellations(worker: "other").isEmpty)
                #expect(try store.renew(worker, lease: 30) == [running], "its worker holds it until it has stopped it")
                try store.completeCancelled(runID: running, worker: "w", exitCode: 130)
                #expect(try outcome(running) == "cancelled" && store.queueEntry(runID: running)?.state == .done)

                // The lease must outlast the cancel even on a loaded machine (50 ms did not on CI),
                // and then lapse before the renewal that sweeps it.
                let orphaned = try submit()
                let claimedAt = ContinuousClock.now
                #expect(try store.claim(worker: "gone", lease: 2)?.runID == orphaned)
                #expect(try store.cancel(runID: orphaned) == .requested(worker: "gone"))
                try await Task.sleep(until: claimedAt + .milliseconds(2_200))
                _ = try store.renew(worker, lease: 30)
                #expect(try outcome(orphaned) == "cancelled" && store.queueEntry(runID: orphaned)?.state == .done)
                #expect(try store.claim(worker: "w", lease: 30) == nil)

                let lapsed = try submit()
                #expect(try store.claim(worker: "gone", lease: 0.05)?.runID == lapsed)
                try await Task.sleep(for: .milliseconds(120))
                #expect(try store.cancel(runID: lapsed) == .withdrawn, "no live worker holds it")
                #expect(try store.claim(worker: "w", lease: 30) == nil)

                let direct = try store.startRun(run)
                #expect(try store.cancel(runID: direct) == .notQueued)
            }
        }
    }

    /// A list of runs reads no script text and no bytes kept of a piped CSV or input, in
    /// either store; the run itself still has them all, for its resume.
    @Test func aListOfRunsLeavesTheKeptFilesBehind() async throws {
        try await Self.withBothStores { stores, _ in
            let kept = String(repeating: "id\n1\n", count: 1_000)
            let input = JournalInput(name: "/dev/fd/63", path: "/dev/fd/63", sha256: "ab", contents: Data("piped".utf8))
            let each = EachSource(name: "/dev/fd/62", path: "/dev/fd/62", keyColumn: "id", parallel: 4, maxFailures: 2, contents: kept)
            let module = QueuedFile(name: "lib/util.lua", contents: Data("return {}".utf8))
            for (store, _) in stores {
                let run = NewRun(kind: "run", user: "ada", host: "desk", script: "/s.lua", scriptText: "print(row.id)", arguments: ["a": "1"],
                                 inputs: [input, JournalInput(name: "x.csv", path: "/x.csv", sha256: "cd")], tenant: "demo", configFile: nil,
                                 seed: 1, dryRun: false, each: each, modules: [module])
                let id = try store.startRun(run)
                _ = try store.startRun(NewRun(kind: "run", user: "ada", host: "desk", script: "/t.lua", scriptText: "print(1)", arguments: [:],
                                              inputs: [], tenant: "demo", configFile: nil, seed: 2, dryRun: false))
                let listed = try #require(try store.runs(tenant: nil, since: nil, undoing: nil, unsuccessful: false, before: nil, limit: 10).first { $0.run.id == id })
                #expect(listed.run.run.scriptText.isEmpty, "\(store.path)")
                #expect(listed.run.run.inputs == [JournalInput(name: "/dev/fd/63", path: "/dev/fd/63", sha256: "ab"), JournalInput(name: "x.csv", path: "/x.csv", sha256: "cd")],
                        "\(store.path): \(listed.run.run.inputs)")
                #expect(listed.run.run.each == EachSource(name: "/dev/fd/62", path: "/dev/fd/62", keyColumn: "id", parallel: 4, maxFailures: 2), "\(store.path)")
                #expect(listed.run.run.modules == [module] && listed.run.run.arguments == ["a": "1"], "\(store.path)")
                let whole = try #require(try store.run(id))
                #expect(listed.run.scriptSHA256 == whole.scriptSHA256 && !whole.scriptSHA256.isEmpty)
                #expect(whole.run.scriptText == "print(row.id)" && whole.run.inputs.first?.contents == Data("piped".utf8) && whole.run.each?.contents == kept,
                        "\(store.path)")
            }
        }
    }

    /// A run's changes are read in order a page at a time, in either store: more than a
    /// page, over two attempts, each change once.
    @Test func aRunsChangesAreReadInOrderPageByPage() async throws {
        try await Self.withBothStores { stores, _ in
            let perAttempt = PostgresJournalStore.auditPage + 3
            for (store, _) in stores { try await RosterProcess.offThePool {
                let id = try store.startRun(NewRun(kind: "run", user: "ada", host: "desk", script: "/s.lua", scriptText: "print(1)", arguments: [:],
                                                   inputs: [], tenant: "demo", configFile: nil, seed: 1, dryRun: true))
                for attempt in [1, 2] {
                    if attempt == 2 { _ = try store.startAttempt(runID: id, now: 0) }
                    _ = try store.commit((1...perAttempt).map { sequence in
                        .insert(NewChange(vendor: "encore", operation: "deactivate_user", effect: "write", key: "k\(sequence)", occurrence: 1, arguments: "{}"),
                                ChangeReference(runID: id, attempt: attempt, sequence: sequence), state: .planned, replayedFrom: nil, at: Date())
                    }, idempotent: false)
                }
                let read = try store.changes(runID: id)
                let expected = [1, 2].flatMap { attempt in (1...perAttempt).map { [attempt, $0] } }
                #expect(read.map { [$0.attempt, $0.sequence] } == expected, "\(store.path): \(read.count)")
            } }
        }
    }

    /// A SQLite journal and a PostgreSQL one on a throwaway cluster, each with where a
    /// command reaches it, for a test to do the same on both; the folder holds the first.
    static func withBothStores(_ body: ([(store: any JournalStore, location: String)], URL) async throws -> Void) async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        let folder = try RosterProcess.scriptFolder([:])
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = folder.appendingPathComponent("journal.sqlite").path
        try await body([
            (try SQLiteJournalStore.open(path: sqlite), sqlite),
            (try PostgresJournalStore.open(url: server.url, password: nil, logFolder: folder.appendingPathComponent("logs").path), server.url),
        ], folder)
    }

    /// A worker goes on when PostgreSQL restarts (an upgrade, a failover): its connection,
    /// closed by the server, is made again. It waited for good on the first query written
    /// to the closed one, alive but claiming nothing, and `workers` listed it no more.
    @Test func aWorkerGoesOnWhenPostgreSQLRestarts() async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        let folder = try RosterProcess.scriptFolder(["hello.lua": "print('hello')"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let worker = try RosterProcess.spawn(["worker", "--journal", server.url, "--name", "steady"], in: folder)
        defer { worker.send(SIGKILL) }
        let first = try await RosterProcess.run(["submit", "hello.lua", "--wait", "--journal", server.url], in: folder, limit: 60)
        #expect(first.status == 0, "\(first.stderr)")
        // Down for 3 s: the worker says it cannot claim, and waits before trying again (it
        // tried every turn, five lines a second).
        try await server.restart(down: .seconds(3))
        // The worker's next look finds the connection closed: a run queued now still runs.
        let second = try await RosterProcess.run(["submit", "hello.lua", "--wait", "--journal", server.url], in: folder, limit: 60)
        #expect(second.status == 0, "\(second.stderr)\nworker: \(worker.errorTextSoFar)")
        let refusals = worker.errorTextSoFar.components(separatedBy: "cannot claim: cannot reach the journal").count - 1
        #expect((1...2).contains(refusals), "\(worker.errorTextSoFar)")
        let listed = try await RosterProcess.run(["workers", "--journal", server.url], in: folder)
        #expect(listed.stdout.contains("steady"), "\(listed.stdout)")
        worker.send(SIGTERM)
        #expect(try await worker.wait(limit: 30) == 0, "\(worker.errorText)")
    }

    /// A query that meets a connection the server has closed fails at once: postgres-nio
    /// drops a query written to a closed connection unanswered, and its wait never ended.
    /// The store's look at the connection before each transaction left a gap: the server
    /// could close it just after. The store then connects again by itself.
    @Test func aQueryOnAClosedConnectionFailsAtOnce() async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        let folder = try RosterProcess.scriptFolder([:])
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try PostgresJournalStore.open(url: server.url, password: nil, logFolder: folder.appendingPathComponent("logs").path)
        let closed = store.connection
        try await closed.close().get()
        // Past the store's look, as when the server closes the connection in between.
        let outcome = await Self.within(.seconds(20)) {
            Result { try PostgresJournalStore.Transaction(connection: closed, logger: store.logger).run("SELECT 1").count }
        }
        switch outcome {
        case .failure(let error as PostgresJournalStore.ClosedJournalConnection): #expect(error.beforeAnything)
        case .failure(let error): Issue.record("another error: \(error)")
        case .success: Issue.record("a closed connection answered")
        case nil: Issue.record("the query on a closed connection was never answered")
        }
        #expect(try store.statement { try $0.run("SELECT 1").count } == 1)
        #expect(!store.connection.isClosed)
    }

    /// What `body`, run on a thread of its own, gave within `limit` (nil: it had not ended;
    /// its thread is left waiting).
    static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () -> T) async -> T? {
        let given = Mutex<T?>(nil)
        Thread.detachNewThread {
            let value = body()
            given.withLock { $0 = value }
        }
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            if let value = given.withLock({ $0 }) { return value }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test func anUnreachableJournalIsOneLine() async throws {
        let folder = try RosterProcess.scriptFolder(["hello.lua": "print('hi')"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await RosterProcess.run(["run", "hello.lua", "--journal", "postgres://roster@127.0.0.1:1/postgres"], in: folder)
        #expect(result.status == 2)
        #expect(result.diagnostics == "roster: cannot reach the journal postgres://roster@127.0.0.1:1/postgres: could not connect (connection refused)\n",
                "\(result.stderr)")
        #expect(result.diagnostics.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    /// A server that asks for a password: none given, or a wrong one, is one line saying
    /// so (never echoing a password); the right one opens the journal.
    @Test func aJournalThatNeedsAPasswordSaysWhatIsWrong() async throws {
        let server = try await PostgresServer.start(password: "s3cret-pw")
        defer { server.stop() }
        let folder = try RosterProcess.scriptFolder(["hello.lua": "print('hi')"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let address = "127.0.0.1:\(server.port)/postgres"
        let cases = [
            ("postgres://roster@\(address)", "the server asks for a password, and none was given (journal_password in roster.toml, or postgres://USER:PASSWORD@HOST/DATABASE)"),
            ("postgres://roster:wrong-pw@\(address)", "password authentication failed for user \"roster\""),
        ]
        for (url, why) in cases {
            let result = try await RosterProcess.run(["run", "hello.lua", "--journal", url], in: folder)
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.diagnostics == "roster: cannot reach the journal postgres://roster@\(address): \(why)\n")
        }
        let opened = try await RosterProcess.run(["run", "hello.lua", "--journal", "postgres://roster:s3cret-pw@\(address)"], in: folder)
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stdout == "hi\n")
        #expect(!opened.stderr.contains("s3cret-pw"))
    }

    /// `sslmode` and `sslrootcert` in the address work as they do for psql, against a server
    /// that takes TCP connections over TLS only: the default (prefer) and require encrypt,
    /// verify-full checks the certificate against the root given, disable is refused by the
    /// server, and a mistaken setting is one line before anything is sent.
    @Test func aJournalAddressSetsTLSAsPsqlReadsIt() async throws {
        let server = try await PostgresServer.start(tls: true)
        defer { server.stop() }
        let folder = try RosterProcess.scriptFolder(["hello.lua": "print('hi')"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let address = "roster@127.0.0.1:\(server.port)/postgres"
        for query in ["", "?sslmode=require", "?sslmode=verify-full&sslrootcert=\(server.certificate)", "?sslmode=verify-ca&sslrootcert=\(server.certificate)"] {
            let opened = try await RosterProcess.run(["run", "hello.lua", "--journal", "postgres://\(address)\(query)"], in: folder)
            #expect(opened.status == 0 && opened.stdout == "hi\n", "\(query): \(opened.stderr)")
        }
        let refusals = [
            ("?sslmode=disable", "roster: cannot reach the journal postgres://\(address): no pg_hba.conf entry for host \"127.0.0.1\", user \"roster\", database \"postgres\", no encryption"),
            ("?sslmode=verify-full", "roster: cannot reach the journal postgres://\(address): could not connect (its TLS certificate is not trusted (sslrootcert names the root to check it against; sslmode=require encrypts without checking))"),
            ("?sslmode=verify-full&sslrootcert=/nonexistent.pem", "roster: 'postgres://\(address)?sslmode=verify-full&sslrootcert=/nonexistent.pem': cannot read sslrootcert '/nonexistent.pem'"),
            ("?sslmode=on", "roster: 'postgres://\(address)?sslmode=on': sslmode must be disable, allow, prefer, require, verify-ca or verify-full, got 'on'"),
            ("?application_name=roster", "roster: 'postgres://\(address)?application_name=roster': the address sets 'application_name', which Roster does not read (it reads sslmode and sslrootcert)"),
        ]
        for (query, message) in refusals {
            let refused = try await RosterProcess.run(["run", "hello.lua", "--journal", "postgres://\(address)\(query)"], in: folder)
            #expect(refused.status == 2 && refused.stdout.isEmpty, "\(query): \(refused.stderr)")
            #expect(refused.diagnostics.hasPrefix(message) && refused.diagnostics.split(separator: "\n").count == 1, "\(query): \(refused.diagnostics)")
        }
    }
}
