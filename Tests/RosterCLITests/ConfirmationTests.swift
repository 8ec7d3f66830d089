/// ConfirmationTests.swift: on a terminal, a run with a destructive change (or more than ten
/// changes) shows its plan grouped by vendor, destructive changes marked and counted in
/// people, names the tenant, and asks first — even with --json; --yes and --dry-run do not
/// ask, nor do a few harmless changes.
import Foundation
import TestSupport
import Testing

@Suite struct ConfirmationTests {
    static let script = """
        print("deactivating")
        encore.deactivate_user(1001)
        encore.deactivate_user(1002)
        print(encore.get_user(1001).is_active)
        """

    @Test func declinedChangesNothing() async throws {
        let folder = try RosterProcess.scriptFolder(["two.lua": Self.script])
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try TerminalSession(["run", "two.lua"], in: folder)
        #expect(await session.waitFor("Apply these 2 changes, 2 destructive affecting 2 people to tenant 'emulator'? [y/N] "), "\(session.screen)")
        #expect(session.screen.contains("! encore.deactivate_user id=1001"))
        #expect(session.screen.contains("roster: acting on tenant 'emulator' (the built-in emulator)"))
        #expect(!session.screen.contains("deactivating"), "the rehearsal's output is hidden")
        session.type("n\n")
        #expect(await session.exitStatus() == 1)
        #expect(session.screen.contains("roster: nothing was changed (not confirmed)"))
    }

    @Test func confirmedRunsTheScript() async throws {
        let folder = try RosterProcess.scriptFolder(["two.lua": Self.script])
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try TerminalSession(["run", "two.lua"], in: folder)
        #expect(await session.waitFor("[y/N] "))
        session.type("y\n")
        #expect(await session.exitStatus() == 0)
        #expect(session.screen.contains("deactivating"))
        #expect(session.screen.contains("false"))
    }

