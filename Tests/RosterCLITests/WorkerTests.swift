/// WorkerTests.swift: runs queued with `roster submit` and run by `roster worker` processes —
/// three workers over one PostgreSQL journal, one killed with SIGKILL mid-run: every run ends,
/// the vendors end as the same runs done one by one leave them, every change is journaled
/// once, and the shared rate budget keeps Active911 from refusing any request. Also, on
/// SQLite: metrics, --wait, a clean stop on SIGTERM, and schedules queued once per tick.
import Foundation
import GRDB
import Journal
@testable import RosterCLI
import Testing
import TestSupport

@Suite(.serialized) struct WorkerTests {
    /// The runs of the test, as `roster run` arguments (each also queued by `roster submit`):
    /// whole-file and row-by-row onboarding of new people, and offboarding of the demo people.
    static func workload(_ folder: URL) throws -> [[String]] {
        var runs: [[String]] = []
        for batch in 0..<16 {
            var csv = "email,first_name,last_name,phone,username\n"
            for index in 0..<8 {
                let n = batch * 8 + index
                csv += "w\(n)@example.com,First\(n),Last\(n),+1555\(String(format: "%07d", n)),wuser\(n)\n"
            }
            try csv.write(to: folder.appendingPathComponent("batch\(batch).csv"), atomically: true, encoding: .utf8)
            runs.append(batch.isMultiple(of: 2)
                ? ["bulk-onboard-file.lua", "--input", "batch\(batch).csv"]
                : ["bulk-onboard.lua", "--each", "batch\(batch).csv"])
        }
        for email in ["ada@example.com", "grace@example.com", "linus@example.com", "alan@example.com"] {
            runs.append(["offboard.lua", "--arg", "email=\(email)"])
        }
        return runs
    }

    static func folder() throws -> URL {
        var files: [String: String] = [:]
        for script in ["bulk-onboard-file.lua", "bulk-onboard.lua", "offboard.lua"] {
            files[script] = try String(contentsOf: RosterProcess.root.appendingPathComponent("scripts/\(script)"), encoding: .utf8)
        }
        return try RosterProcess.scriptFolder(files)
    }

    /// The emulator's state without what differs from one order of runs to another (ids the
    /// vendor assigns, times, drawn passwords), lists sorted.
    static func comparable(_ value: Any) -> Any {
        let volatile: Set<String> = ["id", "_id", "UserId", "user_id", "email_id", "unique_id", "created", "active_date", "faults", "Password", "password"]
        if let object = value as? [String: Any] {
            return object.filter { !volatile.contains($0.key) }.mapValues(comparable)
        }
        if let array = value as? [Any] {
            return array.map(comparable).sorted { text($0) < text($1) }
        }
        return value
    }

    static func text(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject([value]),
              let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }

