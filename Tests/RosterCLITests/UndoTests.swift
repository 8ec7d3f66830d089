/// UndoTests.swift: `roster undo RUN` — the built binary against an emulator in its own
/// process: an onboarding run undone restores the vendors' state exactly, but for what cannot
/// be undone (reported) and what someone changed since (skipped, never overwritten).
import Foundation
import Journal
import Testing

@Suite struct UndoTests {
    /// An earlier run: the rank it sets is what the onboarding's undo must set back
    /// (Allthenticate does not tell a user's rank; the journal does).
    static let earlier = """
        allthenticate.set_rank(2, "ADMIN")
        """

    /// Onboarding of several kinds at once: every undoable change, and one that is not.
    static let onboarding = """
        encore.activate_user(1003)
        encore.deactivate_user(1002)
        encore.activate_user(1001)  -- already active: nothing to undo
        encore.create_user({user_name = "newbie", first_name = "New", last_name = "Bie", license_type = 1, role_id = 3,
                            password = "Pw-12345!"})
        allthenticate.set_rank(2, "SUPER")
        allthenticate.set_smartcards(101, {{number = "999000111", label = "new badge"}})
        allthenticate.set_smartcards(102, {{number = "999000222"}})
        allthenticate.set_computer_usernames(102, {"gh"})
        allthenticate.toggle_suspension(102)
        allthenticate.promote_guest(103)
        active911.create_member(nil, {name = "Zed", email = "zed@example.com"})
        activeconnect.add_users({"zed@example.com"})
        guardant.update_user(10026, {role_id = 2, archived = true})
        """

    /// Someone else, between the onboarding and its undo: ada's cards changed again.
    static let meddling = """
        allthenticate.set_smartcards(101, {{number = "777"}})
        """

