/// PlanTests.swift: saved plans applied exactly, at most once — the built binary against
/// an emulator in its own process.
import Foundation
import Testing
import TestSupport

@Suite struct PlanTests {
    /// Deactivates the active users of a group, and creates one with a drawn first password.
    static let script = """
        for _, user in ipairs(encore.list_users()) do
          if user.is_active and user.group_name == args.group then encore.deactivate_user(user.user_id) end
        end
        encore.create_user({user_name = "planned", first_name = "P", last_name = "P", role_id = 3, license_type = 1,
                            password = ("Drawn-%06d!"):format(math.random(0, 999999))})
        """

    /// Runs `body` in a folder with its own emulator and journal, where `deactivate.lua` for
    /// the Operations group has been planned and saved to plan.json (the plan's run given).
    static func withPlannedDeactivation(_ body: (URL, EmulatorProcess, [String: String], ProcessResult) async throws -> Void) async throws {
        let folder = try RosterProcess.scriptFolder(["deactivate.lua": script])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let planned = try await RosterProcess.run(["run", "deactivate.lua", "--arg", "group=Operations", "--config", "roster.toml", "--dry-run",
                                                   "--plan-out", "plan.json"], in: folder, environment: environment)
        #expect(planned.status == 0, "\(planned.stderr)")
        try await body(folder, emulator, environment, planned)
    }

    static func active(_ emulator: EmulatorProcess) async throws -> [String: Bool] {
        let users = try await emulator.state()["encore"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: users.compactMap { user in
            (user["UserName"] as? String).map { ($0, user["IsActive"] as? Bool ?? false) }
        })
    }

    /// Ctrl-C at apply's question ends it at once, nothing sent: the question comes before
    /// the run takes the process's signals, and a signal there must not wait for the run.
    @Test func ctrlCAtApplysQuestionEndsIt() async throws {
        try await Self.withPlannedDeactivation { folder, emulator, environment, _ in
            let before = try await Self.active(emulator)
            let session = try TerminalSession(["apply", "plan.json"], in: folder, environment: environment)
            #expect(await session.waitFor("[y/N] "), "\(session.screen)")
            session.type("\u{03}")
            #expect(await session.exitStatus() == 130, "\(session.screen)")
            #expect(try await Self.active(emulator) == before, "nothing was sent")
        }
    }