    @Test func threeWorkersOnePostgreSQLOneKilledEveryChangeOnce() async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "latency=120ms,slow=0.05,slowbody=300ms",
                                                       arguments: ["--rate-limit", "active911=10/1s"])
        defer { emulator.stop() }
        try SharedRateBudgetTests.configure(folder, vendor: "active911", #"rate_limit = "10/1s""#)
        let config = folder.appendingPathComponent("roster.toml")
        let clean = try String(contentsOf: config, encoding: .utf8)
        try ("journal = \"\(server.url)\"\n" + clean).write(to: config, atomically: true, encoding: .utf8)
        let environment = JournalTests.journal(folder)
        let workload = try Self.workload(folder)

        for (index, run) in workload.enumerated() {
            let submitted = try await RosterProcess.run(["submit"] + run, in: folder, environment: environment)
            #expect(submitted.status == 0 && submitted.stdout == "\(index + 1)\n", "\(run): \(submitted.stderr)")
        }
        let workers = try (1...3).map { number in
            try RosterProcess.spawn(["worker", "--name", "w\(number)", "--concurrency", "2", "--lease", "3", "--exit-when-idle"],
                                    in: folder, environment: environment)
        }
        // Killed while it holds runs, mid-way through them: the runs it says it started and
        // has not said it ended (its own account; no query in between).
        func heldByW1() -> Set<Int> {
            let lines = workers[0].errorTextSoFar.split(separator: "\n")
            func runs(_ suffix: String) -> Set<Int> {
                Set(lines.compactMap { line -> Int? in
                    guard line.hasPrefix("roster: worker w1: run "), line.contains(suffix) else { return nil }
                    return Int(line.dropFirst("roster: worker w1: run ".count).prefix { $0.isNumber })
                })
            }
            return runs(" started").subtracting(runs(" ended"))
        }
        // Mid-way: a row-by-row run it holds has finished two of its rows.
        func midway() -> Bool {
            let text = workers[0].errorTextSoFar
            return heldByW1().contains { run in text.components(separatedBy: "run \(run): row ").count > 2 }
        }
        var polls = 0
        while !midway(), polls < 1500 {
            polls += 1
            try await Task.sleep(for: .milliseconds(20))
        }
        workers[0].send(SIGKILL)
        let held = heldByW1()
        #expect(!held.isEmpty, "w1 held no run when it was killed: \(workers[0].errorTextSoFar)")
        for worker in workers.dropFirst() {
            let status = try await worker.wait(limit: 300)
            #expect(status == 0, "\(worker.errorText)")
        }
        _ = try await workers[0].wait()

        // Every run ended, successfully; the ones w1 held were claimed again and resumed.
        let listed = try await RosterProcess.run(["runs", "--json"], in: folder, environment: environment)
        let runs = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(runs.count == workload.count)
        #expect(runs.allSatisfy { $0["outcome"] as? String == "success" && $0["exit_code"] as? Int == 0 },
                "\(runs.map { "\($0["id"] ?? "?"): \($0["outcome"] ?? "?")" }) \(workers.map(\.errorText).joined())")
        // Each run it held was claimed again and resumed by another worker, unless it ended
        // in the instant of the kill: w1 may have said so, or its run's own process may have
        // finished its one attempt just as w1 died, before w1 could say it.
        let others = workers.dropFirst().map(\.errorText).joined()
        let endedByW1 = workers[0].errorText
        let attempts = Dictionary(runs.compactMap { run in (run["id"] as? Int).map { ($0, run["attempts"] as? Int ?? 0) } }) { first, _ in first }
        for run in held where !endedByW1.contains("roster: worker w1: run \(run) ended") {
            let resumed = others.contains("run \(run) started (claim 2: resumed from the journal)")
            #expect(resumed || attempts[run] == 1, "run \(run), held by w1, was neither claimed again nor ended in its first attempt: \(others)")
        }
        #expect(others.contains("(claim 2: resumed from the journal)"), "no run was resumed: \(others)")

        // Every change journaled once: per run, each change (key and occurrence) succeeded at
        // most once, and none is left `sending`. A change the killed attempt sent whose answer
        // never came is `unknown` when the resume did not need to send it again (the script read
        // that it was done); it counts among the run's changes.
        var changesPerRun: [Int: Int] = [:]
        var changeStates: [Int: String] = [:]
        for run in 1...workload.count {
            let detail = try await JournalTests.show(run, in: folder)
            let changes = detail["changes"] as? [[String: Any]] ?? []
            var succeeded: [String: Int] = [:]
            for change in changes where change["state"] as? String == "succeeded" {
                succeeded["\(change["key"]!)#\(change["occurrence"]!)", default: 0] += 1
            }
            #expect(succeeded.values.allSatisfy { $0 == 1 }, "run \(run) sent twice: \(succeeded.filter { $0.value > 1 }.keys.sorted())")
            let open = changes.filter { !["succeeded", "replayed"].contains($0["state"] as? String) && $0["attempt"] as? Int == (detail["run"] as? [String: Any])?["attempts"] as? Int }
            #expect(open.isEmpty, "run \(run): \(open)")
            #expect(!changes.contains { $0["state"] as? String == "sending" }, "run \(run)")
            let sent = Set(changes.filter { ["succeeded", "unknown"].contains($0["state"] as? String) }.map { "\($0["key"]!)#\($0["occurrence"]!)" })
            changesPerRun[run] = sent.count
            changeStates[run] = changes.map { "a\($0["attempt"]!) \($0["key"]!)#\($0["occurrence"]!) \($0["state"]!)" }.joined(separator: "; ")
        }

        // Zero 429s from Active911, though three workers shared its account.
        let stats = try await emulator.stats()
        #expect(stats["active911"]?["429"] == 0, "\(stats)")
        let shared = try await emulator.state()

        // The same runs, one by one in a single process, against a fresh emulator.
        let reference = try Self.folder()
        defer { try? FileManager.default.removeItem(at: reference) }
        let alone = try await EmulatorProcess.start(in: reference, faults: "", arguments: ["--rate-limit", "active911=10/1s"])
        defer { alone.stop() }
        try SharedRateBudgetTests.configure(reference, vendor: "active911", #"rate_limit = "10/1s""#)
        _ = try Self.workload(reference)
        for (index, run) in workload.enumerated() {
            let result = try await RosterProcess.run(["run"] + run + ["--config", "roster.toml", "--yes"], in: reference,
                                                     environment: JournalTests.journal(reference))
            #expect(result.status == 0, "\(run): \(result.stderr)")
            let detail = try await JournalTests.show(index + 1, in: reference)
            let succeeded = Set((detail["changes"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "succeeded" }
                .map { "\($0["key"]!)#\($0["occurrence"]!)" })
            #expect(succeeded.count == changesPerRun[index + 1],
                    "run \(index + 1): \(succeeded.count) changes alone, \(changesPerRun[index + 1] ?? 0) by the workers: \(changeStates[index + 1] ?? "")")
        }
        let one = try await alone.state()
        let (together, apart) = (Self.text(Self.comparable(shared)), Self.text(Self.comparable(one)))
        #expect(together.contains("w127@example.com"), "the people onboarded are compared")
        #expect(together == apart)
    }

    /// A queued script carries the modules it `require`s (and theirs): a worker started in
    /// another folder, on a host without the script's folder, runs them as they were
    /// submitted. A name computed at run time is looked for beside the script's journaled
    /// (absolute) path, as `roster run` does.
    @Test func aQueuedScriptCarriesTheModulesItRequires() async throws {
        let (folder, emulator, environment) = try await Self.localFolder([
            "main.lua": """
                local helper = require('helper')
                print(helper.greeting(), require(args.computed).word)
                """,
            "helper.lua": "local words = require 'lib.words'\nreturn {greeting = function() return words.hello end}",
            "lib/words.lua": "return {hello = 'queued hello'}",
            "late.lua": "return {word = 'from the folder'}",
        ])
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        let submitted = try await RosterProcess.run(["submit", "main.lua", "--arg", "computed=late"], in: folder, environment: environment)
        #expect(submitted.status == 0, "\(submitted.stderr)")
        // Gone from this host after the submit: the worker runs the queued copies.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("helper.lua"))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("lib"))
        let elsewhere = try RosterProcess.scriptFolder(["unrelated.txt": "not the script's folder"])
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let worker = try await RosterProcess.run(["worker", "--exit-when-idle", "--config", folder.appendingPathComponent("roster.toml").path],
                                                 in: elsewhere, environment: environment)
        #expect(worker.status == 0, "\(worker.stderr)")
        let shown = try await JournalTests.show(1, in: folder)
        let run = shown["run"] as? [String: Any]
        #expect(run?["outcome"] as? String == "success", "\(worker.stderr)")
        #expect(run?["script"] as? String == folder.appendingPathComponent("main.lua").standardizedFileURL.path)
        #expect(worker.stdout.contains("queued hello\tfrom the folder") || worker.stderr.contains("queued hello\tfrom the folder"),
                "\(worker.stdout)\(worker.stderr)")
    }

    /// A queued run takes run options (`--max-changes`, `--timeout`, ...): journaled with it,
    /// the worker holds it to them; the accounts the worker reached it through are journaled
    /// when it starts, for its resumes.
    @Test func aQueuedRunKeepsTheLimitsItWasSubmittedWith() async throws {
        let (folder, emulator, environment) = try await Self.localFolder([
            "three.lua": #"for i = 1, 3 do activeconnect.add_users({"q" .. i .. "@example.com"}) end print("added")"#,
        ])
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        let config = folder.appendingPathComponent("roster.toml")
        try (String(contentsOf: config, encoding: .utf8) + "\n[tenants.demo]\nmax_changes = 2\n").write(to: config, atomically: true, encoding: .utf8)
        for arguments in [["submit", "three.lua"], ["submit", "three.lua", "--max-changes", "3", "--timeout", "30", "--memory-limit", "80"]] {
            let submitted = try await RosterProcess.run(arguments, in: folder, environment: environment)
            #expect(submitted.status == 0, "\(submitted.stderr)")
        }
        let worker = try await RosterProcess.run(["worker", "--exit-when-idle", "--config", "roster.toml"], in: folder, environment: environment)
        #expect(worker.status == 0, "\(worker.stderr)")
        #expect(worker.stderr.contains("run 1: roster: the run plans 3 changes, more than max_changes = 2"), "\(worker.stderr)")
        let refused = try await JournalTests.show(1, in: folder)["run"] as? [String: Any]
        #expect(refused?["exit_code"] as? Int == 2, "\(String(describing: refused))")
        let raised = try await JournalTests.show(2, in: folder)["run"] as? [String: Any]
        #expect(raised?["outcome"] as? String == "success", "\(worker.stderr)")
        #expect(raised?["limits"] as? [String: Int] == ["max_changes": 3, "timeout": 30, "memory_mb": 80], "\(String(describing: raised))")
        #expect((raised?["targets"] as? [String: String])?["activeconnect"]?.hasPrefix(emulator.origin + "/activeconnect, application ") == true,
                "\(String(describing: raised))")
    }

    /// A worker that claims a run another process on its host still runs (a resume typed by
    /// hand, a frozen worker's run) waits for it, keeping the lease, then starts it: here the
    /// run was finished meanwhile, so the queue records its success, not a refusal. A queued
    /// run resumed by hand before any worker started it runs through this host's roster.toml.
    @Test func aClaimedRunStillHeldOnThisHostWaitsForItsHolder() async throws {
        let (folder, emulator, environment) = try await Self.localFolder([
            "slow.lua": "for i = 1, 4 do encore.create_user({user_name = 'held' .. i, password = 'Passw0rd!x', license_type = 1, role_id = 3}) end",
        ], faults: "latency=300ms,only=writes")
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        #expect(try await RosterProcess.run(["submit", "slow.lua"], in: folder, environment: environment).status == 0)
        // Resumed by hand before any worker started it: it starts as a worker would start it,
        // with this host's roster.toml (a queued run has no other), not the built-in emulator.
        let byHand = try RosterProcess.spawn(["resume", "1", "--yes"], in: folder, environment: environment)
        try await Poll.until { try await emulator.stats()["encore"]?["requests"] ?? 0 >= 1 }
        let worker = try await RosterProcess.run(["worker", "--exit-when-idle", "--config", "roster.toml"], in: folder, environment: environment)
        #expect(try await byHand.wait() == 0, "\(byHand.errorText)")
        #expect(worker.status == 0, "\(worker.stderr)")
        #expect(worker.stderr.contains("run 1 is still held by process \(byHand.process.processIdentifier) on this host; it starts here when that ends"),
                "\(worker.stderr)")
        #expect(worker.stderr.contains("run 1 ended (exit 0)"), "\(worker.stderr)")
        let created = (try await emulator.state()["encore"] as? [[String: Any]] ?? []).compactMap { $0["UserName"] as? String }
        #expect(created.filter { $0.hasPrefix("held") }.sorted() == ["held1", "held2", "held3", "held4"], "\(created)")
    }

    /// `roster cancel`: a run still waiting is withdrawn and no worker starts it; a run a
    /// worker runs is stopped by that worker, cleanly (every change it sent answered and
    /// journaled), and ends as cancelled, exit 130, for `submit --wait` too; a run that was
    /// not queued is not the queue's to stop (exit 2).
    @Test func aQueuedRunIsCancelledBeforeOrWhileItRuns() async throws {
        let (folder, emulator, environment) = try await Self.localFolder([
            "later.lua": "encore.create_user({user_name = 'never', password = 'Passw0rd!x', license_type = 1, role_id = 3})",
            "slow.lua": "for i = 1, 80 do encore.create_user({user_name = 'cx' .. i, password = 'Passw0rd!x', license_type = 1, role_id = 3}) end",
            "here.lua": "print('ran here')",
        ], faults: "latency=250ms,only=writes")
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        func roster(_ arguments: [String]) async throws -> ProcessResult { try await RosterProcess.run(arguments, in: folder, environment: environment) }

        #expect(try await roster(["submit", "later.lua"]).status == 0)
        let withdrawn = try await roster(["cancel", "1"])
        #expect(withdrawn.status == 0 && withdrawn.diagnostics == "roster: run 1 cancelled: it had not started; nothing was sent\n", "\(withdrawn.stderr)")
        let twice = try await roster(["cancel", "1"])
        #expect(twice.status == 0 && twice.diagnostics == "roster: run 1 was already cancelled\n", "\(twice.stderr)")

        #expect(try await roster(["submit", "slow.lua"]).status == 0)
        let follower = try RosterProcess.spawn(["submit", "--wait", "later.lua"], in: folder, environment: environment)
        // One at a time: run 3 waits in the queue while run 2 runs.
        let worker = try RosterProcess.spawn(["worker", "--name", "solo", "--concurrency", "1", "--exit-when-idle"], in: folder, environment: environment)
        try await Poll.until { try await emulator.stats()["encore"]?["requests"] ?? 0 >= 4 }
        #expect(try await roster(["cancel", "3"]).status == 0)
        let stopped = try await roster(["cancel", "2", "--wait"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.diagnostics.hasPrefix("roster: run 2 runs on worker solo, which is asked to stop it: its changes in flight get their answers, then it ends as cancelled\n"),
                "\(stopped.stderr)")
        #expect(stopped.diagnostics.contains("roster: run 2 cancelled: ") && stopped.diagnostics.contains(" changes made (roster runs show 2 lists them; roster undo 2 reverses what can be)"),
                "\(stopped.stderr)")
        #expect(try await follower.wait() == 130, "\(follower.errorText)")
        #expect(follower.errorText.contains("roster: run 3: cancelled (exit 130)"), "\(follower.errorText)")
        #expect(try await worker.wait() == 0, "\(worker.errorText)")
        #expect(!worker.errorText.contains("run 1 started") && !worker.errorText.contains("run 3 started"), "\(worker.errorText)")
        #expect(worker.errorText.contains("roster: worker solo: run 2 was cancelled (roster cancel): stopping it"), "\(worker.errorText)")
        #expect(worker.errorText.contains("roster: worker solo: run 2 cancelled: stopped"), "\(worker.errorText)")

        // Stopped part way, each change it sent answered and journaled once; none of run 1's.
        let created = try await emulator.encoreUserNames()
        #expect(!created.contains("never"), "\(created)")
        let made = created.filter { $0.hasPrefix("cx") }
        let shown = try await JournalTests.show(2, in: folder)
        let run = shown["run"] as? [String: Any]
        #expect(run?["outcome"] as? String == "cancelled" && run?["exit_code"] as? Int == 130, "\(String(describing: run))")
        let states = (shown["changes"] as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
        #expect(states == Array(repeating: "succeeded", count: made.count), "\(states) for \(made)")
        #expect(made.count >= 3 && made.count < 80, "\(made)")
        // Cancelled is final: not finished by hand either, whether it had started or not.
        let resumed = try await roster(["resume", "2", "--yes"])
        #expect(resumed.status == 2, "\(resumed.stderr)")
        #expect(resumed.diagnostics == "roster: run 2 was cancelled (roster cancel), so it is not resumed: \(made.count) of its changes were made; "
                + "roster undo 2 reverses them, or run the script again to finish as a new run\n", "\(resumed.stderr)")
        let neverStarted = try await roster(["resume", "1", "--yes"])
        #expect(neverStarted.status == 2, "\(neverStarted.stderr)")
        #expect(neverStarted.diagnostics == "roster: run 1 was cancelled (roster cancel), so it is not resumed: it made no change; "
                + "submit or run the script again to run it after all\n", "\(neverStarted.stderr)")
        #expect(try await emulator.encoreUserNames().count == created.count)

        let direct = try await roster(["run", "here.lua", "--config", "roster.toml"])
        #expect(direct.status == 0, "\(direct.stderr)")
        let notQueued = try await roster(["cancel", "4"])
        #expect(notQueued.status == 2)
        #expect(notQueued.diagnostics.hasPrefix("roster: run 4 was not queued (started by "), "\(notQueued.stderr)")
        let ended = try await roster(["cancel", "9"])
        #expect(ended.status == 2 && ended.diagnostics.hasPrefix("roster: no run 9 in "), "\(ended.stderr)")

        // Ctrl-C on `submit --wait` stops the following, not the run, and says so.
        let following = try RosterProcess.spawn(["submit", "--wait", "later.lua"], in: folder, environment: environment)
        try await Poll.until(tries: 200) { following.errorTextSoFar.contains("roster: run 5: queued") }
        following.send(SIGINT)
        #expect(try await following.wait() == 130)
        #expect(following.errorText.contains("roster: SIGINT: stopped following run 5, which goes on without you (roster runs show 5; roster cancel 5 stops it)"),
                "\(following.errorText)")
        let stillQueued = try await roster(["cancel", "5"])
        #expect(stillQueued.diagnostics == "roster: run 5 cancelled: it had not started; nothing was sent\n", "\(stillQueued.stderr)")
    }

    /// A folder with an emulator (faults as given) and a SQLite journal of its own named in
    /// roster.toml, for one host's workers.
    static func localFolder(_ files: [String: String], faults: String = "") async throws -> (URL, EmulatorProcess, [String: String]) {
        let folder = try RosterProcess.scriptFolder(files)
        let emulator = try await EmulatorProcess.start(in: folder, faults: faults)
        let config = folder.appendingPathComponent("roster.toml")
        try ("journal = \"journal.sqlite\"\n" + String(contentsOf: config, encoding: .utf8)).write(to: config, atomically: true, encoding: .utf8)
        return (folder, emulator, JournalTests.journal(folder))
    }

    /// A worker lets go of each child it ran. It kept every one (Foundation keeps a Process
    /// only polled), and with it a descriptor: past its limit (1,024 on a stock system) it
    /// could start no run, and claimed the one it failed to start again and again, writing
    /// 100,000 lines a second and deaf to SIGTERM.
    @Test func aWorkerRunsMoreRunsThanItHasDescriptors() async throws {
        let (folder, emulator, environment) = try await Self.localFolder(["p.lua": "print('ran')"])
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        let submitted = try await RosterProcess.run(["submit", "p.lua"], in: folder, environment: environment)
        #expect(submitted.status == 0, "\(submitted.stderr)")
        // 99 more like it, queued here rather than by 99 processes.
        let runs = 100
        try await RosterProcess.offThePool {
            let store = try SQLiteJournalStore.open(path: folder.appendingPathComponent("journal.sqlite").path)
            guard let first = try store.run(1), let files = try store.queuedFiles(runID: 1) else { throw JournalError("run 1 is not queued") }
            for _ in 2...runs { _ = try store.submit(first.run, files: files, notBefore: Date(), tick: nil) }
        }
        // The descriptors this test process holds (other tests' pipes) are closed first: the
        // worker starts with its own alone, 96 at most.
        let closeInherited = #"for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done; "#
        let worker = try await RosterProcess.run(["-c", closeInherited + #"ulimit -n 96 && exec "$ROSTER" worker --exit-when-idle --concurrency 4"#],
                                                 executable: URL(fileURLWithPath: "/bin/bash"), in: folder, limit: 90,
                                                 environment: environment.merging(["ROSTER": RosterProcess.binary.path]) { $1 })
        #expect(worker.status == 0 && !worker.stderr.contains("cannot start"), "\(worker.stderr.prefix(600))")
        #expect(worker.stderr.components(separatedBy: "ended (exit 0)").count - 1 == runs, "\(worker.stderr.suffix(600))")
    }

    /// `submit --wait` ends with the run's exit code; the worker's metrics count the runs by
    /// outcome and the vendor requests their runs made; a plugin's workflow runs from the
    /// worker's own plugins folder.
    @Test func submitWaitsForTheExitCodeAndTheWorkerCountsIt() async throws {
        let (folder, emulator, environment) = try await Self.localFolder([
            "fine.lua": "encore.deactivate_user(1002)\nprint('deactivated')",
            "broken.lua": "encore.get_user(1001)\nerror('stopped here', 0)",
        ])
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        let worker = try RosterProcess.spawn(["worker", "--name", "solo", "--metrics-port", "0", "--plugins", RosterProcess.root.appendingPathComponent("plugins").path],
                                             in: folder, environment: environment)
        defer { worker.send(SIGKILL) }
        let fine = try await RosterProcess.run(["submit", "fine.lua", "--wait"], in: folder, environment: environment)
        #expect(fine.status == 0 && fine.stdout == "1\n", "\(fine.stderr)")
        #expect(fine.stderr.contains("roster: run 1: success (exit 0); its changes: roster runs show 1"), "\(fine.stderr)")
        let broken = try await RosterProcess.run(["submit", "broken.lua", "--wait"], in: folder, environment: environment)
        #expect(broken.status == 1, "\(broken.stderr)")
        #expect(broken.stderr.contains("roster: run 2: script error (exit 1): broken.lua:2: stopped here; its changes: roster runs show 2"), "\(broken.stderr)")
        let plugin = try await RosterProcess.run(["submit", "--plugin", "globex-offboarding", "offboard", "--arg", "email=grace@example.com", "--wait"],
                                                 in: folder, environment: environment)
        #expect(plugin.status == 0, "\(plugin.stderr) \(worker.errorText)")
        let shown = try await RosterProcess.run(["runs", "show", "3"], in: folder, environment: environment)
        #expect(shown.stdout.hasPrefix("run 3: plugin globex-offboarding 1.2.0 offboard, tenant demo,"), "\(shown.stdout)")
        // Queued without --tenant, journaled with the tenant the worker ran it in.
        let demo = try await RosterProcess.run(["runs", "--tenant", "demo", "--json"], in: folder, environment: environment)
        #expect((try JSONSerialization.jsonObject(with: Data(demo.stdout.utf8)) as? [Any])?.count == 3, "\(demo.stdout)")

        // The metrics, from the port the worker says it bound.
        let line = try #require(worker.errorTextSoFar.split(separator: "\n").first { $0.hasPrefix("roster: metrics on ") })
        let metrics = try await TestHTTP.get(String(line.dropFirst("roster: metrics on ".count))).text
        for expected in [#"roster_runs_ended_total{outcome="success"} 2"#, #"roster_runs_ended_total{outcome="script_error"} 1"#,
                         "roster_runs_started_total 3", #"roster_queue_runs{state="queued"} 0.0"#] {
            #expect(metrics.contains(expected), "\(expected) in \(metrics)")
        }
        let encore = try #require(metrics.split(separator: "\n").first { $0.hasPrefix(#"roster_vendor_requests_total{vendor="encore"}"#) })
        #expect(Int(encore.split(separator: " ").last ?? "") ?? 0 >= 3, "\(encore)")

        // A second worker on the same metrics port says so in words, and exits 2.
        let port = try #require(URL(string: String(line.dropFirst("roster: metrics on ".count)))?.port)
        let clash = try await RosterProcess.run(["worker", "--metrics-port", String(port), "--exit-when-idle"], in: folder, limit: 20, environment: environment)
        #expect(clash.status == 2)
        #expect(clash.stderr.contains("roster: cannot serve metrics on 127.0.0.1:\(port): port \(port) is in use\n"), "\(clash.stderr)")
    }

    /// A worker killed after its run ended but before it looked leaves nothing behind: the
    /// run's vendor counts come through a pipe. (They came through a file in the temporary
    /// folder, which the worker deleted as it reaped the run, and so never when it was gone.)
    @Test func aWorkerKilledBeforeItReapsLeavesNoFile() async throws {
        let (folder, emulator, environment) = try await Self.localFolder(["call.lua": "encore.get_user(1001)\nprint('called')"], faults: "latency=300ms")
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        let temporary = folder.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        #expect(try await RosterProcess.run(["submit", "call.lua"], in: folder, environment: environment).status == 0)
        let worker = try RosterProcess.spawn(["worker", "--name", "stopped"], in: folder, environment: environment.merging(["TMPDIR": temporary.path]) { $1 })
        defer { worker.send(SIGKILL) }
        try await Poll.until { worker.errorTextSoFar.contains("run 1 started") }
        // The run's call takes 300 ms: it ends while the worker cannot look.
        try await Self.stopOutsideWrites(worker, journal: folder.appendingPathComponent("journal.sqlite").path)
        func runChildren() -> [String] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(worker.process.processIdentifier)/task")) ?? []
            return tasks.flatMap { task in
                ((try? String(contentsOfFile: "/proc/\(worker.process.processIdentifier)/task/\(task)/children", encoding: .utf8)) ?? "").split(separator: " ").map(String.init)
            }
        }
        let child = try #require(runChildren().first, "\(worker.errorTextSoFar)")
        // A zombie: it has ended, and its stopped worker has not reaped it.
        try await Poll.until(tries: 400) { Self.state(of: child) == "Z" }
        #expect(Self.state(of: child) == "Z")
        worker.send(SIGKILL)
        _ = try await worker.wait(limit: 10)
        let left = try FileManager.default.contentsOfDirectory(atPath: temporary.path)
        #expect(left.isEmpty, "\(left)")
    }

    /// Stops `worker` (SIGSTOP) at a moment it is not writing to the SQLite `journal`. Stopped
    /// inside a write (the claim it tries every turn while it has room, say), it would keep every
    /// other process from writing, its run included, which would wait out its busy timeout.
    static func stopOutsideWrites(_ worker: SpawnedRoster, journal: String) async throws {
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        let database = try DatabaseQueue(path: journal, configuration: configuration)
        for _ in 0..<200 {
            worker.send(SIGSTOP)
            // Stopped once its state reads T: the signal is delivered apart from the send.
            try await Poll.until(tries: 200, every: .milliseconds(5)) { state(of: String(worker.process.processIdentifier)) == "T" }
            do {
                // An immediate transaction, refused at once while another process writes.
                try await database.writeWithoutTransaction { try $0.inTransaction(.immediate) { .commit } }
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                worker.send(SIGCONT)
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        Issue.record("the worker was writing to the journal each of 200 times it was stopped")
    }

    /// A process's state letter in /proc (R, S, T for stopped, Z for ended and not reaped);
    /// nil once it is gone. Read after the name's last ')', as a name may hold spaces.
    static func state(of process: String) -> Substring? {
        (try? String(contentsOfFile: "/proc/\(process)/stat", encoding: .utf8))?.split(separator: ")").last?.split(separator: " ").first
    }

    /// SIGTERM: the worker claims nothing more, its running run stops cleanly after the
    /// drain and goes back to the queue, the worker leaves the list; the next worker
    /// resumes the run, which ends with every change made once.
    @Test func aStoppedWorkerHandsItsRunToTheNext() async throws {
        var script = "for i = 1, 12 do encore.create_user({user_name = 'drain' .. i, first_name = 'D', last_name = 'R', password = 'Passw0rd!x', role_id = 3, license_type = 1}) end\n"
        script += "print('all created')"
        let (folder, emulator, environment) = try await Self.localFolder(["slow.lua": script], faults: "latency=250ms")
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        #expect(try await RosterProcess.run(["submit", "slow.lua", "--tenant", "demo"], in: folder, environment: environment).status == 0)
        let first = try RosterProcess.spawn(["worker", "--name", "first", "--drain", "0.5"], in: folder, environment: environment)
        var waited = 0
        while try await emulator.encoreUserNames().filter({ $0.hasPrefix("drain") }).count < 2, waited < 100 {
            waited += 1
            try await Task.sleep(for: .milliseconds(100))
        }
        first.send(SIGTERM)
        #expect(try await first.wait(limit: 30) == 0, "\(first.errorText)")
        #expect(first.errorText.contains("roster: worker first: run 1 stopped; back in the queue"), "\(first.errorText)")
        let listed = try await RosterProcess.run(["workers"], in: folder, environment: environment)
        #expect(listed.stdout.contains("no live workers") && listed.stdout.contains("queue: 1 waiting, 0 running"), "\(listed.stdout)")
        let created = try await emulator.encoreUserNames().filter { $0.hasPrefix("drain") }.count
        #expect(created < 12, "the run was stopped part way (\(created) created)")

        let next = try await RosterProcess.run(["worker", "--name", "next", "--exit-when-idle"], in: folder, environment: environment)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("run 1 started (claim 2: resumed from the journal)") && next.stderr.contains("run 1: all created"), "\(next.stderr)")
        let names = try await emulator.encoreUserNames().filter { $0.hasPrefix("drain") }
        #expect(names.count == 12 && Set(names).count == 12, "\(names)")
        let detail = try await JournalTests.show(1, in: folder)
        let succeeded = (detail["changes"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "succeeded" }
        #expect(succeeded.count == 12)
    }

    /// `journal_keep`: a worker deletes the settled runs older than it, not the newer ones;
    /// an age it cannot read is one line.
    @Test func aWorkerDeletesRunsOlderThanJournalKeep() async throws {
        let (folder, emulator, environment) = try await Self.localFolder(["ok.lua": "print(1)", "change.lua": "encore.deactivate_user(1002)"])
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        func roster(_ arguments: [String]) async throws -> ProcessResult {
            try await RosterProcess.run(arguments, in: folder, environment: environment)
        }
        #expect(try await roster(["run", "ok.lua"]).status == 0)
        #expect(try await roster(["run", "change.lua", "--yes"]).status == 0)
        let config = folder.appendingPathComponent("roster.toml")
        let original = try String(contentsOf: config, encoding: .utf8)
        try ("journal_keep = \"0.001h\"\n" + original).write(to: config, atomically: true, encoding: .utf8) // 3.6 s
        try await Task.sleep(for: .seconds(4))
        #expect(try await roster(["run", "ok.lua"]).status == 0)

        let worker = try await roster(["worker", "--name", "keeper", "--exit-when-idle"])
        #expect(worker.status == 0, "\(worker.stderr)")
        #expect(worker.stderr.contains("roster: worker keeper: deleted 2 runs started before ")
            && worker.stderr.contains(" UTC (1 change): journal_keep is 0.001h\n"), "\(worker.stderr)")
        #expect(try await JournalTests.runs(in: folder).map { $0["id"] as? Int } == [3])

        try ("journal_keep = \"1m\"\n" + original).write(to: config, atomically: true, encoding: .utf8)
        let misread = try await roster(["worker", "--exit-when-idle"])
        #expect(misread.status == 2 && misread.stderr.contains(":1: journal_keep: expected an age in days or hours, got \"1m\""), "\(misread.stderr)")
    }

    /// Two workers with the same schedule: its tick is queued once, and run once.
    @Test func aScheduleTickIsQueuedOnceWhicheverWorkerSeesIt() async throws {
        // Its module is queued with each tick's run, as `submit` queues a script's.
        let (folder, emulator, environment) = try await Self.localFolder([
            "review.lua": "print(require('lib.words').reviewed .. ' ' .. args.scope .. ' of ' .. #encore.list_users())",
            "lib/words.lua": "return {reviewed = 'reviewed'}",
        ])
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        let config = folder.appendingPathComponent("roster.toml")
        try (String(contentsOf: config, encoding: .utf8) + """

            [schedules.review]
            script = "review.lua"
            cron = "* * * * *"
            args = { scope = "everyone" }
            """).write(to: config, atomically: true, encoding: .utf8)
        let minute = { Int(Date().timeIntervalSince1970 / 60) }
        let before = minute()
        let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            for name in ["one", "two"] {
                group.addTask { try await RosterProcess.run(["worker", "--name", name, "--exit-when-idle"], in: folder, environment: environment) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let after = minute()
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        let outputs = results.map(\.stderr).joined()
        let listed = try await JournalTests.runs(in: folder)
        // One run per minute the workers were up (one, unless a minute turned meanwhile).
        #expect(listed.count >= 1 && listed.count <= after - before + 1, "\(listed.count) runs: \(outputs)")
        #expect(listed.allSatisfy { $0["user"] as? String == "schedule:review" && $0["outcome"] as? String == "success" }, "\(listed)")
        #expect(outputs.components(separatedBy: "reviewed everyone of").count - 1 == listed.count, "\(outputs)")
    }

    /// A scheduled script saved as Windows-1252 is not queued with its letters replaced:
    /// the worker says why, once per tick, and goes on.
    @Test func aScheduledScriptThatIsNotUTF8IsNotQueued() async throws {
        let (folder, emulator, environment) = try await Self.localFolder(["ok.lua": "print('x')"])
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        try Data("print('Jos".utf8 + [0xE9] + "')\n".utf8).write(to: folder.appendingPathComponent("review.lua"))
        let config = folder.appendingPathComponent("roster.toml")
        try (String(contentsOf: config, encoding: .utf8) + "\n[schedules.review]\nscript = \"review.lua\"\ncron = \"* * * * *\"\n")
            .write(to: config, atomically: true, encoding: .utf8)
        let result = try await RosterProcess.run(["worker", "--name", "one", "--exit-when-idle"], in: folder, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("roster: worker one: schedule review: its script "), "\(result.stderr)")
        #expect(result.stderr.contains("review.lua: line 1: not UTF-8 text (byte 0xE9 at character 11)"), "\(result.stderr)")
        #expect(try await JournalTests.runs(in: folder).isEmpty)
    }

    /// A schedule that cannot be read is one line naming the file, the key and the fix.
    @Test func aBadScheduleIsOneLine() async throws {
        let (folder, emulator, environment) = try await Self.localFolder(["review.lua": "print('x')"])
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        let config = folder.appendingPathComponent("roster.toml")
        try (String(contentsOf: config, encoding: .utf8) + "\n[schedules.review]\nscript = \"review.lua\"\ncron = \"61 * * * *\"\n")
            .write(to: config, atomically: true, encoding: .utf8)
        let result = try await RosterProcess.run(["worker"], in: folder, environment: environment)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("schedules.review.cron") && lines[0].contains("the minute field '61' goes outside 0-59"), "\(result.stderr)")
    }

    /// What `submit` cannot queue is one line, exit 2, and nothing is queued.
    @Test func submitMistakesAreOneLineAndQueueNothing() async throws {
        let (folder, emulator, environment) = try await Self.localFolder(["s.lua": "print(1)", "bad.csv": "a,b\n1,2,3\n"])
        defer { try? FileManager.default.removeItem(at: folder); emulator.stop() }
        for (arguments, message) in [
            (["missing.lua"], "roster: cannot read script 'missing.lua': no such file"),
            (["s.lua", "--each", "bad.csv"], "roster: --each bad.csv: line 2: 3 fields, but the header names 2 columns"),
            (["s.lua", "--input", "nowhere.csv"], "roster: cannot read --input 'nowhere.csv': no such file"),
        ] {
            let result = try await RosterProcess.run(["submit"] + arguments, in: folder, environment: environment)
            #expect(result.status == 2 && result.stderr == message + "\n", "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        for arguments in [[], ["s.lua", "--plugin", "a", "b"], ["--plugin", "a"], ["s.lua", "--at", "tomorrow"]] {
            let result = try await RosterProcess.run(["submit"] + arguments, in: folder, environment: environment)
            #expect(result.status == 2 && result.stderr.hasPrefix("Error: "), "\(arguments): \(result.stderr)")
        }
        let listed = try await RosterProcess.run(["workers"], in: folder, environment: environment)
        #expect(listed.stdout.contains("queue: 0 waiting, 0 running"), "\(listed.stdout)")
        let queued = try await RosterProcess.run(["submit", "s.lua", "--at", "1h"], in: folder, environment: environment)
        #expect(queued.status == 0 && queued.stdout == "1\n")
        #expect(queued.stderr.contains("roster: run 1 queued in ") && queued.stderr.contains(" UTC; a worker (roster worker) runs it"), "\(queued.stderr)")
        // Not due yet: a worker leaves it waiting.
        let idle = try await RosterProcess.run(["worker", "--exit-when-idle"], in: folder, environment: environment)
        #expect(idle.status == 0 && !idle.stderr.contains("run 1 started"), "\(idle.stderr)")
    }
}