    /// One call deleting three people is three people; --json still asks.
    @Test func peopleAreCountedAndJSONStillAsks() async throws {
        let folder = try RosterProcess.scriptFolder(["three.lua": #"activeconnect.delete_users({"alice@example.com", "bob@example.com", "carol@example.com"})"#])
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try TerminalSession(["run", "three.lua", "--json"], in: folder)
        #expect(await session.waitFor("Apply these 1 change, 1 destructive affecting 3 people to tenant 'emulator'? [y/N] "), "\(session.screen)")
        #expect(session.screen.contains("(3 people)"))
        session.type("n\n")
        #expect(await session.exitStatus() == 1)
    }

    @Test func yesDryRunAndAFewHarmlessChangesDoNotAsk() async throws {
        let harmless = #"for i = 1, 3 do activeconnect.add_users({"h" .. i .. "@example.com"}) end print('done')"#
        let folder = try RosterProcess.scriptFolder(["two.lua": Self.script, "harmless.lua": harmless])
        defer { try? FileManager.default.removeItem(at: folder) }
        for arguments in [["run", "two.lua", "--yes"], ["run", "harmless.lua"], ["run", "two.lua", "--dry-run"]] {
            let session = try TerminalSession(arguments, in: folder)
            #expect(await session.exitStatus() == 0, "\(arguments): \(session.screen)")
            #expect(!session.screen.contains("[y/N]"), "\(arguments)")
        }
    }

    /// More than ten changes ask, even when none is destructive.
    @Test func manyChangesAsk() async throws {
        let folder = try RosterProcess.scriptFolder(["many.lua": #"for i = 1, 11 do activeconnect.add_users({"m" .. i .. "@example.com"}) end"#])
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try TerminalSession(["run", "many.lua"], in: folder)
        #expect(await session.waitFor("Apply these 11 changes to tenant 'emulator'? [y/N] "), "\(session.screen)")
        session.type("n\n")
        #expect(await session.exitStatus() == 1)
    }

    /// A confirmed run reads each thing once: its reads are answered as the rehearsal's were.
    @Test func aConfirmedRunReadsEachThingOnce() async throws {
        let script = """
            local users = encore.list_users()
            encore.deactivate_user(1001)
            encore.deactivate_user(1002)
            print(#users .. " users")
            """
        let folder = try RosterProcess.scriptFolder(["two.lua": script])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let session = try TerminalSession(["run", "two.lua", "--config", "roster.toml"], in: folder, environment: JournalTests.journal(folder))
        #expect(await session.waitFor("[y/N] "), "\(session.screen)")
        session.type("y\n")
        #expect(await session.exitStatus() == 0, "\(session.screen)")
        #expect(session.screen.contains("3 users"))
        // One list (the rehearsal's, answered again) and the two changes.
        #expect(try await emulator.stats()["encore"]?["requests"] == 3)
        let users = try await emulator.state()["encore"] as? [[String: Any]] ?? []
        #expect(users.filter { $0["IsActive"] as? Bool == false }.count == 3, "ada, grace and the demo's inactive linus")
    }

    /// A run that plans no change and never reads `roster.dry_run` is its rehearsal: the
    /// script runs once. Each execution reads a user named by `os.clock()`, so a second
    /// execution makes a read the first did not. A script that reads `roster.dry_run` runs again.
    @Test func aRunThatChangesNothingRunsOnce() async throws {
        let reads = """
            pcall(encore.get_user, 900000 + math.floor(os.clock() * 1e6))
            print("read")
            """
        let folder = try RosterProcess.scriptFolder(["reads.lua": reads, "asks.lua": reads + "\nprint(roster.dry_run, rawget(roster, 'dry_run'))"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let once = try await RosterProcess.run(["run", "reads.lua", "--config", "roster.toml"], in: folder, environment: JournalTests.journal(folder))
        #expect(once.status == 0, "\(once.stderr)")
        #expect(once.stdout == "read\n")
        #expect(try await emulator.stats()["encore"]?["requests"] == 1, "the script ran once")
        let asks = try await RosterProcess.run(["run", "asks.lua", "--config", "roster.toml"], in: folder, environment: JournalTests.journal(folder))
        #expect(asks.status == 0, "\(asks.stderr)")
        #expect(asks.stdout == "read\nfalse\tnil\n", "printed by the run, not its rehearsal")
        #expect(try await emulator.stats()["encore"]?["requests"] == 3, "rehearsed, then run")
    }

    /// A run whose rehearsal fails, or hits a limit, before planning any change ended there:
    /// the script is not run a second time into the same end (which doubled the wait on a
    /// vendor that could not be reached, and the run's --timeout). Each execution reads a
    /// user named by `os.clock()`, which no rehearsal's read answers again.
    @Test func aRunThatFailsBeforeAnyChangeFailsOnce() async throws {
        let read = "pcall(encore.get_user, 900000 + math.floor(os.clock() * 1e6)) print('read') "
        let folder = try RosterProcess.scriptFolder(["fails.lua": read + "error('stop here')", "loops.lua": read + "while true do end"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let fails = try await RosterProcess.run(["run", "fails.lua", "--config", "roster.toml"], in: folder, environment: environment)
        #expect(fails.status == 1, "\(fails.stderr)")
        #expect(fails.stdout == "read\n")
        #expect(fails.diagnostics.components(separatedBy: "stop here").count == 2, "one error line: \(fails.stderr)")
        #expect(fails.stderr.contains("roster: run 1 changed nothing before its error"), "\(fails.stderr)")
        #expect(try await emulator.stats()["encore"]?["requests"] == 1, "the script ran once")

        let loops = try await RosterProcess.run(["run", "loops.lua", "--config", "roster.toml", "--timeout", "1"], in: folder, environment: environment)
        #expect(loops.status == 3, "\(loops.stderr)")
        #expect(loops.stdout == "read\n")
        #expect(loops.stderr.contains("roster: timeout: the script ran longer than its 1 s limit (--timeout)"), "\(loops.stderr)")
        #expect(try await emulator.stats()["encore"]?["requests"] == 2, "the script ran once, for one --timeout")
        let runs = try await JournalTests.runs(in: folder)
        #expect(runs.count == 2, "\(runs)")
    }

    /// A run whose deadline comes while it waits on a vendor says on what, and where: a hung
    /// vendor is not mistaken for a script that loops.
    @Test func aTimeoutWhileWaitingNamesTheCall() async throws {
        let folder = try RosterProcess.scriptFolder([
            "one.lua": "print('asking')\nencore.get_user(1001)",
            "many.lua": "local ids = {}\nfor i = 1, 5 do ids[i] = 1000 + i end\nparallel.map(ids, function(id) return encore.get_user(id) end, {concurrency = 3})",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "latency=60s")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let one = try await RosterProcess.run(["run", "one.lua", "--config", "roster.toml", "--timeout", "1"], in: folder, environment: environment)
        #expect(one.status == 3, "\(one.stderr)")
        #expect(one.diagnostics == "roster: timeout: the script ran longer than its 1 s limit (--timeout); it was waiting for encore.get_user at one.lua:2\n")
        let many = try await RosterProcess.run(["run", "many.lua", "--config", "roster.toml", "--timeout", "1"], in: folder, environment: environment)
        #expect(many.status == 3, "\(many.stderr)")
        #expect(many.diagnostics == "roster: timeout: the script ran longer than its 1 s limit (--timeout); 3 calls were waiting, the first encore.get_user at many.lua:3\n")
    }

    /// A script that changes nothing runs in its rehearsal alone, so Ctrl-C stops it there
    /// gracefully too: exit 130, one line, the run journaled as interrupted.
    @Test func ctrlCStopsARehearsalGracefully() async throws {
        let folder = try RosterProcess.scriptFolder(["loop.lua": "print('reading') while true do encore.get_user(1001) end"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "latency=5ms")
        defer { emulator.stop() }
        let process = try RosterProcess.spawn(["run", "loop.lua", "--config", "roster.toml"], in: folder, environment: JournalTests.journal(folder))
        try await Poll.until(tries: 200) { try await emulator.stats()["encore"]?["requests"] ?? 0 >= 3 }
        process.send(SIGINT)
        #expect(try await process.wait() == 130, "\(process.errorText)")
        #expect(process.errorText.contains("roster: stopped by SIGINT before anything was sent"), "\(process.errorText)")
        #expect(process.outputText.isEmpty, "nothing of a run that did not finish is printed")
        let runs = try await JournalTests.runs(in: folder)
        #expect(runs.first?["exit_code"] as? Int == 130, "\(runs)")

        // With --json, the one document still comes: the dry run it was stopped in.
        let json = try RosterProcess.spawn(["run", "loop.lua", "--config", "roster.toml", "--json"], in: folder, environment: JournalTests.journal(folder))
        let before = try await emulator.stats()["encore"]?["requests"] ?? 0
        try await Poll.until(tries: 200) { try await emulator.stats()["encore"]?["requests"] ?? 0 >= before + 3 }
        json.send(SIGINT)
        #expect(try await json.wait() == 130, "\(json.errorText)")
        let report = try #require(try JSONSerialization.jsonObject(with: json.stdout.value ?? Data()) as? [String: Any], "\(json.outputText)")
        #expect(report["exit_code"] as? Int == 130)
        #expect(report["dry_run"] as? Bool == true)
        #expect(report["run_id"] as? Int == 2)
    }

    /// `max_changes` refuses a run planning more changes before it sends anything;
    /// `--max-changes` raises it for one run. `confirm_over` sets when a terminal asks.
    @Test func tenantLimitsOnChanges() async throws {
        let script = #"for _, id in ipairs({1001, 1002}) do encore.deactivate_user(id) end activeconnect.add_users({"x@example.com"})"#
        let folder = try RosterProcess.scriptFolder(["three.lua": script, "adds.lua": #"for i = 1, 3 do activeconnect.add_users({"c" .. i .. "@example.com"}) end"#])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let file = folder.appendingPathComponent("roster.toml")
        try (String(contentsOf: file, encoding: .utf8) + "\n[tenants.demo]\nmax_changes = 2\nconfirm_over = 2\n").write(to: file, atomically: true, encoding: .utf8)
        let environment = JournalTests.journal(folder)

        let refused = try await RosterProcess.run(["run", "three.lua", "--config", "roster.toml", "--yes"], in: folder, environment: environment)
        #expect(refused.status == 2)
        #expect(refused.diagnostics.contains("roster: the run plans 3 changes, more than max_changes = 2 for tenant 'demo'; nothing was sent (check the plan with --dry-run, then raise the limit for this run with --max-changes 3)"), "\(refused.stderr)")
        #expect(try await emulator.stats()["encore"]?["requests"] == 0)
        // A resume of the refused run is held to the same limit; --max-changes raises it there too.
        let resumed = try await RosterProcess.run(["resume", "1", "--yes"], in: folder, environment: environment)
        #expect(resumed.status == 2 && resumed.diagnostics.contains("more than max_changes = 2 for tenant 'demo'; nothing was sent (raise the limit for this run with --max-changes 3)"),
                "\(resumed.stderr)")
        #expect(try await emulator.stats()["encore"]?["requests"] == 0)
        let resumedRaised = try await RosterProcess.run(["resume", "1", "--yes", "--max-changes", "3"], in: folder, environment: environment)
        #expect(resumedRaised.status == 0, "\(resumedRaised.stderr)")
        #expect(try await emulator.stats()["encore"]?["requests"] == 2)

        let raised = try await RosterProcess.run(["run", "three.lua", "--config", "roster.toml", "--yes", "--max-changes", "3"], in: folder, environment: environment)
        #expect(raised.status == 0, "\(raised.stderr)")
        #expect(try await emulator.stats()["encore"]?["requests"] == 4)

        // Three harmless changes, over confirm_over = 2, ask on a terminal.
        let session = try TerminalSession(["run", "adds.lua", "--config", "roster.toml", "--max-changes", "5"], in: folder, environment: environment)
        #expect(await session.waitFor("Apply these 3 changes to tenant 'demo'? [y/N] "), "\(session.screen)")
        session.type("n\n")
        #expect(await session.exitStatus() == 1)
    }

    /// `roster apply` and `roster undo` are held to `max_changes` too, and take the
    /// `--max-changes` their refusal names (they had no such option, and a refused apply had
    /// used up its plan).
    @Test func applyAndUndoTakeMaxChanges() async throws {
        let folder = try RosterProcess.scriptFolder(["rename.lua": #"encore.update_user(1001, {first_name = "A1"}) encore.update_user(1002, {first_name = "G1"})"#,
                                                     "names.lua": "print(encore.get_user(1001).first_name, encore.get_user(1002).first_name)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let file = folder.appendingPathComponent("roster.toml")
        try (String(contentsOf: file, encoding: .utf8) + "\n[tenants.demo]\nmax_changes = 1\n").write(to: file, atomically: true, encoding: .utf8)
        let environment = JournalTests.journal(folder)
        func roster(_ arguments: [String]) async throws -> ProcessResult { try await RosterProcess.run(arguments, in: folder, environment: environment) }
        func firstNames() async throws -> [String] {
            try await roster(["run", "names.lua", "--config", "roster.toml"]).stdout.split(whereSeparator: \.isWhitespace).map(String.init)
        }

        #expect(try await roster(["run", "rename.lua", "--config", "roster.toml", "--dry-run", "--plan-out", "plan.json"]).status == 0)
        let refused = try await roster(["apply", "plan.json", "--yes"])
        #expect(refused.status == 2)
        #expect(refused.diagnostics.hasPrefix("roster: the run plans 2 changes, more than max_changes = 1 for tenant 'demo'; nothing was sent (raise the limit for this run with --max-changes 2)"),
                "\(refused.stderr)")
        let applied = try await roster(["apply", "plan.json", "--yes", "--max-changes", "2"])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(try await firstNames() == ["A1", "G1"])

        let undoRefused = try await roster(["undo", "2", "--yes"])
        #expect(undoRefused.status == 2 && undoRefused.diagnostics.contains("more than max_changes = 1 for tenant 'demo'; nothing was sent"), "\(undoRefused.stderr)")
        let undone = try await roster(["undo", "2", "--yes", "--max-changes", "2"])
        #expect(undone.status == 0, "\(undone.stderr)")
        #expect(try await firstNames() == ["Ada", "Grace"])
    }

    /// Without a terminal, a run that would need confirming needs --yes, or stops having
    /// sent nothing (`--json` still reports it); harmless runs and dry runs go on.
    @Test func withoutATerminalDestructiveRunsNeedYes() async throws {
        let folder = try RosterProcess.scriptFolder(["two.lua": Self.script, "harmless.lua": #"activeconnect.add_users({"n@example.com"}) print("added")"#,
                                                     "broken.lua": "encore.deactivate_user(1002)\nguardant.create_user({name = 'x'})"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let refused = try await RosterProcess.run(["run", "two.lua", "--config", "roster.toml", "--json"], in: folder, environment: environment)
        #expect(refused.status == 2)
        #expect(refused.diagnostics.contains("roster: the run plans 2 changes, 2 destructive affecting 2 people and there is no terminal to confirm: add --yes (check the plan first with --dry-run); nothing was sent"), "\(refused.stderr)")
        // --json reports the refusal too: the plan it was refused on, and why.
        let report = try JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as? [String: Any]
        #expect(report?["outcome"] as? String == "refused" && report?["exit_code"] as? Int == 2 && report?["run_id"] as? Int == 1, "\(refused.stdout)")
        #expect((report?["plan"] as? [Any])?.count == 2 && (report?["error"] as? String)?.hasSuffix("nothing was sent") == true, "\(refused.stdout)")
        let users = try await emulator.state()["encore"] as? [[String: Any]] ?? []
        #expect(users.first { $0["UserName"] as? String == "ada" }?["IsActive"] as? Bool == true, "nothing was sent")
        // A rehearsal that stopped on an error says where: "add --yes" alone would make the
        // change before it, then stop at the same line.
        let broken = try await RosterProcess.run(["run", "broken.lua", "--config", "roster.toml"], in: folder, environment: environment)
        #expect(broken.status == 2)
        #expect(broken.diagnostics.contains("nothing was sent; the rehearsal stopped early, so the run may change more or stop there too: broken.lua:2: guardant.create_user: argument #1 (fields) has unknown field 'name'"), "\(broken.stderr)")

        // `roster resume` is no way around the gate: the refused run is checked again, as a new run is.
        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: environment)
        // (resume takes no --dry-run, so the line does not suggest one)
        #expect(resumed.status == 2 && resumed.diagnostics.contains("there is no terminal to confirm: add --yes; nothing was sent"), "\(resumed.stderr)")
        let stillActive = try await emulator.state()["encore"] as? [[String: Any]] ?? []
        #expect(stillActive.first { $0["UserName"] as? String == "ada" }?["IsActive"] as? Bool == true, "the resume sent nothing")
        let confirmed = try await RosterProcess.run(["resume", "1", "--yes"], in: folder, environment: environment)
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        let deactivated = try await emulator.state()["encore"] as? [[String: Any]] ?? []
        #expect(deactivated.first { $0["UserName"] as? String == "ada" }?["IsActive"] as? Bool == false, "resume --yes sent the changes")

        for arguments in [["run", "harmless.lua", "--config", "roster.toml"], ["run", "two.lua", "--config", "roster.toml", "--dry-run"],
                          ["run", "two.lua", "--config", "roster.toml", "--yes"]] {
            let result = try await RosterProcess.run(arguments, in: folder, environment: environment)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
    }

    /// A run that got past its gate (here with --yes) and stopped before its first change is
    /// resumed without asking again, terminal or not: it was agreed to.
    @Test func aRunPastItsGateIsResumedWithoutAskingAgain() async throws {
        let folder = try RosterProcess.scriptFolder([
            "guarded.lua": "if not encore.get_user(1002).is_active then error('grace is inactive', 0) end\nencore.deactivate_user(1001)",
            "grace.lua": "encore.activate_user(1002)",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        _ = try await TestHTTP.send("DELETE", emulator.origin + "/encore/users/v1/users/1002/active?use-external-id=false",
                                    headers: ["Ocp-Apim-Subscription-Key": "demo-encore-subscription-key"])
        let stopped = try await RosterProcess.run(["run", "guarded.lua", "--config", "roster.toml", "--yes"], in: folder, environment: environment)
        #expect(stopped.status == 1 && stopped.diagnostics.contains("grace is inactive"), "\(stopped.stderr)")
        #expect(try await RosterProcess.run(["run", "grace.lua", "--config", "roster.toml"], in: folder, environment: environment).status == 0)
        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let users = try await emulator.state()["encore"] as? [[String: Any]] ?? []
        #expect(users.first { $0["UserName"] as? String == "ada" }?["IsActive"] as? Bool == false, "the resume deactivated ada")
    }

    /// A run row by row passes the same gate: without a terminal it needs --yes, it is held to
    /// max_changes, and on a terminal it asks, then each row reads from its rehearsal until it
    /// sends its own first change.
    @Test func rowByRowRunsPassTheSameGate() async throws {
        let script = """
            local user = encore.get_user(tonumber(row.id))
            if user.is_active then encore.deactivate_user(user.user_id) end
            print(user.user_name)
            """
        let folder = try RosterProcess.scriptFolder(["each.lua": script, "ids.csv": "id\n1001\n1002\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let run = ["run", "each.lua", "--each", "ids.csv", "--config", "roster.toml"]

        let refused = try await RosterProcess.run(run + ["--output", "csv"], in: folder, environment: environment)
        #expect(refused.status == 2)
        #expect(refused.diagnostics.contains("roster: the run plans 2 changes, 2 destructive affecting 2 people and there is no terminal to confirm: add --yes (check the plan first with --dry-run); nothing was sent"), "\(refused.stderr)")
        let limited = try await RosterProcess.run(run + ["--yes", "--max-changes", "1"], in: folder, environment: environment)
        #expect(limited.status == 2)
        #expect(limited.diagnostics.contains("the run plans 2 changes, more than --max-changes 1; nothing was sent"), "\(limited.stderr)")
        // Their resumes pass the same gate: the refused run needs --yes, the limited one keeps its --max-changes.
        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: environment)
        #expect(resumed.status == 2 && resumed.diagnostics.contains("there is no terminal to confirm: add --yes"), "\(resumed.stderr)")
        let resumedLimited = try await RosterProcess.run(["resume", "2", "--yes"], in: folder, environment: environment)
        #expect(resumedLimited.status == 2 && resumedLimited.diagnostics.contains("more than --max-changes 1"), "\(resumedLimited.stderr)")
        let rehearsals = try await emulator.stats()["encore"]?["requests"] ?? 0
        #expect(rehearsals == 8, "four rehearsals of two reads, no change sent")

        let session = try TerminalSession(run + ["--output", "csv"], in: folder, environment: environment)
        #expect(await session.waitFor("Apply these 2 changes, 2 destructive affecting 2 people over 2 rows to tenant 'demo'? [y/N] "), "\(session.screen)")
        session.type("y\n")
        #expect(await session.exitStatus() == 0, "\(session.screen)")
        // Each row's read once (in the rehearsal, answered again), and its change.
        #expect(try await emulator.stats()["encore"]?["requests"] == rehearsals + 4)
        let users = try await emulator.state()["encore"] as? [[String: Any]] ?? []
        #expect(users.filter { $0["IsActive"] as? Bool == false }.count == 3, "ada, grace and the demo's inactive linus")
    }
}