    static func canonical(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func undoRestoresStateSkipsWhatChangedSinceAndListsWhatItCannot() async throws {
        let folder = try RosterProcess.scriptFolder(["earlier.lua": Self.earlier, "onboard.lua": Self.onboarding, "meddle.lua": Self.meddling])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        func roster(_ arguments: [String]) async throws -> ProcessResult {
            try await RosterProcess.run(arguments, in: folder, environment: environment)
        }
        #expect(try await roster(["run", "earlier.lua", "--config", "roster.toml"]).status == 0)
        let before = try await emulator.state()
        let onboarded = try await roster(["run", "onboard.lua", "--config", "roster.toml", "--yes"])
        #expect(onboarded.status == 0, "\(onboarded.stderr)")
        #expect(try await roster(["run", "meddle.lua", "--config", "roster.toml"]).status == 0)
        let changed = try await emulator.state()

        // Planned with reads live, nothing sent.
        let planned = try await roster(["undo", "2", "--dry-run"])
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stdout.contains("would undo change"), "\(planned.stdout)")
        #expect(planned.stdout.contains("allthenticate.set_rank user_id=2 rank=\"ADMIN\""), "the rank the earlier run set: \(planned.stdout)")
        #expect(try Self.canonical(try await emulator.state()) == Self.canonical(changed), "a dry run sends nothing")

        // Without a terminal, destructive inverses (a deactivation, deletions) need --yes.
        let unconfirmed = try await roster(["undo", "2"])
        #expect(unconfirmed.status == 2, "\(unconfirmed.stderr)")
        #expect(unconfirmed.stderr.contains("add --yes"), "\(unconfirmed.stderr)")
        #expect(try Self.canonical(try await emulator.state()) == Self.canonical(changed))

        let undone = try await roster(["undo", "2", "--yes"])
        #expect(undone.status == 0, "\(undone.stderr)")
        let output = undone.stdout
        #expect(output.contains("not undoable: change 11, allthenticate.promote_guest email_id=103: a member cannot be made a guest again"), "\(output)")
        #expect(output.contains("""
            skipped change 7, allthenticate.set_smartcards email_id=101 cards=[{label="new badge",number="999000111"}]: \
            changed since the run: now {cards=[{number="777"}]}, where the run left {cards=[{label="new badge",number="999000111"}]}
            """), "\(output)")
        #expect(output.contains("undid change 8, allthenticate.set_smartcards email_id=102"), "a card set without a label: \(output)")
        #expect(output.contains("nothing to undo: change 4, encore.activate_user id=1001"), "\(output)")
        #expect(output.contains("undid change 6, allthenticate.set_rank user_id=2 rank=\"SUPER\" (Allthenticate does not tell a user's rank: checked against the journal only)"), "\(output)")
        #expect(output.contains("undid change 5, encore.create_user"), "\(output)")

        // The state is as before the onboarding, but for what could not be undone or changed since.
        var after = try await emulator.state()
        var expected = before
        func users(_ state: [String: Any], _ vendor: String) -> [[String: Any]] { state[vendor] as? [[String: Any]] ?? [] }
        // Allthenticate: the guest stays promoted; ada keeps the cards set since.
        expected["allthenticate"] = users(before, "allthenticate").map { user in
            let now = users(changed, "allthenticate").first { $0["email_id"] as? Int == user["email_id"] as? Int } ?? [:]
            if user["email_id"] as? Int == 103 { return now }
            var user = user
            if user["email_id"] as? Int == 101 { user["smartcards"] = now["smartcards"] }
            return user
        }
        // Encore has no delete: the user created is deactivated.
        let created = users(after, "encore").filter { $0["UserName"] as? String == "newbie" }
        #expect(created.count == 1 && created.first?["IsActive"] as? Bool == false, "\(created)")
        after["encore"] = users(after, "encore").filter { $0["UserName"] as? String != "newbie" }
        #expect(try Self.canonical(after) == Self.canonical(expected))
        for vendor in ["encore", "allthenticate", "active911", "activeconnect", "guardant"] {
            let (now, wanted) = (try Self.canonical(after[vendor] ?? NSNull()), try Self.canonical(expected[vendor] ?? NSNull()))
            #expect(now == wanted, "\(vendor): \(now)\n  expected \(wanted)")
        }

        // An undo is a run of its own; a run is undone once.
        let again = try await roster(["undo", "2", "--yes"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("run 2 was already undone by run 6"), "\(again.stderr)")
        let shown = try await roster(["runs", "show", "6"])
        #expect(shown.stdout.contains("(undo of run 2)"), "\(shown.stdout)")
    }

    /// Nothing to undo: no changes, a dry run, no such run, or a run on the built-in emulator.
    @Test func undoOfARunWithNoChangesOrADryRunSaysSo() async throws {
        let folder = try RosterProcess.scriptFolder(["read.lua": "print(#encore.list_users())", "plan.lua": "encore.deactivate_user(1001)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = JournalTests.journal(folder)
        #expect(try await RosterProcess.run(["run", "read.lua"], in: folder, environment: environment).status == 0)
        let none = try await RosterProcess.run(["undo", "1"], in: folder, environment: environment)
        #expect(none.status == 0 && none.stderr.contains("run 1 made no changes; nothing to undo"), "\(none.stderr)")
        #expect(try await RosterProcess.run(["run", "plan.lua", "--dry-run"], in: folder, environment: environment).status == 0)
        let dry = try await RosterProcess.run(["undo", "2"], in: folder, environment: environment)
        #expect(dry.status == 2 && dry.stderr.contains("run 2 was a dry run; it changed nothing"), "\(dry.stderr)")
        let missing = try await RosterProcess.run(["undo", "9"], in: folder, environment: environment)
        #expect(missing.status == 2 && missing.stderr.contains("no run 9"), "\(missing.stderr)")
        // With no roster.toml, the run's changes were made on a built-in emulator long gone.
        #expect(try await RosterProcess.run(["run", "plan.lua", "--yes"], in: folder, environment: environment).status == 0)
        let gone = try await RosterProcess.run(["undo", "3", "--yes"], in: folder, environment: environment)
        #expect(gone.status == 2, "\(gone.stderr)")
        #expect(gone.diagnostics == "roster: run 3 ran on the built-in emulator, whose changes ended with that process; there is nothing left to undo (to try undo, run against `roster emulator --write-config roster.toml`, which keeps its state while it runs)\n")
    }

    /// An undo cut short finishes with `roster resume`: the inverse it sent whose answer was
    /// lost is reconciled (not taken for someone else's change, not sent twice).
    @Test func anInterruptedUndoIsResumedExactlyOnce() async throws {
        let folder = try RosterProcess.scriptFolder(["change.lua": """
            encore.deactivate_user(1002)
            allthenticate.toggle_suspension(102)
            """])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        func roster(_ arguments: [String]) async throws -> ProcessResult {
            try await RosterProcess.run(arguments, in: folder, environment: environment)
        }
        #expect(try await roster(["run", "change.lua", "--config", "roster.toml", "--yes"]).status == 0)
        #expect(try await emulator.allthenticateSuspended(emailID: 102) == true)

        // Every change takes effect and its answer is lost: the undo stops at its first one.
        try await emulator.setFaults("lost=1,only=writes")
        let cut = try await roster(["undo", "1", "--yes"])
        #expect(cut.status != 0, "\(cut.stderr)")
        #expect(cut.stderr.contains("to finish it: roster resume 2"), "\(cut.stderr)")
        #expect(try await emulator.allthenticateSuspended(emailID: 102) == false, "the toggle took effect")
        try await emulator.setFaults("")

        let resumed = try await roster(["resume", "2"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // Not "skipped ... changed since": that change was the undo's own.
        #expect(resumed.stdout.contains("undid change 2, allthenticate.toggle_suspension email_id=102"), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("undid change 1, encore.deactivate_user id=1002"), "\(resumed.stdout)")
        #expect(try await emulator.allthenticateSuspended(emailID: 102) == false, "toggled once, not twice")
        let users = try await emulator.state()["encore"] as? [[String: Any]] ?? []
        #expect(users.first { $0["UserId"] as? Int == 1002 }?["IsActive"] as? Bool == true)
    }

    /// A run undone is not resumed on top of its undo (its undone changes would count as
    /// made, and the rest be made after them); a queued run is not undone under the worker
    /// that goes on with it.
    @Test func anUndoneRunIsNotResumedAndAQueuedOneIsNotUndone() async throws {
        let folder = try RosterProcess.scriptFolder([
            // Three users, then a pause the test kills it in (however loaded the machine), then more.
            "make.lua": """
                local function make(i) encore.create_user({user_name = 'un' .. i, password = 'Passw0rd!x', license_type = 1, role_id = 3}) end
                for i = 1, 3 do make(i) end
                local started = os.clock() while os.clock() - started < 30 do end
                for i = 4, 6 do make(i) end
                """,
            "queued.lua": "encore.deactivate_user(1002)",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        func roster(_ arguments: [String]) async throws -> ProcessResult {
            try await RosterProcess.run(arguments, in: folder, environment: environment)
        }
        let killed = try RosterProcess.spawn(["run", "make.lua", "--config", "roster.toml", "--yes"], in: folder, environment: environment)
        try await Poll.until { try await emulator.encoreUserNames().filter { $0.hasPrefix("un") }.count >= 3 }
        try #require(try await emulator.encoreUserNames().filter { $0.hasPrefix("un") }.count >= 3, "\(killed.errorTextSoFar)")
        killed.send(SIGKILL)
        let killedStatus = try await killed.wait()
        try #require(killedStatus == nil, "killed part way: \(killed.errorText)")
        #expect(try await roster(["undo", "1", "--yes"]).status == 0)
        let made = try await emulator.encoreUserNames().filter { $0.hasPrefix("un") }

        let resumed = try await roster(["resume", "1"])
        #expect(resumed.status == 2)
        #expect(resumed.diagnostics == "roster: run 1 was undone by run 2 (success); a resume would count its undone changes as made and make the rest on top of the undo: run the script again as a new run instead\n",
                "\(resumed.stderr)")
        #expect(try await emulator.encoreUserNames().filter { $0.hasPrefix("un") } == made, "the refused resume sent nothing")

        #expect(try await roster(["submit", "queued.lua", "--journal", "queue.sqlite"]).status == 0)
        let queued = try await roster(["undo", "1", "--yes", "--journal", "queue.sqlite"])
        #expect(queued.status == 2)
        #expect(queued.diagnostics == "roster: run 1 is still queued (a worker would go on with it); cancel it first (roster cancel 1 --journal queue.sqlite --wait), then undo it\n",
                "\(queued.stderr)")
    }

    /// A change sent whose answer never came (the run killed while it was in flight, or the
    /// connection dropped) is settled by the undo: the read its operation declares for a
    /// resume tells whether it was made; made, it is undone with the others; not made, it is
    /// said to need nothing. A setter whose outcome nothing declared can tell is named as not
    /// undone, for the admin to check.
    @Test func anUndoSettlesAChangeWhoseAnswerNeverCame() async throws {
        let folder = try RosterProcess.scriptFolder([
            "two.lua": "for i = 1, 2 do encore.create_user({user_name = 'uk' .. i, password = 'Passw0rd!x', license_type = 1, role_id = 3}) end",
            "dropped.lua": "encore.create_user({user_name = 'ud', password = 'Passw0rd!x', license_type = 1, role_id = 3})",
            "setter.lua": "encore.deactivate_user(1003)",
            "added.lua": "activeconnect.add_users({'added@example.com'})",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        // 8 s: long enough that the second change is seen in flight on a loaded machine (the
        // journal is polled while it waits).
        let emulator = try await EmulatorProcess.start(in: folder, faults: "latency=8s,only=writes")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        func roster(_ arguments: [String]) async throws -> ProcessResult {
            try await RosterProcess.run(arguments, in: folder, environment: environment)
        }
        let killed = try RosterProcess.spawn(["run", "two.lua", "--config", "roster.toml", "--yes", "--trace"], in: folder, environment: environment)
        // The first answered (its trace line, read from the pipe: no request to a loaded
        // emulator), and the second journaled as sending (the journal's database takes it a
        // moment after the log, before or while it is sent): it is in flight for the next 8 s.
        // Whether the emulator goes on to make it once its client is gone depends on how far
        // it had read the request: the undo must find out either way.
        try await Poll.until(tries: 800) { killed.errorTextSoFar.contains("-> 201") }
        let journal = try SQLiteJournalStore.open(path: folder.appendingPathComponent("state/roster/journal.sqlite").path)
        try await Poll.until(tries: 800) { try journal.changes(runID: 1).count == 2 }
        #expect(try journal.changes(runID: 1).map(\.state) == [.succeeded, .sending])
        killed.send(SIGKILL)
        #expect(try await killed.wait() == nil, "killed in flight: \(killed.errorText)")
        try await Task.sleep(for: .seconds(8.5)) // past the latency: made by now, if it is made
        try await emulator.setFaults("")
        let secondMade = try await emulator.encoreUserNames().contains("uk2")
        let undone = try await roster(["undo", "1", "--yes"])
        #expect(undone.status == 0, "\(undone.stderr)")
        let second = #"change 2, encore.create_user fields={license_type=1,password="<redacted>",role_id=3,user_name="uk2"}"#
        #expect(undone.stdout.contains(secondMade ? "undid \(second)\n" : "nothing to undo: \(second): its answer never came, and it was not made"),
                "made: \(secondMade): \(undone.stdout)")
        #expect(undone.stdout.contains(#"undid change 1, encore.create_user fields={license_type=1,password="<redacted>",role_id=3,user_name="uk1"}"#), "\(undone.stdout)")
        let users = try await emulator.state()["encore"] as? [[String: Any]] ?? []
        #expect(users.filter { ($0["UserName"] as? String)?.hasPrefix("uk") == true }.allSatisfy { $0["IsActive"] as? Bool == false }, "\(users)")

        // Dropped before the emulator read it: not made, nothing to undo.
        try await emulator.setFaults("drop=1,only=writes")
        #expect(try await roster(["run", "dropped.lua", "--config", "roster.toml"]).status == 1)
        try await emulator.setFaults("")
        let dropped = try await roster(["undo", "3", "--yes"])
        #expect(dropped.stdout.contains(#"encore.create_user fields={license_type=1,password="<redacted>",role_id=3,user_name="ud"}: its answer never came, and it was not made"#),
                "\(dropped.stdout) \(dropped.stderr)")

        // A setter whose answer was lost: made, since its target is as it would have left it.
        try await emulator.setFaults("lost=1,only=writes")
        #expect(try await roster(["run", "setter.lua", "--config", "roster.toml", "--yes"]).status == 1)
        try await emulator.setFaults("")
        let setter = try await roster(["undo", "5", "--yes"])
        #expect(setter.stdout.hasPrefix("undid change ") && setter.stdout.contains(", encore.deactivate_user id=1003"), "\(setter.stdout) \(setter.stderr)")
        let deactivated = (try await emulator.state()["encore"] as? [[String: Any]] ?? []).first { $0["UserId"] as? Int == 1003 }
        #expect(deactivated?["IsActive"] as? Bool == true, "\(String(describing: deactivated))")

        // Nothing declared can tell whether Activeconnect added a user (it lists none): named.
        try await emulator.setFaults("lost=1,only=writes")
        #expect(try await roster(["run", "added.lua", "--config", "roster.toml"]).status == 1)
        try await emulator.setFaults("")
        let added = try await roster(["undo", "7", "--yes"])
        #expect(added.stdout.hasPrefix("not undone: change ") && added.stdout.contains(#", activeconnect.add_users users=["added@example.com"]: "#), "\(added.stdout) \(added.stderr)")
        #expect(added.stdout.contains("whether it was made is not known; check activeconnect for it"), "\(added.stdout)")
    }
}
