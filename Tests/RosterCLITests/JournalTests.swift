/// JournalTests.swift: runs that survive — the built binary against an emulator in its own
/// process (faults on), killed with SIGKILL or stopped with SIGINT at several instants,
/// then resumed: every person ends up in every vendor exactly once, and the journal lists
/// every change once as succeeded or replayed. Also: offboarding twice succeeds twice, a
/// change nothing can check asks for a decision, and the journal holds no secret.
import Foundation
import Journal
@testable import RosterCLI
import Testing
import TestSupport

@Suite(.serialized) struct JournalTests {
    static let people = 200

    /// A folder with the bulk script, a CSV of `people` people and an emulator's roster.toml.
    static func bulkFolder() throws -> URL {
        var csv = "email,first_name,last_name,phone,username\n"
        for index in 0..<people { csv += "p\(index)@example.com,First\(index),Last\(index),+1555\(String(format: "%07d", index)),user\(index)\n" }
        let script = try String(contentsOf: RosterProcess.root.appendingPathComponent("scripts/bulk-onboard-file.lua"), encoding: .utf8)
        return try RosterProcess.scriptFolder(["bulk-onboard.lua": script, "people.csv": csv])
    }

    /// Each test's own journal, in its folder.
    static func journal(_ folder: URL) -> [String: String] { ["XDG_STATE_HOME": folder.appendingPathComponent("state").path] }

    /// The journal's runs, newest first.
    static func runs(in folder: URL) async throws -> [[String: Any]] {
        let result = try await RosterProcess.run(["runs", "--json"], in: folder, environment: Self.journal(folder))
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
    }

    static func show(_ run: Int, in folder: URL) async throws -> [String: Any] {
        let result = try await RosterProcess.run(["runs", "show", String(run), "--json"], in: folder, environment: Self.journal(folder))
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
    }

    /// Runs the bulk script, interrupting each attempt with `signal` after the next delay,
    /// resuming until an attempt ends by itself; returns the run's id and the last attempt's
    /// `--json` report.
    static func interruptAndResume(_ folder: URL, signal: Int32, delays: [Double]) async throws -> (Int, [String: Any]) {
        var delays = delays
        for _ in 0..<12 {
            let run = try await runs(in: folder).first?["id"] as? Int
            let arguments = run.map { ["resume", String($0), "--json"] }
                ?? ["run", "bulk-onboard.lua", "--input", "people.csv", "--config", "roster.toml", "--json", "--yes"]
            let process = try RosterProcess.spawn(arguments, in: folder, environment: Self.journal(folder))
            if !delays.isEmpty {
                try await Task.sleep(for: .milliseconds(Int(delays.removeFirst() * 1000)))
                process.send(signal)
            }
            let status = try await process.wait()
            if signal == SIGINT, status == 130 {
                #expect(process.errorText.contains("to finish it: roster resume"), "\(process.errorText)")
            }
            if status == 0, let run = try await runs(in: folder).first?["id"] as? Int {
                let report = try #require(try JSONSerialization.jsonObject(with: process.stdout.value ?? Data()) as? [String: Any])
                return (run, report)
            }
            // A call the faults cut is a script error (exit 1): the next attempt finishes it.
            #expect(status != 2 && status != 5, "\(arguments): \(process.errorText)")
        }
        Issue.record("the run never finished")
        return (0, [:])
    }

    /// The emulator holds every person exactly once in every vendor.
    static func expectEveryoneOnce(_ emulator: EmulatorProcess) async throws {
        let state = try await emulator.state()
        func counts(_ names: [String]) -> [String: Int] { names.reduce(into: [:]) { $0[$1, default: 0] += 1 } }
        let person = try Regex("^p[0-9]+@example.com$")
        let encore = counts((state["encore"] as? [[String: Any]] ?? []).compactMap { $0["UserName"] as? String }.filter { $0.hasPrefix("user") })
        #expect(encore.count == people && encore.values.allSatisfy { $0 == 1 }, "encore: \(encore.count) users, duplicates \(encore.filter { $0.value > 1 }.keys.sorted())")
        let agencies = state["active911"] as? [[String: Any]] ?? []
        let members = counts(agencies.flatMap { $0["members"] as? [[String: Any]] ?? [] }.compactMap { $0["email"] as? String }.filter { $0.contains(person) })
        #expect(members.count == people && members.values.allSatisfy { $0 == 1 }, "active911: \(members.count) members")
        let applications = state["activeconnect"] as? [String: [String: Any]] ?? [:]
        #expect(applications.values.reduce(0) { $0 + $1.keys.filter { $0.contains(person) }.count } == people)
        let invites = counts(try await emulator.allthenticateInvites().filter { $0.contains(person) })
        #expect(invites.count == people && invites.values.allSatisfy { $0 == 1 }, "allthenticate: \(invites.count) invites")
    }