    /// A `pairs` loop over names visits them in another order in every process (Lua seeds
    /// its string hashes afresh): the apply makes the planned changes in its own order, and
    /// the plan is not stale for it. A change the plan does not hold still is.
    @Test func anApplyMayMakeThePlannedChangesInAnotherOrder() async throws {
        let folder = try RosterProcess.scriptFolder(["names.lua": """
            local names = {}
            for _, name in ipairs({"amy", "bob", "cat", "dan", "eve", "fay", "gus", "hal"}) do names[name] = true end
            for name in pairs(names) do
              encore.create_user({user_name = name, first_name = name, last_name = "N", role_id = 3, license_type = 1, password = "Passw0rd!x"})
            end
            """, "drawn.lua": """
            -- Each child draws after a read: the reads answer in any order, the draws must not move.
            parallel.map({1, 2, 3, 4, 5, 6, 7, 8}, function(i)
              encore.get_user(1001)
              encore.create_user({user_name = "r" .. math.random(1e9), first_name = "R", last_name = tostring(i), role_id = 3,
                                  license_type = 1, password = "Passw0rd!x"})
            end, {concurrency = 8})
            """, "reactivate.lua": """
            for _, user in ipairs(encore.list_users()) do
              if not user.is_active then encore.activate_user(user.user_id) end
            end
            """])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let planned = try await RosterProcess.run(["run", "names.lua", "--config", "roster.toml", "--dry-run", "--plan-out", "plan.json"],
                                                  in: folder, environment: environment)
        #expect(planned.status == 0, "\(planned.stderr)")
        let applied = try await RosterProcess.run(["apply", "plan.json", "--yes"], in: folder, environment: environment)
        #expect(applied.status == 0, "\(applied.stderr)")
        let users = Set((try await emulator.state()["encore"] as? [[String: Any]] ?? []).compactMap { $0["UserName"] as? String })
        #expect(users.isSuperset(of: ["amy", "bob", "cat", "dan", "eve", "fay", "gus", "hal"]), "\(users)")

        // Random names drawn inside `parallel`: each child has its own stream, so the apply
        // draws what the dry run drew, whichever read answers first.
        for attempt in 1...2 {
            let drawn = try await RosterProcess.run(["run", "drawn.lua", "--config", "roster.toml", "--dry-run", "--plan-out", "drawn\(attempt).json"],
                                                    in: folder, environment: environment)
            #expect(drawn.status == 0, "\(drawn.stderr)")
            let appliedDrawn = try await RosterProcess.run(["apply", "drawn\(attempt).json", "--yes"], in: folder, environment: environment)
            #expect(appliedDrawn.status == 0, "attempt \(attempt): \(appliedDrawn.stderr)")
        }
        let drawnUsers = (try await emulator.state()["encore"] as? [[String: Any]] ?? []).compactMap { $0["UserName"] as? String }
        #expect(drawnUsers.filter { $0.hasPrefix("r") }.count == 16, "\(drawnUsers)")

        // Someone deactivates ada after the plan: the apply would activate one user more.
        _ = try await RosterProcess.run(["run", "reactivate.lua", "--config", "roster.toml", "--dry-run", "--plan-out", "second.json"],
                                        in: folder, environment: environment)
        _ = try await TestHTTP.send("DELETE", emulator.origin + "/encore/users/v1/users/1001/active?use-external-id=false",
                                    headers: ["Ocp-Apim-Subscription-Key": "demo-encore-subscription-key"])
        let stale = try await RosterProcess.run(["apply", "second.json", "--yes"], in: folder, environment: environment)
        #expect(stale.status == 6)
        #expect(stale.diagnostics.contains("roster: plan is stale: the script now wants `encore.activate_user id=1001`, which the plan does not hold; nothing was sent"),
                "\(stale.stderr)")
    }

    /// A plugin's workflow is planned and applied as a script is, in the plugin's sandbox
    /// (its `params`, its permissions), and only while the plugin installed is the version
    /// the plan was made with.
    @Test func aPluginsPlanIsAppliedInItsSandbox() async throws {
        let folder = try RosterProcess.scriptFolder([:])
        defer { try? FileManager.default.removeItem(at: folder) }
        let plugins = folder.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: RosterProcess.root.appendingPathComponent("plugins/acme-onboarding"), to: plugins.appendingPathComponent("acme-onboarding"))
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        func roster(_ arguments: [String]) async throws -> ProcessResult { try await RosterProcess.run(arguments, in: folder, environment: environment) }
        func plan(_ user: String, to file: String) async throws -> ProcessResult {
            try await roster(["plugin", "run", "acme-onboarding", "accounts", "--plugins", plugins.path, "--config", "roster.toml",
                              "--arg", "email=\(user)@example.com", "--arg", "first_name=Plan", "--arg", "last_name=Ned", "--arg", "username=\(user)",
                              "--dry-run", "--plan-out", file])
        }

        let planned = try await plan("planned", to: "accounts.json")
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(try await !emulator.encoreUserNames().contains("planned"))
        let shown = try await roster(["plan", "show", "accounts.json"])
        #expect(shown.stdout.contains(" by plugin acme-onboarding 1.0.0, workflow accounts (run 1), tenant "), "\(shown.stdout)")
        #expect(shown.stdout.contains("[write] encore.create_user"), "\(shown.stdout)")
        // The workflow reads `params`: it runs only in the plugin's sandbox.
        let applied = try await roster(["apply", "accounts.json", "--yes"])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(try await emulator.encoreUserNames().contains("planned"))
        let run = try await JournalTests.show(2, in: folder)["run"] as? [String: Any]
        #expect(run?["kind"] as? String == "apply" && run?["workflow"] as? String == "accounts", "\(String(describing: run))")

        // A newer version installed since the plan was made: nothing is sent.
        #expect(try await plan("later", to: "later.json").status == 0)
        let manifest = plugins.appendingPathComponent("acme-onboarding/plugin.toml")
        try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(of: "version = \"1.0.0\"", with: "version = \"1.0.1\"")
            .write(to: manifest, atomically: true, encoding: .utf8)
        let reviewed = try await roster(["plan", "show", "later.json"])
        #expect(reviewed.status == 6, "\(reviewed.stderr)")
        #expect(reviewed.diagnostics.contains("roster: plan is stale: plugin acme-onboarding is version 1.0.1 now, and the plan was made with version 1.0.0; "
                                              + "roster apply refuses it (make a new plan)"), "\(reviewed.stderr)")
        let stale = try await roster(["apply", "later.json", "--yes"])
        #expect(stale.status == 6, "\(stale.stderr)")
        #expect(stale.diagnostics.contains("roster: plan is stale: plugin acme-onboarding is version 1.0.1 now, and the plan was made with version 1.0.0; "
                                           + "nothing was sent (make a new plan)"), "\(stale.stderr)")
        #expect(try await !emulator.encoreUserNames().contains("later"))
        // --plan-out is a dry run's.
        let wet = try await roster(["plugin", "run", "acme-onboarding", "accounts", "--plugins", plugins.path, "--plan-out", "x.json"])
        #expect(wet.status == 2 && wet.stderr.contains("--plan-out needs --dry-run"), "\(wet.stderr)")
    }

    /// Applies the plan at `path` with slow writes, kills the apply (run `run`) once two of
    /// its creates have reached Encore, resumes it; returns Encore's user names then.
    static func applyKilledMidwayThenResumed(_ path: String, run: Int, in folder: URL, emulator: EmulatorProcess,
                                             environment: [String: String]) async throws -> [String] {
        try await emulator.setFaults("latency=300ms,only=writes")
        let apply = try RosterProcess.spawn(["apply", path, "--yes"], in: folder, environment: environment)
        try await Poll.until { try await emulator.stats()["encore"]?["requests"] ?? 0 >= 2 }
        apply.send(SIGKILL)
        _ = try await apply.wait()
        try await emulator.setFaults("")
        let resumed = try await RosterProcess.run(["resume", String(run)], in: folder, environment: environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        return (try await emulator.state()["encore"] as? [[String: Any]] ?? []).compactMap { $0["UserName"] as? String }
    }

    /// An apply killed midway is finished by `roster resume`, with the plan's `--arg` values
    /// (its script needs them) and still held to the plan: each planned user made once.
    @Test func anInterruptedApplyIsResumedWithItsArguments() async throws {
        let folder = try RosterProcess.scriptFolder(["six.lua": """
            for i = 1, 6 do
              encore.create_user({user_name = args.prefix .. i, password = "Passw0rd!x", license_type = 1, role_id = 3})
            end
            """])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let planned = try await RosterProcess.run(["run", "six.lua", "--config", "roster.toml", "--arg", "prefix=ap", "--dry-run", "--plan-out", "six.json"],
                                                  in: folder, environment: environment)
        #expect(planned.status == 0, "\(planned.stderr)")
        let created = try await Self.applyKilledMidwayThenResumed("six.json", run: 2, in: folder, emulator: emulator, environment: environment)
        #expect(created.filter { $0.hasPrefix("ap") }.sorted() == (1...6).map { "ap\($0)" }, "each once: \(created)")
    }

    /// A plugin's apply killed midway is resumed in the plugin's sandbox too (its workflow
    /// reads `params`), still held to the plan: each planned user made once.
    @Test func anInterruptedPluginApplyIsResumedInItsSandbox() async throws {
        let folder = try RosterProcess.scriptFolder([
            "plugins/maker/plugin.toml": """
                name = "maker"
                version = "0.1.0"
                description = "Makes six users"
                roster = ">=0.1.0"
                permissions = ["encore.create_user"]
                [workflows.six]
                entry = "six.lua"
                params.prefix = { type = "string", doc = "user name prefix" }
                """,
            "plugins/maker/six.lua": """
                for i = 1, 6 do
                  encore.create_user({user_name = params.prefix .. i, password = "Passw0rd!x", license_type = 1, role_id = 3})
                end
                """,
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let planned = try await RosterProcess.run(["plugin", "run", "maker", "six", "--plugins", "plugins", "--config", "roster.toml", "--arg", "prefix=pp",
                                                   "--dry-run", "--plan-out", "six.json"], in: folder, environment: environment)
        #expect(planned.status == 0, "\(planned.stderr)")
        let created = try await Self.applyKilledMidwayThenResumed("six.json", run: 2, in: folder, emulator: emulator, environment: environment)
        #expect(created.filter { $0.hasPrefix("pp") }.sorted() == (1...6).map { "pp\($0)" }, "each once: \(created)")
    }

    /// A plan is applied only where it was made: with the tenant's vendor re-pointed since
    /// (another base URL, account or secret), the apply sends nothing (exit 6), naming both.
    @Test func aPlanIsAppliedOnlyToTheAccountsItWasMadeAgainst() async throws {
        let folder = try RosterProcess.scriptFolder(["off.lua": "encore.deactivate_user(1002)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let planned = try await RosterProcess.run(["run", "off.lua", "--config", "roster.toml", "--dry-run", "--plan-out", "off.json"],
                                                  in: folder, environment: environment)
        #expect(planned.status == 0, "\(planned.stderr)")
        let shown = try await RosterProcess.run(["plan", "show", "off.json"], in: folder, environment: environment)
        #expect(shown.stdout.contains("  encore: \(emulator.origin)/encore, key from file secrets/encore.key\n"), "\(shown.stdout)")

        let config = folder.appendingPathComponent("roster.toml")
        let original = try String(contentsOf: config, encoding: .utf8)
        try original.replacingOccurrences(of: "secrets/encore.key", with: "secrets/other-encore.key").write(to: config, atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("secrets/encore.key"), to: folder.appendingPathComponent("secrets/other-encore.key"))
        let moved = try await RosterProcess.run(["apply", "off.json", "--yes"], in: folder, environment: environment)
        #expect(moved.status == 6, "\(moved.stderr)")
        #expect(moved.diagnostics.contains("roster: plan is stale: it was made against encore at \(emulator.origin)/encore, key from file secrets/encore.key; "
                                           + "tenant 'demo' now reaches encore at \(emulator.origin)/encore, key from file secrets/other-encore.key; nothing was sent"),
                "\(moved.stderr)")
        #expect(try await emulator.stats()["encore"]?["requests"] == 0, "nothing was sent, not even the rehearsal's read")

        try original.write(to: config, atomically: true, encoding: .utf8)
        let applied = try await RosterProcess.run(["apply", "off.json", "--yes"], in: folder, environment: environment)
        #expect(applied.status == 0, "\(applied.stderr)")
    }

    /// A plan's changes built from the time are applied as reviewed: the apply sees the time
    /// its dry run saw, so the plan is not stale a second later and the name is the planned one.
    @Test func anApplySeesTheTimeItsPlanWasMade() async throws {
        let folder = try RosterProcess.scriptFolder(["stamped.lua": """
            encore.create_user({user_name = "p" .. os.time(), first_name = os.date("!%H:%M:%S"), last_name = "P", role_id = 3,
                                license_type = 1, password = "Passw0rd!x"})
            """])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let planned = try await RosterProcess.run(["run", "stamped.lua", "--config", "roster.toml", "--dry-run", "--plan-out", "plan.json"],
                                                  in: folder, environment: environment)
        #expect(planned.status == 0, "\(planned.stderr)")
        try await Task.sleep(for: .milliseconds(1100))
        let applied = try await RosterProcess.run(["apply", "plan.json", "--yes"], in: folder, environment: environment)
        #expect(applied.status == 0, "\(applied.stderr)")
        let name = try #require(planned.stdout.firstMatch(of: /user_name="(p\d+)"/)?.1, "\(planned.stdout)")
        let users = try await emulator.state()["encore"] as? [[String: Any]] ?? []
        #expect(users.contains { $0["UserName"] as? String == String(name) }, "the planned name, \(name), was created")
    }

    @Test func aPlanIsAppliedExactlyAndOnce() async throws {
        try await Self.withPlannedDeactivation { folder, emulator, environment, planned in
            #expect(planned.stderr.contains("saved to plan.json (3 changes); apply exactly it with: roster apply plan.json"), "\(planned.stderr)")
            let file = folder.appendingPathComponent("plan.json").path
            #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(!text.contains("Drawn-") && text.contains("<redacted>"), "no password in the plan")
            let shown = try await RosterProcess.run(["plan", "show", "plan.json"], in: folder, environment: environment)
            #expect(shown.stdout.contains("1. [destructive] encore.deactivate_user id=1001"), "\(shown.stdout)")
            #expect(shown.stdout.contains("3. [write] encore.create_user"), "\(shown.stdout)")
            #expect(try await Self.active(emulator)["ada"] == true, "a dry run sends nothing")

            // No terminal and destructive changes: --yes or nothing.
            let unconfirmed = try await RosterProcess.run(["apply", "plan.json"], in: folder, environment: environment)
            #expect(unconfirmed.status == 2)
            #expect(unconfirmed.stderr.contains("add --yes; nothing was sent"), "\(unconfirmed.stderr)")

            let applied = try await RosterProcess.run(["apply", "plan.json", "--yes"], in: folder, environment: environment)
            #expect(applied.status == 0, "\(applied.stderr)")
            let state = try await Self.active(emulator)
            #expect(state["ada"] == false && state["grace"] == false && state["planned"] == true, "\(state)")

            let again = try await RosterProcess.run(["apply", "plan.json", "--yes"], in: folder, environment: environment)
            #expect(again.status == 6)
            #expect(again.stderr.contains("was already applied by run 2 (its changes: roster runs show 2); a plan is applied once"), "\(again.stderr)")
        }
    }

    /// The apply a saved plan suggests runs as printed: it names the journal the plan's run is
    /// in, and quotes what a shell would split (it named neither, so it failed there).
    @Test func theSuggestedApplyRunsAsPrinted() async throws {
        let folder = try RosterProcess.scriptFolder(["stop.lua": "encore.deactivate_user(1003)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("my plans"), withIntermediateDirectories: true)
        let journal = folder.appendingPathComponent("my plans/journal.sqlite").path
        let planned = try await RosterProcess.run(["run", "stop.lua", "--emulator", "--dry-run", "--plan-out", "my plans/Bob's.json", "--journal", journal],
                                                  in: folder)
        #expect(planned.status == 0, "\(planned.stderr)")
        let command = try #require(planned.stderr.split(separator: "\n").first { $0.contains("apply exactly it with: ") }?
            .components(separatedBy: "apply exactly it with: ").last)
        #expect(command == "roster apply 'my plans/Bob'\\''s.json' --journal '\(journal)'", "\(command)")
        let applied = try await RosterProcess.run(["-c", "roster() { \"$ROSTER\" \"$@\"; }; \(command) --yes"], executable: URL(fileURLWithPath: "/bin/sh"),
                                                  in: folder, environment: ["ROSTER": RosterProcess.binary.path])
        #expect(applied.status == 0 && applied.stderr.contains("its changes: roster runs show 2 --journal '\(journal)'"), "\(applied.stderr)")
    }

    @Test func aStalePlanSendsNothing() async throws {
        try await Self.withPlannedDeactivation { folder, emulator, environment, _ in
            // Someone deactivates ada between the plan and the apply.
            _ = try await TestHTTP.send("DELETE", emulator.origin + "/encore/users/v1/users/1001/active?use-external-id=false",
                                        headers: ["Ocp-Apim-Subscription-Key": "demo-encore-subscription-key"])
            let before = try await emulator.stats()["encore"]?["requests"] ?? 0

            let stale = try await RosterProcess.run(["apply", "plan.json", "--yes"], in: folder, environment: environment)
            #expect(stale.status == 6)
            #expect(stale.diagnostics.contains("roster: plan is stale: change 1 was planned as `encore.deactivate_user id=1001`, and the script no longer wants it; nothing was sent (make a new plan)"), "\(stale.stderr)")
            let state = try await Self.active(emulator)
            #expect(state["grace"] == true && state["planned"] == nil, "\(state)")
            // The rehearsal read the users once; nothing else went out.
            #expect(try await emulator.stats()["encore"]?["requests"] == before + 1)
        }
    }

    /// A plan names a change as its dry run did, arguments in the order the operation
    /// declares them, in `plan show` and in a stale plan's message: a script that now wants a
    /// planned change once more is told so (the plan keeps arguments as a JSON object, and
    /// its sorted keys once named the same change differently).
    @Test func aPlanNamesAChangeAsItsDryRunDid() async throws {
        let script = #"for _, user in ipairs(encore.list_users()) do if user.is_active then encore.update_user(1001, {first_name = "Ada"}) end end"#
        let folder = try RosterProcess.scriptFolder(["rename.lua": script])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        func roster(_ arguments: [String]) async throws -> ProcessResult { try await RosterProcess.run(arguments, in: folder, environment: environment) }
        let change = #"encore.update_user id=1001 fields={first_name="Ada"}"#
        let planned = try await roster(["run", "rename.lua", "--config", "roster.toml", "--dry-run", "--plan-out", "plan.json"])
        #expect(planned.status == 0 && planned.stdout.contains("  \(change)\n"), "\(planned.stdout) \(planned.stderr)")
        let shown = try await roster(["plan", "show", "plan.json"])
        #expect(shown.stdout.contains("  1. [write] \(change)\n"), "\(shown.stdout)")
        // A third user active since the plan (ada and grace were): the script wants the change once more.
        _ = try await TestHTTP.send("PUT", emulator.origin + "/encore/users/v1/users/1003/active?use-external-id=false",
                                    headers: ["Ocp-Apim-Subscription-Key": "demo-encore-subscription-key"])
        let stale = try await roster(["apply", "plan.json", "--yes"])
        #expect(stale.status == 6)
        #expect(stale.diagnostics.contains("roster: plan is stale: the script now wants `\(change)` once more than the plan holds it (2 times); nothing was sent"), "\(stale.stderr)")
    }

    /// The plan file is what was reviewed: one edited since it was made (a change's target,
    /// its arguments) is refused with nothing sent, naming what differs; one only
    /// re-formatted is the same plan and applies.
    @Test func anEditedPlanFileIsNotApplied() async throws {
        try await Self.withPlannedDeactivation { folder, emulator, environment, _ in
            let file = folder.appendingPathComponent("plan.json")
            let original = try String(contentsOf: file, encoding: .utf8)
            let before = try await Self.active(emulator)
            try original.replacingOccurrences(of: "\"id\" : 1001", with: "\"id\" : 1003").write(to: file, atomically: true, encoding: .utf8)
            let edited = try await RosterProcess.run(["apply", "plan.json", "--yes"], in: folder, environment: environment)
            #expect(edited.status == 6)
            #expect(edited.diagnostics.contains("roster: plan.json is not plan "), "\(edited.stderr)")
            #expect(edited.diagnostics.contains(" as it was made: change 1 reads encore.deactivate_user id=1003, made as encore.deactivate_user id=1001; nothing was sent (make a new plan)"),
                    "\(edited.stderr)")
            // Reviewing the edited file says so too, before anyone approves what it shows.
            let shown = try await RosterProcess.run(["plan", "show", "plan.json"], in: folder, environment: environment)
            #expect(shown.status == 6 && shown.stdout.contains("encore.deactivate_user id=1003"), "\(shown.stdout)")
            #expect(shown.diagnostics.contains(" as it was made: change 1 reads encore.deactivate_user id=1003, made as encore.deactivate_user id=1001; roster apply refuses it (make a new plan)\n"),
                    "\(shown.stderr)")
            try original.replacingOccurrences(of: "Operations", with: "Sales").write(to: file, atomically: true, encoding: .utf8)
            let arguments = try await RosterProcess.run(["apply", "plan.json", "--yes"], in: folder, environment: environment)
            #expect(arguments.status == 6)
            #expect(arguments.diagnostics.contains("its --arg values differ"), "\(arguments.stderr)")
            // A file whose id was edited names no plan the journal kept, so nothing would hold
            // it to being applied once: refused, shown as refused, and an id roster never
            // makes is refused on reading, quoted on one line.
            let id = try #require(original.firstMatch(of: /"id" : "([0-9a-f-]{36})"/)?.1)
            let otherID = UUID().uuidString.lowercased()
            try original.replacingOccurrences(of: String(id), with: otherID).write(to: file, atomically: true, encoding: .utf8)
            for command in [["apply", "plan.json", "--yes"], ["plan", "show", "plan.json"]] {
                let reIdentified = try await RosterProcess.run(command, in: folder, environment: environment)
                #expect(reIdentified.status == 6, "\(command) \(reIdentified.stderr)")
                #expect(reIdentified.diagnostics.hasSuffix("roster: plan.json is not a plan as roster saved it: the journal \(folder.path)/state/roster/journal.sqlite keeps no plan \(otherID) of run 1 (was its id edited?); "
                    + (command[0] == "apply" ? "nothing was sent" : "roster apply refuses it") + " (make a new plan)\n"), "\(command) \(reIdentified.stderr)")
            }
            try original.replacingOccurrences(of: String(id), with: "x\\ny\\u2028").write(to: file, atomically: true, encoding: .utf8)
            for command in [["apply", "plan.json", "--yes"], ["plan", "show", "plan.json"]] {
                let garbled = try await RosterProcess.run(command, in: folder, environment: environment)
                #expect(garbled.status == 2 && garbled.diagnostics.hasSuffix(
                    "roster: the plan 'plan.json' has an id roster does not make (x\\ny\\u{2028}); its file was edited (make a new plan)\n"), "\(command) \(garbled.stderr)")
            }
            // What an edit put in the file is shown on the line it belongs to.
            try original.replacingOccurrences(of: #""vendor" : "encore""#, with: #""vendor" : "en\ncore""#).write(to: file, atomically: true, encoding: .utf8)
            let broken = try await RosterProcess.run(["plan", "show", "plan.json"], in: folder, environment: environment)
            #expect(broken.status == 6 && broken.stdout.contains("\n  1. [destructive] en\\ncore.deactivate_user id=1001\n"), "\(broken.stdout)")
            #expect(broken.diagnostics.hasSuffix(" as it was made: change 1 reads en\\ncore.deactivate_user id=1001, made as encore.deactivate_user id=1001; roster apply refuses it (make a new plan)\n"),
                    "\(broken.stderr)")
            #expect(try await Self.active(emulator) == before, "nothing was sent")

            let object = try JSONSerialization.jsonObject(with: Data(original.utf8))
            try JSONSerialization.data(withJSONObject: object).write(to: file) // one line, keys in another order
            #expect(try await RosterProcess.run(["plan", "show", "plan.json"], in: folder, environment: environment).diagnostics == "")
            let reformatted = try await RosterProcess.run(["apply", "plan.json", "--yes"], in: folder, environment: environment)
            #expect(reformatted.status == 0, "\(reformatted.stderr)")
            #expect(try await Self.active(emulator)["ada"] == false)
            let applied = try await RosterProcess.run(["plan", "show", "plan.json"], in: folder, environment: environment)
            #expect(applied.status == 0 && applied.diagnostics.hasPrefix("roster: plan ") && applied.diagnostics.contains(" was applied by run "),
                    "\(applied.stderr)")
        }
    }

    /// A plan row by row (`--each`): every row's changes, applied exactly and once; a row of
    /// the CSV changed since makes it stale, with nothing sent.
    @Test func aPlanRowByRow() async throws {
        let script = """
            encore.create_user({user_name = row.user, first_name = row.first, last_name = "R", role_id = 3, license_type = 1,
                                password = ("Drawn-%06d!"):format(math.random(0, 999999))})
            if row.deactivate ~= "" then encore.deactivate_user(tonumber(row.deactivate)) end
            """
        let csv = "user,first,deactivate\nrow1,One,\nrow2,Two,1002\nrow3,Three,\n"
        let folder = try RosterProcess.scriptFolder(["each.lua": script, "people.csv": csv])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        func roster(_ arguments: [String]) async throws -> ProcessResult {
            try await RosterProcess.run(arguments, in: folder, environment: environment)
        }
        let planned = try await roster(["run", "each.lua", "--each", "people.csv", "--config", "roster.toml", "--dry-run", "--plan-out", "rows.plan"])
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stderr.contains("saved to rows.plan (4 changes)"), "\(planned.stderr)")
        let shown = try await roster(["plan", "show", "rows.plan"])
        #expect(shown.stdout.contains("row by row over people.csv (3 rows)"), "\(shown.stdout)")
        #expect(shown.stdout.contains("  row 3:\n    2. [write] encore.create_user"), "\(shown.stdout)")
        #expect(shown.stdout.contains("    3. [destructive] encore.deactivate_user"), "\(shown.stdout)")

        // A row changed since the plan: stale, nothing sent.
        try "user,first,deactivate\nrow1,One,\nrow2,Two,1002\nrow3,Tri,\n".write(to: folder.appendingPathComponent("people.csv"), atomically: true, encoding: .utf8)
        let stale = try await roster(["apply", "rows.plan", "--yes"])
        #expect(stale.status == 6)
        #expect(stale.diagnostics.contains("roster: plan is stale: row 4 of people.csv changed since the plan was made; nothing was sent (make a new plan)"), "\(stale.stderr)")
        try csv.write(to: folder.appendingPathComponent("people.csv"), atomically: true, encoding: .utf8)

        let applied = try await roster(["apply", "rows.plan", "--yes"])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout.contains("row 3 row2: ok, 2 changes"), "\(applied.stdout)")
        let state = try await Self.active(emulator)
        #expect(state["row1"] == true && state["row2"] == true && state["row3"] == true && state["grace"] == false, "\(state)")
        let again = try await roster(["apply", "rows.plan", "--yes"])
        #expect(again.status == 6)
        #expect(again.stderr.contains("was already applied by run 2"), "\(again.stderr)")
    }
}