    /// In the run's journal, each change (key and occurrence) was sent and succeeded once,
    /// and the last attempt lists every change once, succeeded or replayed.
    static func expectJournalOnce(_ detail: [String: Any], report: [String: Any]) throws {
        let changes = try #require(detail["changes"] as? [[String: Any]])
        let attempts = (detail["run"] as? [String: Any])?["attempts"] as? Int ?? 1
        var succeeded: [String: Int] = [:]
        for change in changes where change["state"] as? String == "succeeded" {
            succeeded["\(change["key"]!)#\(change["occurrence"]!)", default: 0] += 1
        }
        #expect(succeeded.count == people + 3, "\(succeeded.count) changes succeeded")
        #expect(succeeded.values.allSatisfy { $0 == 1 }, "sent twice: \(succeeded.filter { $0.value > 1 }.keys.sorted())")
        let last = changes.filter { $0["attempt"] as? Int == attempts }
        #expect(last.count == people + 3)
        #expect(last.allSatisfy { ["succeeded", "replayed"].contains($0["state"] as? String) },
                "\(last.filter { !["succeeded", "replayed"].contains($0["state"] as? String) })")
        // The last attempt's --json report and the journal agree, call for call.
        let calls = (report["calls"] as? [[String: Any]] ?? []).filter { $0["effect"] as? String != "read" }
        #expect(calls.count == last.count)
        func signature(_ vendor: Any?, _ operation: Any?, _ arguments: Any?, _ outcome: Any?) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: arguments ?? [:], options: [.sortedKeys])) ?? Data()
            return "\(vendor ?? "") \(operation ?? "") \(String(decoding: data, as: UTF8.self)) \(outcome ?? "")"
        }
        let fromReport = calls.map { signature($0["vendor"], $0["operation"], $0["arguments"], $0["outcome"]) }.sorted()
        let fromJournal = last.map { signature($0["vendor"], $0["operation"], $0["arguments"], $0["state"]) }.sorted()
        #expect(fromReport == fromJournal)
    }

    @Test(arguments: [(SIGKILL, "SIGKILL"), (SIGINT, "SIGINT")])
    func aBulkRunInterruptedAtSeveralInstantsFinishesExactlyOnce(signal: Int32, name: String) async throws {
        let folder = try Self.bulkFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "latency=25ms,drop=0.01")
        defer { emulator.stop() }
        let (run, report) = try await Self.interruptAndResume(folder, signal: signal, delays: [0.5, 1.0, 1.5])
        try await Self.expectEveryoneOnce(emulator)
        let detail = try await Self.show(run, in: folder)
        try Self.expectJournalOnce(detail, report: report)
        #expect(report["run_id"] as? Int == run)
        // The interruptions landed mid-run: later attempts replayed what earlier ones did.
        #expect(((detail["run"] as? [String: Any])?["attempts"] as? Int ?? 0) >= 3)
        #expect((detail["changes"] as? [[String: Any]] ?? []).contains { $0["state"] as? String == "replayed" })
    }

    /// Processes that start at the same moment on a journal no one has made yet all run:
    /// one makes it, the others open that one. (They once failed now and then on a "disk
    /// I/O error", reading a journal another was still making; a race, so it is run twenty
    /// times, and failed about half the time under load before the fix.)
    @Test func processesStartingTogetherOnANewJournalAllRun() async throws {
        let folder = try RosterProcess.scriptFolder(["hello.lua": "print('hello')"])
        defer { try? FileManager.default.removeItem(at: folder) }
        for round in 0..<20 {
            let environment = ["XDG_STATE_HOME": folder.appendingPathComponent("state\(round)").path]
            let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
                for _ in 0..<8 { group.addTask { try await RosterProcess.run(["run", "hello.lua"], in: folder, environment: environment) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for result in results { #expect(result.status == 0 && result.stdout == "hello\n", "\(result.stderr)") }
            let runs = try await RosterProcess.run(["runs", "--json"], in: folder, environment: environment)
            #expect((try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [Any])?.count == 8)
        }
    }

    /// `roster run` opens the user's default journal ahead, while its arguments are parsed;
    /// a run whose roster.toml names another journal is recorded there all the same, and
    /// the default one gets nothing.
    @Test func aRunIsJournaledWhereTheConfigurationSaysThoughTheDefaultWasOpenedAhead() async throws {
        let folder = try RosterProcess.scriptFolder(["hello.lua": "print('hello')"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = Self.journal(folder)
        let first = try await RosterProcess.run(["run", "hello.lua"], in: folder, environment: environment)
        #expect(first.status == 0, "\(first.stderr)") // the default journal now exists
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let config = folder.appendingPathComponent("roster.toml")
        let other = folder.appendingPathComponent("other.sqlite").path
        try ("journal = \"\(other)\"\n" + String(contentsOf: config, encoding: .utf8)).write(to: config, atomically: true, encoding: .utf8)
        let second = try await RosterProcess.run(["run", "hello.lua"], in: folder, environment: environment)
        #expect(second.status == 0 && second.stdout == "hello\n", "\(second.stderr)")
        func runs(_ journal: String) async throws -> Int {
            let listed = try await RosterProcess.run(["runs", "--json", "--journal", journal], in: folder, environment: environment)
            return (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [Any])?.count ?? -1
        }
        #expect(try await runs(other) == 1)
        let defaultJournal = folder.appendingPathComponent("state/roster/journal.sqlite").path
        #expect(try await runs(defaultJournal) == 1, "only the first run")
    }

    @Test func offboardingTwiceSucceedsTwice() async throws {
        let folder = try RosterProcess.scriptFolder([:])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let script = RosterProcess.root.appendingPathComponent("scripts/offboard.lua").path
        let first = try await RosterProcess.run(["run", script, "--arg", "email=grace@example.com", "--config", "roster.toml", "--yes"], in: folder, environment: Self.journal(folder))
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await RosterProcess.run(["run", script, "--arg", "email=grace@example.com", "--config", "roster.toml", "--yes"], in: folder, environment: Self.journal(folder))
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("done    activeconnect already gone"), "\(second.stdout)")
        #expect(second.stdout.contains("already deactivated"))
        let detail = try await Self.show(2, in: folder)
        let already = (detail["changes"] as? [[String: Any]] ?? []).filter { $0["already"] as? Bool == true }.compactMap { $0["operation"] as? String }
        #expect(Set(already) == ["delete_users", "deactivate_user", "delete_user"])
    }

    /// Ctrl-C while a run is still starting (its signals caught, its script not yet
    /// running) stops it as it would a moment later: nothing sent, the run's id and how to
    /// finish it said, exit 130; the resume then makes the change once. (A signal there
    /// once ended the process silently, a run left with no outcome and no word.)
    @Test func aSignalWhileARunStartsStopsItBeforeItsFirstCall() async throws {
        let create = #"encore.create_user({user_name = "early", first_name = "E", last_name = "S", password = "Passw0rd!x", role_id = 3, license_type = 1})"#
        let folder = try RosterProcess.scriptFolder(["early.lua": create])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let process = try RosterProcess.spawn(["run", "early.lua", "--config", "roster.toml", "--yes"], in: folder, environment: Self.journal(folder))
        // The first moment it catches SIGINT (/proc: SigCgt), long before its script runs.
        let pid = process.process.processIdentifier
        var caught = false
        for _ in 0..<20_000 where !caught && !process.exited.value {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let mask = status.split(separator: "\n").first { $0.hasPrefix("SigCgt:") }.flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
            caught = mask & (1 << UInt64(SIGINT - 1)) != 0
            if !caught { try await Task.sleep(for: .microseconds(200)) }
        }
        try #require(caught, "the run never caught SIGINT")
        process.send(SIGINT)
        #expect(try await process.wait() == 130)
        #expect(process.errorText.contains("roster: run 1; to finish it: roster resume 1"), "\(process.errorText)")
        func created() async throws -> Int {
            (try await emulator.state()["encore"] as? [[String: Any]] ?? []).filter { $0["UserName"] as? String == "early" }.count
        }
        #expect(try await created() == 0, "stopped before its first call")
        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: Self.journal(folder))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try await created() == 1)
    }

    /// The commands a run's last line suggests reach its journal: with `--journal` when the
    /// run's journal is not the one a command run there without it opens (following them
    /// otherwise resumed, or showed, the run with that number in the default journal).
    @Test func theCommandsARunSuggestsReachItsJournal() async throws {
        let fail = "encore.deactivate_user(1001)\nerror('stop here', 0)"
        let folder = try RosterProcess.scriptFolder(["first.lua": fail, "fail.lua": fail])
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = Self.journal(folder)
        let plain = try await RosterProcess.run(["run", "first.lua", "--emulator", "--yes"], in: folder, environment: environment)
        #expect(plain.status == 1)
        #expect(plain.stderr.hasSuffix("roster: run 1; to finish it: roster resume 1; its changes: roster runs show 1\n"), "\(plain.stderr)")

        let other = folder.appendingPathComponent("other.sqlite").path
        let named = try await RosterProcess.run(["run", "fail.lua", "--emulator", "--yes", "--journal", other], in: folder, environment: environment)
        #expect(named.status == 1)
        #expect(named.stderr.hasSuffix("roster: run 1; to finish it: roster resume 1 --journal \(other); its changes: roster runs show 1 --journal \(other)\n"),
                "\(named.stderr)")
        // The suggested command shows that run (its one change), not run 1 of the default journal.
        let shown = try await RosterProcess.run(["runs", "show", "1", "--journal", other, "--json"], in: folder, environment: environment)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        #expect(((document["run"] as? [String: Any])?["script"] as? String)?.hasSuffix("fail.lua") == true, "\(shown.stdout)")

        // The journal roster.toml names is found without the option.
        try "journal = \"runs.sqlite\"\n[tenants.acme.encore]\nsubscription_key = { env = \"K\" }\n".write(to: folder.appendingPathComponent("roster.toml"), atomically: true, encoding: .utf8)
        let configured = try await RosterProcess.run(["run", "fail.lua", "--emulator", "--yes", "--journal", "runs.sqlite"], in: folder, environment: environment)
        #expect(configured.stderr.hasSuffix("roster: run 1; to finish it: roster resume 1; its changes: roster runs show 1\n"), "\(configured.stderr)")
    }

    @Test func aChangeNothingCanCheckAsksForADecision() async throws {
        let folder = try RosterProcess.scriptFolder(["sms.lua": #"activeconnect.send_registration_sms("ada@example.com", "+15550100")"#])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "drop=1")
        defer { emulator.stop() }
        let cut = try await RosterProcess.run(["run", "sms.lua", "--config", "roster.toml"], in: folder, environment: Self.journal(folder))
        #expect(cut.status == 1)
        #expect(cut.stderr.contains("outcome unknown"), "\(cut.stderr)")
        #expect(cut.stderr.contains("to finish it: roster resume 1"), "\(cut.stderr)")
        try await emulator.setFaults("")

        let asked = try await RosterProcess.run(["resume", "1"], in: folder, environment: Self.journal(folder))
        #expect(asked.status == 5, "\(asked.stderr)")
        #expect(asked.diagnostics.hasPrefix(#"roster: activeconnect.send_registration_sms user="ada@example.com" phone="+15550100" was sent by an earlier attempt and no answer came; nothing tells whether it took effect: resume with --assume-sent (take it as done) or --assume-not-sent (send it again)"#), "\(asked.stderr)")
        #expect(try await emulator.smsSent("ada@example.com").isEmpty)

        let sent = try await RosterProcess.run(["resume", "1", "--assume-not-sent"], in: folder, environment: Self.journal(folder))
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(try await emulator.smsSent("ada@example.com") == ["+15550100"])
        let runs = try await Self.runs(in: folder)
        #expect(runs.first?["outcome"] as? String == "success")
        #expect(runs.first?["attempts"] as? Int == 3)
    }

    /// `roster runs` shows the newest runs and says when it left older ones out (it cut the
    /// list at 200 without a word); `--failed` keeps those that did not succeed.
    @Test func theRunListSaysWhatItLeftOut() async throws {
        let folder = try RosterProcess.scriptFolder(["ok.lua": "print(1)", "bad.lua": "error('no', 0)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = Self.journal(folder)
        for script in ["ok.lua", "bad.lua", "ok.lua"] {
            _ = try await RosterProcess.run(["run", script, "--emulator"], in: folder, environment: environment)
        }
        let two = try await RosterProcess.run(["runs", "--limit", "2"], in: folder, environment: environment)
        #expect(two.status == 0)
        #expect(two.stdout.split(separator: "\n").dropFirst().map { $0.prefix(1) } == ["3", "2"], "\(two.stdout)")
        #expect(two.stderr == "roster: the newest 2 runs shown; older ones: --limit N, or --since WHEN\n", "\(two.stderr)")
        let all = try await RosterProcess.run(["runs", "--json"], in: folder, environment: environment)
        let listed = try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [Any]
        #expect(all.stderr.isEmpty && listed?.count == 3, "\(all.stdout)")
        let failed = try await RosterProcess.run(["runs", "--failed", "--json"], in: folder, environment: environment)
        let ids = (try JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [[String: Any]])?.map { $0["id"] as? Int }
        #expect(ids == [2], "\(failed.stdout)")
        let none = try await RosterProcess.run(["runs", "--failed", "--tenant", "elsewhere"], in: folder, environment: environment)
        #expect(none.stdout.hasPrefix("no runs that did not succeed of tenant 'elsewhere' journaled in "), "\(none.stdout)")
    }

    /// A list longer than a page (`RunsCommand.List.pageSize`) is read page by page and
    /// written as it is read: every run once, newest first, the filter applied throughout.
    @Test func aLongRunListIsReadPageByPage() async throws {
        let folder = try RosterProcess.scriptFolder(["x.lua": ""])
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("journal.sqlite").path
        let total = RunsCommand.List.pageSize * 2 + 7
        try await RosterProcess.offThePool {
            let store = try SQLiteJournalStore.open(path: path)
            for number in 1...total {
                let id = try store.startRun(NewRun(kind: "run", user: "ada", host: "desk", script: "/s\(number).lua", scriptText: "print(1)", arguments: [:],
                                                   inputs: [], tenant: "demo", configFile: nil, seed: 1, dryRun: false))
                // Every third run failed; the others succeeded.
                try store.finishAttempt(runID: id, attempt: 1, outcome: number % 3 == 0 ? "failure" : "success", exitCode: number % 3 == 0 ? 1 : 0, reads: 0, error: nil)
            }
        }
        func ids(_ arguments: [String]) async throws -> ([Int], String) {
            let result = try await RosterProcess.run(["runs", "--json", "--journal", path] + arguments, in: folder, environment: Self.journal(folder))
            let listed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
            return ((listed ?? []).compactMap { $0["id"] as? Int }, result.stderr)
        }
        let (all, allNote) = try await ids(["--limit", String(total)])
        #expect(all == Array((1...total).reversed()) && allNote.isEmpty, "\(all.count) \(allNote)")
        let (some, someNote) = try await ids(["--limit", String(RunsCommand.List.pageSize + 1)])
        #expect(some == Array((total - RunsCommand.List.pageSize...total).reversed()))
        #expect(someNote == "roster: the newest \(RunsCommand.List.pageSize + 1) runs shown; older ones: --limit N, or --since WHEN\n")
        let (failed, _) = try await ids(["--failed", "--limit", "1000000"])
        #expect(failed == Array((1...total).reversed().filter { $0 % 3 == 0 }))
        let table = try await RosterProcess.run(["runs", "--journal", path, "--limit", String(total)], in: folder, environment: Self.journal(folder))
        #expect(table.stdout.split(separator: "\n").count == total + 1, "\(table.stderr)")
    }

    /// `roster runs prune` deletes the old settled runs after saying what it would delete,
    /// only when confirmed, and journals that it did.
    @Test func oldRunsArePrunedOnlyWhenConfirmed() async throws {
        let folder = try RosterProcess.scriptFolder(["ok.lua": "print(1)", "bad.lua": "error('no', 0)", "change.lua": "encore.deactivate_user(1002)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = Self.journal(folder)
        func roster(_ arguments: [String]) async throws -> ProcessResult {
            try await RosterProcess.run(arguments, in: folder, environment: environment)
        }
        for script in ["ok.lua", "bad.lua", "change.lua"] {
            _ = try await roster(["run", script, "--emulator", "--yes"])
        }
        let journal = folder.appendingPathComponent("state/roster/journal.sqlite").path

        let unconfirmed = try await roster(["runs", "prune", "--before", "0s"])
        #expect(unconfirmed.status == 2)
        #expect(unconfirmed.stderr.hasPrefix("roster: would delete 3 runs started before ")
            && unconfirmed.stderr.hasSuffix(" UTC (runs 1 to 3, 1 change) from \(journal); there is no terminal to confirm it: add --yes; nothing deleted\n"),
                "\(unconfirmed.stderr)")
        let rehearsed = try await roster(["runs", "prune", "--before", "0s", "--dry-run"])
        #expect(rehearsed.status == 0 && rehearsed.stderr.hasSuffix("; nothing deleted (dry run)\n"), "\(rehearsed.stderr)")
        let elsewhere = try await roster(["runs", "prune", "--before", "0s", "--tenant", "elsewhere", "--yes"])
        #expect(elsewhere.status == 0 && elsewhere.stderr.hasPrefix("roster: no run started before ")
            && elsewhere.stderr.hasSuffix(" UTC of tenant 'elsewhere' to delete in \(journal)\n"), "\(elsewhere.stderr)")
        let recent = try await roster(["runs", "prune", "--before", "1d", "--yes"])
        #expect(recent.status == 0 && recent.stderr.hasPrefix("roster: no run started before "), "\(recent.stderr)")
        let future = try await roster(["runs", "prune", "--before", "2099-01-01"])
        #expect(future.status == 2 && future.stderr.contains("--before 2099-01-01 is in the future"), "\(future.stderr)")
        // On a terminal it asks; a no deletes nothing.
        let declined = try TerminalSession(["runs", "prune", "--before", "0s"], in: folder, environment: environment)
        #expect(await declined.waitFor("Delete 3 runs started before "), "\(declined.screen)")
        #expect(await declined.waitFor("They leave roster runs and roster audit for good. [y/N] "), "\(declined.screen)")
        declined.type("n\n")
        #expect(await declined.exitStatus() == 1)
        #expect(declined.screen.contains("roster: nothing deleted (not confirmed)"), "\(declined.screen)")
        #expect(try await Self.runs(in: folder).count == 3)

        let pruned = try await roster(["runs", "prune", "--before", "0s", "--yes"])
        #expect(pruned.status == 0)
        #expect(pruned.stderr.hasPrefix("roster: deleted 3 runs started before ") && pruned.stderr.contains(" UTC (1 change) from \(journal)\n")
            && pruned.stderr.contains("roster: \(journal) went from "), "\(pruned.stderr)")
        // What is left: the prune, journaled as a run of its own (who deleted what, and when).
        let left = try await Self.runs(in: folder)
        #expect(left.count == 1 && (left.first?["script"] as? String)?.hasPrefix("(deleted 3 runs started before ") == true
            && left.first?["tenant"] as? String == "(all tenants)" && left.first?["outcome"] as? String == "success", "\(left)")
        #expect(try await roster(["audit"]).stdout.isEmpty)
        #expect(try await roster(["runs", "show", "1"]).stderr.hasPrefix("roster: no run 1 in "))
        let misspelt = try await roster(["runs", "prnue"])
        #expect(misspelt.status == 2 && misspelt.stderr.contains("did you mean 'prune'?"), "\(misspelt.stderr)")
    }

    /// The line a run ended on is journaled with it: `runs show` gives it (a worker's or a
    /// schedule's run is seen nowhere else), and a resume that finishes the run clears it.
    @Test func theLineARunEndedOnIsJournaled() async throws {
        let folder = try RosterProcess.scriptFolder([
            "stop.lua": "encore.deactivate_user(1002)\nerror('stopped after the change', 0)",
            "long.lua": "encore.deactivate_user(1003)\nlocal n = 0 for i = 1, 1e6 do n = n + i end",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = Self.journal(folder)
        func show(_ run: Int) async throws -> (text: String, error: String?) {
            let text = try await RosterProcess.run(["runs", "show", String(run)], in: folder, environment: environment).stdout
            return (text, try await Self.show(run, in: folder)["run"].flatMap { ($0 as? [String: Any])?["error"] as? String })
        }
        #expect(try await RosterProcess.run(["run", "stop.lua", "--emulator", "--yes"], in: folder, environment: environment).status == 1)
        var shown = try await show(1)
        #expect(shown.text.split(separator: "\n").dropFirst().first == "error: stop.lua:2: stopped after the change", "\(shown.text)")
        #expect(shown.error == "stop.lua:2: stopped after the change")

        #expect(try await RosterProcess.run(["run", "long.lua", "--emulator", "--yes", "--instruction-limit", "100000"],
                                            in: folder, environment: environment).status == 3)
        shown = try await show(2)
        #expect(shown.error?.hasPrefix("instruction limit") == true, "\(shown.text)")
        let finished = try await RosterProcess.run(["resume", "2", "--instruction-limit", "100000000"], in: folder, environment: environment)
        #expect(finished.status == 0, "\(finished.stderr)")
        shown = try await show(2)
        #expect(shown.error == nil && !shown.text.contains("error: "), "\(shown.text)")
    }

    /// A run or plan whose roster.toml is gone says so, and what to do, instead of blaming
    /// a --config nobody gave; resume and undo then take the one named with --config.
    @Test func aConfigurationMovedSinceTheRunIsNamed() async throws {
        let folder = try RosterProcess.scriptFolder(["stop.lua": "encore.deactivate_user(1002)\nerror('stopped after the change', 0)",
                                                     "plan.lua": "encore.deactivate_user(1003)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        func roster(_ arguments: [String]) async throws -> ProcessResult {
            try await RosterProcess.run(arguments, in: folder, environment: Self.journal(folder))
        }
        #expect(try await roster(["run", "stop.lua", "--config", "roster.toml", "--yes"]).status == 1)
        #expect(try await roster(["run", "plan.lua", "--config", "roster.toml", "--dry-run", "--plan-out", "plan.json"]).status == 0)
        let config = folder.appendingPathComponent("roster.toml")
        try FileManager.default.moveItem(at: config, to: folder.appendingPathComponent("moved.toml"))
        let resumed = try await roster(["resume", "1"])
        #expect(resumed.status == 2)
        #expect(resumed.diagnostics == "roster: run 1 used the configuration \(config.path), which is not there any more; put it back, or name the one to use now with --config FILE\n")
        let applied = try await roster(["apply", "plan.json", "--yes"])
        #expect(applied.status == 2)
        #expect(applied.diagnostics.hasPrefix("roster: plan ") && applied.diagnostics.hasSuffix(" used the configuration \(config.path), which is not there any more; put it back\n"),
                "\(applied.stderr)")
        // A tenant renamed since: the run's changes are that tenant's, so no other stands in
        // (these commands take no --tenant).
        let renamed = try String(contentsOf: folder.appendingPathComponent("moved.toml"), encoding: .utf8)
            .replacingOccurrences(of: "tenants.demo.", with: "tenants.prod.").replacingOccurrences(of: "\"demo\"", with: "\"prod\"")
        try renamed.write(to: config, atomically: true, encoding: .utf8)
        let gone = try await roster(["resume", "1"])
        #expect(gone.status == 2)
        #expect(gone.diagnostics == "roster: run 1 was made for tenant 'demo', which \(config.path) no longer has (its tenants: prod); add it back, or name a configuration that has it with --config FILE\n",
                "\(gone.stderr)")
        let undone = try await roster(["undo", "1", "--yes", "--config", "roster.toml"])
        #expect(undone.status == 2)
        #expect(undone.diagnostics == "roster: run 1 was made for tenant 'demo', which roster.toml does not have (its tenants: prod); name a configuration that has it with --config FILE\n",
                "\(undone.stderr)")
        let planGone = try await roster(["apply", "plan.json", "--yes"])
        #expect(planGone.status == 2)
        #expect(planGone.diagnostics.hasSuffix(" was made for tenant 'demo', which \(config.path) no longer has (its tenants: prod); add it back\n"), "\(planGone.stderr)")

        let named = try await roster(["resume", "1", "--config", "moved.toml"])
        #expect(named.status == 1 && named.stderr.contains("stopped after the change"), "\(named.stderr)")
    }

    /// Reads are counted per attempt, not stored: `runs` and `runs show` give their sum. A
    /// confirmed run's reads answered from its rehearsal count too (they were sent, once).
    /// The run's change is in the audit, found by its vendor.
    @Test func readsAreCountedOverTheAttempts() async throws {
        let folder = try RosterProcess.scriptFolder([
            "reads.lua": "for _ = 1, 3 do encore.get_user(1001) end\nencore.deactivate_user(1002)\nerror('stopped after the change', 0)",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let first = try await RosterProcess.run(["run", "reads.lua", "--config", "roster.toml", "--yes"], in: folder, environment: Self.journal(folder))
        #expect(first.status == 1, "\(first.stderr)")
        #expect((try await Self.show(1, in: folder)["run"] as? [String: Any])?["reads"] as? Int == 3)

        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: Self.journal(folder))
        #expect(resumed.status == 1, "\(resumed.stderr)")
        let runs = try await Self.runs(in: folder)
        #expect(runs.first?["reads"] as? Int == 6 && runs.first?["attempts"] as? Int == 2, "\(runs)")
        let shown = try await RosterProcess.run(["runs", "show", "1"], in: folder, environment: Self.journal(folder))
        #expect(shown.stdout.contains(", 2 attempts, 6 reads: "), "\(shown.stdout)")
        // The CSV of one run has the audit's columns, its tenant and user filled in.
        let csv = try await RosterProcess.run(["runs", "show", "1", "--csv"], in: folder, environment: Self.journal(folder))
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "id,run,attempt,sequence,tenant,user,vendor,operation,effect,state,already,started_at,duration_ms,arguments,error")
        let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? NSUserName()
        #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false)[4...5] == ["demo", Substring(user)] }, "\(csv.stdout)")
        #expect(lines.count == 3, "\(csv.stdout)") // the header, the change, and its replay on resume
        let listed = try await RosterProcess.run(["runs"], in: folder, environment: Self.journal(folder))
        #expect(listed.stdout.split(separator: "\n").first?.hasSuffix("READS") == true, "\(listed.stdout)")
        #expect(listed.stdout.split(separator: "\n").dropFirst().first?.hasSuffix(" 6") == true, "\(listed.stdout)")

        // The audit finds the change by its vendor; a vendor Roster does not know is refused,
        // not an empty list; an empty list says what it was filtered by.
        let audited = try await RosterProcess.run(["audit", "--vendor", "encore"], in: folder, environment: Self.journal(folder))
        #expect(audited.status == 0 && audited.stdout.split(separator: "\n").count == 1, "\(audited.stdout)")
        let misspelt = try await RosterProcess.run(["audit", "--vendor", "encor"], in: folder, environment: Self.journal(folder))
        #expect(misspelt.status == 2)
        #expect(misspelt.stderr.hasPrefix("Error: --vendor must be one of activeconnect, encore, guardant, active911, allthenticate, got 'encor'\n"), "\(misspelt.stderr)")
        let none = try await RosterProcess.run(["runs", "--tenant", "acme", "--since", "1d"], in: folder, environment: Self.journal(folder))
        #expect(none.stdout.hasPrefix("no runs of tenant 'acme' since 1d journaled in "), "\(none.stdout)")

        // The audit's CSV opens in a spreadsheet as text: a user named like a formula is shown,
        // not run (a leading ').
        var formulaUser = Self.journal(folder)
        formulaUser["USER"] = "=HYPERLINK(1)"
        #expect(try await RosterProcess.run(["run", "reads.lua", "--config", "roster.toml", "--yes"], in: folder, environment: formulaUser).status == 1)
        let audit = try await RosterProcess.run(["audit", "--format", "csv"], in: folder, environment: Self.journal(folder))
        #expect(audit.stdout.split(separator: "\n").last?.contains(",demo,'=HYPERLINK(1),encore,deactivate_user,") == true, "\(audit.stdout)")
    }

    /// A toggle reads its target's state before it is sent and journals it: resuming one
    /// whose answer was lost, a state that moved means it took effect (not sent again), the
    /// same state that it did not (sent now). Either way it is toggled exactly once.
    @Test(arguments: [("lost=1,only=writes", "took effect, answer lost"), ("drop=1,only=writes", "cut before it took effect")])
    func aToggleOfUnknownOutcomeIsSettledByTheStateItFoundBefore(fault: String, what: String) async throws {
        let folder = try RosterProcess.scriptFolder(["suspend.lua": "local answer = allthenticate.toggle_suspension(102)\nprint(answer.suspended, answer.ad_status)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        try await emulator.setFaults(fault)
        let cut = try await RosterProcess.run(["run", "suspend.lua", "--config", "roster.toml"], in: folder, environment: Self.journal(folder))
        #expect(cut.status == 1, "\(what): \(cut.stderr)")
        #expect(cut.stderr.contains("outcome unknown"), "\(what): \(cut.stderr)")
        let before = try await Self.show(1, in: folder)["changes"] as? [[String: Any]] ?? []
        #expect(before.map { ($0["state_before"] as? [String: String])?["ad_status"] } == ["ACTIVE"], "\(what): \(before)")
        try await emulator.setFaults("")

        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: Self.journal(folder))
        #expect(resumed.status == 0, "\(what): \(resumed.stderr)")
        #expect(try await emulator.allthenticateSuspended(emailID: 102) == true, "\(what)")
        let changes = try await Self.show(1, in: folder)["changes"] as? [[String: Any]] ?? []
        #expect(changes.map { $0["state"] as? String } == ["unknown", "succeeded"], "\(what): \(changes)")
        // Settled by comparing states, the answer is the state found; sent again, it is the vendor's.
        #expect(resumed.stdout.contains(fault.hasPrefix("lost") ? "nil\tSUSPENDED" : "true\tnil"), "\(what): \(resumed.stdout)")
    }

    @Test func aResumeDrawsTheSameRandomNumbersAndNeedsTheSameInputs() async throws {
        let folder = try RosterProcess.scriptFolder([
            "draw.lua": """
                print(math.random(1, 1000000000), #inputs[1])
                encore.create_user({user_name = "drawn", password = "Passw0rd!x", license_type = 1, role_id = 3})
                """,
            "list.txt": "one",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "error500=1")
        defer { emulator.stop() }
        let failed = try await RosterProcess.run(["run", "draw.lua", "--input", "list.txt", "--config", "roster.toml"], in: folder,
                                                 environment: Self.journal(folder))
        #expect(failed.status == 1, "\(failed.stderr)")
        // Its one change refused, it changed nothing: running it again is the advice, and a
        // resume may still finish it.
        #expect(failed.stderr.contains("roster: run 1 changed nothing before its error: run it again once encore works again"), "\(failed.stderr)")
        try await emulator.setFaults("")

        try "two".write(to: folder.appendingPathComponent("list.txt"), atomically: true, encoding: .utf8)
        let refused = try await RosterProcess.run(["resume", "1"], in: folder, environment: Self.journal(folder))
        #expect(refused.status == 2)
        #expect(refused.stderr.hasPrefix("roster: --input 'list.txt' changed since run 1 read it"), "\(refused.stderr)")

        try "one".write(to: folder.appendingPathComponent("list.txt"), atomically: true, encoding: .utf8)
        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: Self.journal(folder))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout == failed.stdout, "the same draw: \(failed.stdout) then \(resumed.stdout)")
        #expect(try await emulator.state()["encore"].map { "\($0)" }?.contains("drawn") == true)
    }

    /// A name built from `os.time()` is the same in every attempt: the resumed run replays the
    /// user it created rather than creating a second one a second later, and `os.date`
    /// says what it said the first time.
    @Test func aResumeSeesTheTimeTheRunStarted() async throws {
        let folder = try RosterProcess.scriptFolder([
            "stamped.lua": """
                local name = "t" .. os.time()
                print(name, os.date("!%Y-%m-%d %H:%M:%S"), os.time() == os.time(os.date("*t")))
                encore.create_user({user_name = name, password = "Passw0rd!x", license_type = 1, role_id = 3})
                encore.get_user(424242) -- no such user: the run fails after its change
                """,
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let first = try await RosterProcess.run(["run", "stamped.lua", "--config", "roster.toml"], in: folder, environment: Self.journal(folder))
        #expect(first.status == 1, "\(first.stderr)")
        #expect(first.stdout.hasSuffix("\ttrue\n"), "\(first.stdout)")
        try await Task.sleep(for: .milliseconds(1100)) // a running clock would now say another second
        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: Self.journal(folder))
        #expect(resumed.status == 1, "\(resumed.stderr)")
        #expect(resumed.stdout == first.stdout, "the same time: \(first.stdout) then \(resumed.stdout)")
        let created = (try await emulator.state()["encore"] as? [[String: Any]] ?? []).compactMap { $0["UserName"] as? String }
            .filter { $0.hasPrefix("t1") }
        #expect(created.count == 1, "created once: \(created)")
        let shown = try await Self.show(1, in: folder)
        let changes = shown["changes"] as? [[String: Any]] ?? []
        #expect(changes.map { $0["state"] as? String } == ["succeeded", "replayed"], "\(changes)")
        // `runs show` says which time the run's attempts see.
        let clock = try #require((shown["run"] as? [String: Any])?["clock"] as? String)
        #expect(first.stdout.split(separator: "\t").dropFirst().first == clock.prefix(19).replacingOccurrences(of: "T", with: " ")[...],
                "\(clock) against \(first.stdout)")
    }

    /// A `parallel` item that fails stops its siblings, but not the changes they have sent:
    /// those run to their answers, which are journaled (not cut and left of unknown outcome
    /// for a resume to check), and the run reports its failure once they are in.
    @Test func aFailedParallelItemLetsTheChangesItsSiblingsSentFinish() async throws {
        let folder = try RosterProcess.scriptFolder([
            "fanout.lua": """
                parallel.map({1, 2, 3, 4}, function(i)
                  if i == 4 then error("item 4 is bad") end
                  encore.create_user({user_name = "fan" .. i, password = "Passw0rd!x", license_type = 1, role_id = 3})
                end, {concurrency = 4})
                """,
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "latency=300ms,only=writes")
        defer { emulator.stop() }
        let run = try await RosterProcess.run(["run", "fanout.lua", "--config", "roster.toml"], in: folder, environment: Self.journal(folder))
        #expect(run.status == 1 && run.diagnostics.contains("parallel.map: item #4 failed: fanout.lua:2: item 4 is bad"), "\(run.stderr)")
        #expect(!run.diagnostics.contains("outcome unknown"), "\(run.stderr)")
        let changes = try await Self.show(1, in: folder)["changes"] as? [[String: Any]] ?? []
        #expect(changes.map { $0["state"] as? String } == ["succeeded", "succeeded", "succeeded"], "\(changes)")
        let created = (try await emulator.state()["encore"] as? [[String: Any]] ?? []).compactMap { $0["UserName"] as? String }
        #expect(Set(created).isSuperset(of: ["fan1", "fan2", "fan3"]), "\(created)")
    }

    /// One process at a time runs a run: a resume (or an undo) while the run still runs, or a
    /// second resume beside the first, is refused (exit 2, naming the process) before it
    /// journals or sends anything; once the process is gone, the run resumes. Two at once would each
    /// send the changes the other had not journaled yet.
    @Test func aRunIsRunByOneProcessAtATime() async throws {
        let folder = try RosterProcess.scriptFolder([
            "slow.lua": """
                for i = 1, 20 do
                  encore.create_user({user_name = "one" .. i, password = "Passw0rd!x", license_type = 1, role_id = 3})
                end
                """,
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "latency=300ms,only=writes")
        defer { emulator.stop() }
        let environment = Self.journal(folder)
        let first = try RosterProcess.spawn(["run", "slow.lua", "--config", "roster.toml", "--yes"], in: folder, environment: environment)
        try await Poll.until { try await emulator.stats()["encore"]?["requests"] ?? 0 >= 2 }
        let meanwhile = try await RosterProcess.run(["resume", "1"], in: folder, environment: environment)
        #expect(meanwhile.status == 2, "\(meanwhile.stderr)")
        #expect(meanwhile.diagnostics.hasPrefix("roster: run 1 is in use by another roster process on this host (process \(first.process.processIdentifier)), which runs, resumes or undoes it; wait for it to end"),
                "\(meanwhile.stderr)")
        // Nor is it undone while it goes on.
        let undone = try await RosterProcess.run(["undo", "1", "--yes"], in: folder, environment: environment)
        #expect(undone.status == 2 && undone.diagnostics.hasPrefix("roster: run 1 is in use by another roster process on this host"), "\(undone.stderr)")
        // `roster runs` tells a run going on from one that was killed, and a change it is
        // sending (in flight) from one whose answer is unknown.
        var running = try await RosterProcess.run(["runs"], in: folder, environment: environment)
        #expect(running.stdout.contains("running (process \(first.process.processIdentifier))"), "\(running.stdout)")
        for _ in 0..<40 where !running.stdout.contains(", 1 in flight") {
            #expect(running.stdout.contains(" 0 unknown"), "\(running.stdout)")
            try await Task.sleep(for: .milliseconds(50))
            running = try await RosterProcess.run(["runs"], in: folder, environment: environment)
        }
        #expect(running.stdout.contains(" 0 unknown, 1 in flight"), "\(running.stdout)")
        let runningJSON = try await RosterProcess.run(["runs", "--json"], in: folder, environment: environment)
        #expect(runningJSON.stdout.contains(#""in_flight":1"#) || runningJSON.stdout.contains(#""in_flight" : 1"#), "\(runningJSON.stdout)")
        first.send(SIGKILL)
        _ = try await first.wait()
        let killed = try await RosterProcess.run(["runs", "show", "1"], in: folder, environment: environment)
        #expect(killed.stdout.hasPrefix("run 1: ") && killed.stdout.contains(", 1 attempt, 0 reads: killed\n"), "\(killed.stdout)")
        let killedList = try await RosterProcess.run(["runs"], in: folder, environment: environment)
        #expect(killedList.stdout.contains("killed") && killedList.stdout.contains(" 1 unknown") && !killedList.stdout.contains("in flight"),
                "\(killedList.stdout)")

        // Two resumes at once: one runs the rest, the other is refused.
        let resumes = try (0..<2).map { _ in try RosterProcess.spawn(["resume", "1"], in: folder, environment: environment) }
        var statuses: [Int32] = []
        for resume in resumes { statuses.append(try await resume.wait() ?? -1) }
        #expect(statuses.sorted() == [0, 2], "\(resumes.map(\.errorText))")
        let created = (try await emulator.state()["encore"] as? [[String: Any]] ?? []).compactMap { $0["UserName"] as? String }
            .filter { $0.hasPrefix("one") }
        #expect(created.sorted() == (1...20).map { "one\($0)" }.sorted(), "each once: \(created)")
        let shown = try await Self.show(1, in: folder)
        #expect((shown["run"] as? [String: Any])?["attempts"] as? Int == 2, "a refused resume starts no attempt: \(shown)")
    }

    /// A resume keeps the limits the run was given (a long run is not cut at the default
    /// 60 s on its resume), unless told others, and finishes the run only where it started:
    /// with the tenant's vendor re-pointed since (another account, address or secret), it
    /// refuses (exit 2) and sends nothing.
    @Test func aResumeKeepsTheRunsLimitsAndItsAccounts() async throws {
        let folder = try RosterProcess.scriptFolder([
            "long.lua": """
                for i = 1, 2 do encore.create_user({user_name = "lim" .. i, password = "Passw0rd!x", license_type = 1, role_id = 3}) end
                local started = os.clock() while os.clock() - started < 1.2 do end
                print("finished")
                """,
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = Self.journal(folder)
        let first = try await RosterProcess.run(["run", "long.lua", "--config", "roster.toml", "--timeout", "0.5", "--memory-limit", "100"],
                                                in: folder, environment: environment)
        #expect(first.status == 3, "\(first.stderr)")
        // A resume keeps the limit that stopped the run: the line says how to raise it.
        #expect(first.stderr.hasSuffix("roster: run 1; to finish it: roster resume 1 --timeout 1; its changes: roster runs show 1\n"), "\(first.stderr)")
        let kept = try await RosterProcess.run(["resume", "1"], in: folder, environment: environment)
        #expect(kept.status == 3 && kept.diagnostics.contains("longer than its 500 ms limit"), "the run's own timeout: \(kept.stderr)")
        let run = try await Self.show(1, in: folder)["run"] as? [String: Any]
        #expect(run?["limits"] as? [String: Double] == ["timeout": 0.5, "memory_mb": 100], "\(String(describing: run))")

        let config = folder.appendingPathComponent("roster.toml")
        let original = try String(contentsOf: config, encoding: .utf8)
        try original.replacingOccurrences(of: "secrets/encore.key", with: "secrets/other.key").write(to: config, atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("secrets/encore.key"), to: folder.appendingPathComponent("secrets/other.key"))
        let moved = try await RosterProcess.run(["resume", "1", "--timeout", "10"], in: folder, environment: environment)
        #expect(moved.status == 2, "\(moved.stderr)")
        #expect(moved.diagnostics.contains("roster: run 1 was started against encore at \(emulator.origin)/encore, key from file secrets/encore.key; "
                                           + "tenant 'demo' now reaches encore at \(emulator.origin)/encore, key from file secrets/other.key; "
                                           + "a resume finishes a run where it started"), "\(moved.stderr)")
        // Nor is it undone there.
        let undone = try await RosterProcess.run(["undo", "1", "--yes"], in: folder, environment: environment)
        #expect(undone.status == 2 && undone.diagnostics.contains("an undo reverses a run where it was made"), "\(undone.stderr)")
        try original.write(to: config, atomically: true, encoding: .utf8)
        let finished = try await RosterProcess.run(["resume", "1", "--timeout", "10"], in: folder, environment: environment)
        #expect(finished.status == 0 && finished.stdout == "finished\n", "\(finished.stderr)")
        let created = (try await emulator.state()["encore"] as? [[String: Any]] ?? []).compactMap { $0["UserName"] as? String }
        #expect(created.filter { $0.hasPrefix("lim") }.sorted() == ["lim1", "lim2"], "\(created)")
    }

    /// A run its memory or instruction limit stopped is told to resume with more (a resume
    /// keeps the run's limits), and a resume takes more of either.
    @Test func aRunStoppedByALimitIsToldToResumeWithMore() async throws {
        let script = "encore.deactivate_user(1002)\nlocal t = {} for i = 1, 1e6 do t[i] = i end"
        let folder = try RosterProcess.scriptFolder(["big.lua": script, "long.lua": script])
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = Self.journal(folder)
        let first = try await RosterProcess.run(["run", "big.lua", "--emulator", "--yes", "--memory-limit", "8"], in: folder, environment: environment)
        #expect(first.status == 3, "\(first.stderr)")
        #expect(first.stderr.hasSuffix("roster: run 1; to finish it: roster resume 1 --memory-limit 16; its changes: roster runs show 1\n"), "\(first.stderr)")
        let resumed = try await RosterProcess.run(["resume", "1", "--memory-limit", "256"], in: folder, environment: environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")

        let counted = try await RosterProcess.run(["run", "long.lua", "--emulator", "--yes", "--instruction-limit", "100000"], in: folder, environment: environment)
        #expect(counted.status == 3, "\(counted.stderr)")
        #expect(counted.stderr.hasSuffix("roster: run 2; to finish it: roster resume 2 --instruction-limit 200000; its changes: roster runs show 2\n"), "\(counted.stderr)")
        let again = try await RosterProcess.run(["resume", "2"], in: folder, environment: environment)
        #expect(again.status == 3, "the run's own limit: \(again.stderr)")
        let finished = try await RosterProcess.run(["resume", "2", "--instruction-limit", "100000000"], in: folder, environment: environment)
        #expect(finished.status == 0, "\(finished.stderr)")
    }

    /// The modules a script requires are journaled with it: a resume runs them as they were,
    /// so a module edited in between cannot make the resume create a second user.
    @Test func aResumeRunsTheModulesAsTheRunFoundThem() async throws {
        let folder = try RosterProcess.scriptFolder([
            "onboard.lua": """
                local naming = require("lib.naming")
                local name = naming.user_name("Ada", "Byron")
                print(name)
                encore.create_user({user_name = name, password = "Passw0rd!x", license_type = 1, role_id = 3})
                encore.get_user(424242) -- no such user: the run fails after its change
                """,
            "lib/naming.lua": "return {user_name = function(first, last) return (first .. '.' .. last):lower() end}\n",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let first = try await RosterProcess.run(["run", "onboard.lua", "--config", "roster.toml"], in: folder, environment: Self.journal(folder))
        #expect(first.status == 1 && first.stdout == "ada.byron\n", "\(first.stdout)\(first.stderr)")
        // Someone changes the naming rule before the resume.
        try "return {user_name = function(first, last) return first:sub(1, 1):lower() .. last:lower() end}\n"
            .write(to: folder.appendingPathComponent("lib/naming.lua"), atomically: true, encoding: .utf8)
        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: Self.journal(folder))
        #expect(resumed.stdout == "ada.byron\n", "\(resumed.stdout)\(resumed.stderr)")
        let names = (try await emulator.state()["encore"] as? [[String: Any]] ?? []).compactMap { $0["UserName"] as? String }
        #expect(names.contains("ada.byron") && !names.contains("abyron"), "\(names)")
        // `runs show` names each module journaled, with its digest, not its text.
        let modules = (try await Self.show(1, in: folder)["run"] as? [String: Any])?["modules"] as? [[String: Any]]
        #expect(modules?.map { $0["path"] as? String } == ["lib/naming.lua"] && modules?.first?["sha256"] as? String != nil, "\(modules ?? [])")
        // A new run takes the module as it is now.
        let again = try await RosterProcess.run(["run", "onboard.lua", "--config", "roster.toml", "--dry-run"], in: folder, environment: Self.journal(folder))
        #expect(again.stdout.hasPrefix("abyron\n"), "\(again.stdout)")
    }

    @Test func aPluginRunIsResumedInItsSandboxWithItsParameters() async throws {
        let folder = try RosterProcess.scriptFolder([:])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "error500=1")
        defer { emulator.stop() }
        let plugins = RosterProcess.root.appendingPathComponent("plugins").path
        let failed = try await RosterProcess.run(["plugin", "run", "acme-onboarding", "accounts", "--plugins", plugins, "--config", "roster.toml",
                                                  "--arg", "email=new@example.com", "--arg", "first_name=New", "--arg", "last_name=Person",
                                                  "--arg", "username=newp"], in: folder, environment: Self.journal(folder))
        #expect(failed.status == 1, "\(failed.stderr)")
        try await emulator.setFaults("")
        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: Self.journal(folder))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("encore: created newp"), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("guardant: created new@example.com"), "\(resumed.stdout)")
        let state = try await emulator.state()
        #expect((state["encore"] as? [[String: Any]] ?? []).filter { $0["UserName"] as? String == "newp" }.count == 1)
        #expect((state["guardant"] as? [[String: Any]] ?? []).filter { $0["email"] as? String == "new@example.com" }.count == 1)
        let run = try #require(try await Self.runs(in: folder).first)
        #expect(run["plugin"] as? String == "acme-onboarding" && run["workflow"] as? String == "accounts")
        #expect(run["attempts"] as? Int == 2 && run["outcome"] as? String == "success")
    }

    /// A workflow's modules are journaled with its run, as a script's are: a plugin upgraded
    /// between the kill and the resume cannot make the resume create a second user.
    @Test func aPluginRunIsResumedWithTheModulesItStartedWith() async throws {
        let naming = "return {name = function(email) return (email:match('^([^@]+)')) end}"
        let folder = try RosterProcess.scriptFolder([
            "plugins/naming/plugin.toml": """
                name = "naming"
                version = "1.0.0"
                description = "makes a user named by lib/naming"
                roster = ">=0.1.0"
                permissions = ["encore:read", "encore.create_user"]

                [workflows.make]
                entry = "workflows/make.lua"
                description = "create the user"
                params.email = { type = "string", doc = "the person's email" }
                """,
            "plugins/naming/workflows/make.lua": """
                local naming = require("lib.naming")
                encore.create_user({user_name = naming.name(params.email), password = "Passw0rd!x", license_type = 1, role_id = 3})
                encore.get_user(424242) -- no such user: the run fails after its change
                """,
            "plugins/naming/lib/naming.lua": naming,
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let plugins = folder.appendingPathComponent("plugins").path
        let first = try await RosterProcess.run(["plugin", "run", "naming", "make", "--plugins", plugins, "--config", "roster.toml",
                                                 "--arg", "email=ada.byron@example.com"], in: folder, environment: Self.journal(folder))
        #expect(first.status == 1, "\(first.stderr)")
        // Upgraded in between: the naming rule is another now.
        try naming.replacingOccurrences(of: "'^([^@]+)'", with: "'^(%a)'").appending(" -- 1.0.1")
            .write(to: folder.appendingPathComponent("plugins/naming/lib/naming.lua"), atomically: true, encoding: .utf8)
        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: Self.journal(folder))
        #expect(resumed.status == 1 && resumed.diagnostics.contains("User not found"), "\(resumed.stderr)")
        let created = (try await emulator.state()["encore"] as? [[String: Any]] ?? []).compactMap { $0["UserName"] as? String }
        #expect(created.contains("ada.byron") && !created.contains("a"), "one user, named as when the run started: \(created)")
        let changes = try await Self.show(1, in: folder)["changes"] as? [[String: Any]] ?? []
        #expect(changes.map { $0["state"] as? String } == ["succeeded", "replayed"], "\(changes)")
    }

    @Test func manyProcessesShareOneJournal() async throws {
        let folder = try RosterProcess.scriptFolder(["promote.lua": "allthenticate.promote_guest(103)\nprint('done')"])
        defer { try? FileManager.default.removeItem(at: folder) }
        // Eight processes at once, each with its own in-process emulator, one new journal.
        let processes = try (0..<8).map { _ in try RosterProcess.spawn(["run", "promote.lua", "--emulator"], in: folder, environment: Self.journal(folder)) }
        for process in processes {
            let status = try await process.wait()
            #expect(status == 0, "\(process.errorText)")
        }
        let runs = try await Self.runs(in: folder)
        #expect(runs.count == 8)
        #expect(Set(runs.compactMap { $0["id"] as? Int }) == Set(1...8))
        #expect(runs.allSatisfy { ($0["changes"] as? [String: Any])?["done"] as? Int == 1 })
    }

    @Test func theJournalHoldsNoSecret() async throws {
        let folder = try Self.bulkFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let result = try await RosterProcess.run(["run", "bulk-onboard.lua", "--input", "people.csv", "--config", "roster.toml",
                                                  "--journal", "journal.sqlite", "--yes"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        var bytes = Data()
        for suffix in ["", "-wal", "-shm"] {
            bytes += FileManager.default.contents(atPath: folder.appendingPathComponent("journal.sqlite" + suffix).path) ?? Data()
        }
        // The run's change log was stored and deleted when it ended.
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("journal.sqlite.changes").path)) ?? []
        #expect(logs == ["runs.lock"], "only which process runs which run is left: \(logs)")
        #expect(bytes.count > 10_000)
        let secrets = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("secrets").path).map {
            try String(contentsOf: folder.appendingPathComponent("secrets/" + $0), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(secrets.count == 5)
        for secret in secrets { #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) is in the journal") }
        // The passwords the script made up (Welcome-NNNNNN!) are redacted: only its text names the pattern.
        #expect(!String(decoding: bytes, as: UTF8.self).contains(try Regex("Welcome-[0-9]{6}")), "a password is in the journal")
        #expect(bytes.range(of: Data("<redacted>".utf8)) != nil)
        let mode = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("journal.sqlite").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}

extension EmulatorProcess {
    func state() async throws -> [String: Any] {
        return try await TestHTTP.get(origin + "/_emulator/state").json as? [String: Any] ?? [:]
    }

    /// Allthenticate's pending invitations.
    func allthenticateInvites() async throws -> [String] {
        let invites = try await TestHTTP.get(origin + "/allthenticate/invites", headers: ["Authorization": "Bearer demo-allthenticate-api-key"])
        return (invites.json as? [[String: Any]] ?? []).compactMap { $0["email"] as? String }
    }

    /// Whether the Allthenticate user `emailID` is suspended.
    func allthenticateSuspended(emailID: Int) async throws -> Bool? {
        let users = try await state()["allthenticate"] as? [[String: Any]] ?? []
        return (users.first { $0["email_id"] as? Int == emailID }?["ad_status"] as? String).map { $0 == "SUSPENDED" }
    }

    func smsSent(_ user: String) async throws -> [String] {
        let applications = try await state()["activeconnect"] as? [String: [String: [String: Any]]] ?? [:]
        return applications["DEMOAPP"]?[user]?["sms_sent"] as? [String] ?? []
    }

    func setFaults(_ spec: String) async throws {
        _ = try await TestHTTP.send("PUT", origin + "/_emulator/faults", headers: ["Content-Type": "text/plain"], body: Data(spec.utf8))
    }
}
