/// VendorRunTests.swift: `roster run` with vendors as a user runs it: the emulator when there
/// is no configuration, a roster.toml when there is one, dry runs, --json, docs and stubs.
import Emulator
import Engine
import Foundation
import Testing

@Suite struct VendorRunTests {
    @Test func withoutAConfigurationTheEmulatorIsUsedAndSaidSo() async throws {
        let folder = try RosterProcess.scriptFolder(["count.lua": "print(#encore.list_users())"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await RosterProcess.run(["run", "count.lua"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "3\n")
        #expect(result.stderr.hasPrefix("roster: no roster.toml found; using the built-in emulator (http://127.0.0.1:"))
    }

    @Test func aConfigurationPointsTheModulesAtItsVendors() async throws {
        // A standalone emulator with a different seed, reached only through roster.toml.
        let emulator = try await Emulator.start(VendorRegistry.standard.emulatorConfiguration())
        let folder = try RosterProcess.scriptFolder(["promote.lua": "allthenticate.promote_guest(103)\nprint(roster.tenant)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        try DemoConfiguration().write(to: folder.appendingPathComponent("roster.toml").path, origin: emulator.origin)
        let result = try await RosterProcess.run(["run", "promote.lua"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "demo\n")
        #expect(result.diagnostics.isEmpty && !result.stderr.contains("emulator"), "no emulator notice: \(result.stderr)")
        #expect(result.stderr.hasPrefix("roster: run "), "the run says its journal id: \(result.stderr)")
        let users = emulator.world.dump()["allthenticate"] as? [[String: Any]] ?? []
        #expect(users.first { $0["email_id"] as? Int == 103 }?["user_tag"] as? String == "REGULAR")
        await emulator.stop()
    }

    @Test func aConfigurationMistakeIsOneLineAndExit2() async throws {
        let folder = try RosterProcess.scriptFolder([
            "s.lua": "print(1)",
            "roster.toml": "[tenants.acme.encore]\nsubscription_key = { env = \"ROSTER_TEST_UNSET_KEY\" }\n",
            "bad.toml": "[tenants.acme.encore]\nsubscription_ky = { env = \"K\" }\n",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        var result = try await RosterProcess.run(["run", "s.lua"], in: folder)
        #expect(result.status == 2)
        #expect(result.stderr == "roster: \(folder.path)/roster.toml:2: tenants.acme.encore.subscription_key: environment variable ROSTER_TEST_UNSET_KEY is not set; export ROSTER_TEST_UNSET_KEY, or use { file = \"path\" }\n"
            || result.stderr == "roster: roster.toml:2: tenants.acme.encore.subscription_key: environment variable ROSTER_TEST_UNSET_KEY is not set; export ROSTER_TEST_UNSET_KEY, or use { file = \"path\" }\n",
            "\(result.stderr)")
        #expect(result.stdout.isEmpty)

        result = try await RosterProcess.run(["run", "s.lua", "--config", "bad.toml"], in: folder)
        #expect(result.status == 2)
        #expect(result.stderr == "roster: bad.toml:2: tenants.acme.encore.subscription_ky: unknown key; did you mean subscription_key?\n")

        result = try await RosterProcess.run(["run", "s.lua", "--config", "missing.toml"], in: folder)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("roster: missing.toml: no such configuration file (from --config); "))

        result = try await RosterProcess.run(["run", "s.lua", "--tenant", "nope"], in: folder, environment: ["ROSTER_TEST_UNSET_KEY": "x"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no tenant named 'nope'; pass --tenant with one of: acme"))

        // --emulator ignores the broken roster.toml.
        result = try await RosterProcess.run(["run", "s.lua", "--emulator"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        result = try await RosterProcess.run(["run", "s.lua", "--emulator", "--config", "bad.toml"], in: folder)
        #expect(result.status == 2)

        // A tenant named where no roster.toml is found is a mistake (the wrong folder), not a
        // run on the emulator: nothing runs. The emulator's own tenant may be named.
        let empty = try RosterProcess.scriptFolder(["s.lua": "print('ran')"])
        defer { try? FileManager.default.removeItem(at: empty) }
        result = try await RosterProcess.run(["run", "s.lua", "--tenant", "acme"], in: empty)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("roster: roster.toml: not found (looked for "), "\(result.stderr)")
        #expect(result.stderr.hasSuffix("so --tenant 'acme' names no tenant; run where roster.toml is, or pass --config FILE (without --tenant, a run uses the built-in emulator)\n"))
        result = try await RosterProcess.run(["run", "s.lua", "--tenant", "emulator"], in: empty)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "ran\n")
    }

    /// A vendor that refuses the tenant's credentials (HTTP 401) is followed by the key to check
    /// and where its secret is read from, never the secret; a vendor that cannot be reached
    /// is waited for, not blamed on the script.
    @Test func aRefusedCredentialNamesTheKeyToCheck() async throws {
        let emulator = try await Emulator.start(VendorRegistry.standard.emulatorConfiguration())
        let folder = try RosterProcess.scriptFolder([
            "get.lua": "print(encore.get_user(1001).first_name)",
            "guardant.lua": "print(#guardant.list_users())",
            "destructive.lua": "encore.deactivate_user(1003)\nprint(#guardant.list_users())",
            "caught.lua": "local ok = pcall(encore.get_user, 1001)\nerror('no user')",
            "row.lua": "encore.get_user(tonumber(row.id))",
            "ids.csv": "id\n1001\n1002\n1003\n",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = folder.appendingPathComponent("roster.toml")
        try DemoConfiguration().write(to: configuration.path, origin: emulator.origin)
        for name in ["encore.key", "guardant.token"] {
            let path = folder.appendingPathComponent("secrets/\(name)").path
            try Data("not-the-key-4711\n".utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        }
        let lines = try String(contentsOf: configuration, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let keyLine = try #require(lines.firstIndex { $0.hasPrefix("subscription_key") }) + 1
        let tokenLine = try #require(lines.firstIndex { $0.hasPrefix("token =") }) + 1

        var result = try await RosterProcess.run(["run", "get.lua", "--yes"], in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.contains("get.lua:1: encore.get_user: HTTP 401: "), "\(result.stderr)")
        #expect(result.stderr.contains("roster: encore refused the credentials of tenant 'demo' (HTTP 401): check subscription_key at ")
            && result.stderr.contains("roster.toml:\(keyLine) (file secrets/encore.key)\n"), "\(result.stderr)")
        #expect(result.stderr.contains(" changed nothing before its error: run it again once encore's credentials are fixed (roster runs show "),
                "\(result.stderr)")
        #expect(!result.stderr.contains("not-the-key-4711"))

        // --json gives it as the report's advice.
        result = try await RosterProcess.run(["run", "get.lua", "--yes", "--json"], in: folder)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect((report?["advice"] as? String)?.hasPrefix("encore refused the credentials of tenant 'demo' (HTTP 401): check subscription_key at ") == true,
                "\(result.stdout)")

        // Header credentials are sent as an assumption says: the header and prefix are named too.
        result = try await RosterProcess.run(["run", "guardant.lua", "--yes"], in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.contains("roster.toml:\(tokenLine) (file secrets/guardant.token), sent as 'Authorization: Bearer <token>' (auth_header, auth_prefix)\n"),
                "\(result.stderr)")

        // A rehearsal the refusal stopped: the run is refused, with the same advice.
        result = try await RosterProcess.run(["run", "destructive.lua"], in: folder)
        #expect(result.status == 2)
        #expect(result.stderr.contains("no terminal to confirm: add --yes") && result.stderr.contains("destructive.lua:2: guardant.list_users: HTTP 401")
            && result.stderr.contains("roster: guardant refused the credentials of tenant 'demo' (HTTP 401): check token at "), "\(result.stderr)")
        result = try await RosterProcess.run(["run", "destructive.lua", "--json"], in: folder)
        let refusal = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(refusal?["outcome"] as? String == "refused"
            && (refusal?["advice"] as? String)?.hasPrefix("guardant refused the credentials of tenant 'demo' (HTTP 401): check token at ") == true, "\(result.stdout)")

        // The REPL says it too, under the entry that met the refusal.
        result = try await RosterProcess.run(["repl"], in: folder, input: "encore.get_user(1001)\nprint('on')\n")
        #expect(result.stdout == "on\n", "\(result.stderr)")
        #expect(result.stderr.contains("stdin:1: encore.get_user: HTTP 401: ")
            && result.stderr.contains("roster: encore refused the credentials of tenant 'demo' (HTTP 401): check subscription_key at "), "\(result.stderr)")

        // After :tenant, the advice names the tenant switched to and where its key is set.
        try (String(contentsOf: configuration, encoding: .utf8) + """

            [tenants.other.encore]
            base_url = "\(emulator.origin)/encore"
            subscription_key = { file = "secrets/encore.key" }

            """).write(to: configuration, atomically: true, encoding: .utf8)
        let otherKeyLine = try #require(String(contentsOf: configuration, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .lastIndex { $0.hasPrefix("subscription_key") }) + 1
        result = try await RosterProcess.run(["repl"], in: folder, input: ":tenant other\nencore.get_user(1001)\n")
        #expect(result.stderr.contains("stdin:1: encore.get_user: HTTP 401: ")
            && result.stderr.contains("roster: encore refused the credentials of tenant 'other' (HTTP 401): check subscription_key at ")
            && result.stderr.contains("roster.toml:\(otherKeyLine) (file secrets/encore.key)\n"), "\(result.stderr)")

        // Row by row: said once, however many rows the vendor refused.
        result = try await RosterProcess.run(["run", "row.lua", "--each", "ids.csv", "--yes"], in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.components(separatedBy: "roster: encore refused the credentials of tenant 'demo'").count == 2, "\(result.stderr)")

        // A script that caught the refusal and failed its own way is the script's to fix.
        result = try await RosterProcess.run(["run", "caught.lua", "--yes"], in: folder)
        #expect(result.status == 1)
        #expect(!result.stderr.contains("refused the credentials"), "\(result.stderr)")
        #expect(result.stderr.contains(" changed nothing before its error: run the script again once it is fixed ("), "\(result.stderr)")

        await emulator.stop()
        result = try await RosterProcess.run(["run", "get.lua", "--yes"], in: folder)
        #expect(result.status == 1)
        #expect(result.stderr.contains("get.lua:1: encore.get_user: no response: "), "\(result.stderr)")
        #expect(result.stderr.contains(" changed nothing before its error: run it again once encore answers (roster runs show "), "\(result.stderr)")
    }

    @Test func dryRunPrintsThePlanAndJsonGivesOneDocument() async throws {
        let folder = try RosterProcess.scriptFolder(["change.lua": """
            print("working")
            encore.deactivate_user(1001)
            allthenticate.set_smartcards(101, {{number = "1234"}})
            """])
        defer { try? FileManager.default.removeItem(at: folder) }
        var result = try await RosterProcess.run(["run", "change.lua", "--dry-run"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            working
            Dry run: 2 changes planned, none sent:
              encore.deactivate_user id=1001
              allthenticate.set_smartcards email_id=101 cards=[{number="1234"}]

            """)

        // A dry run that stops early does not pass its partial list off as the plan.
        let stopping = try RosterProcess.scriptFolder([
            "late.lua": "encore.deactivate_user(1001)\nerror('no such department', 0)",
            "early.lua": "error('no such department', 0)\nencore.deactivate_user(1001)",
        ])
        defer { try? FileManager.default.removeItem(at: stopping) }
        result = try await RosterProcess.run(["run", "late.lua", "--dry-run"], in: stopping)
        #expect(result.status == 1)
        #expect(result.stdout == """
            Dry run did not finish; 1 change planned before it stopped (not the whole plan), none sent:
              encore.deactivate_user id=1001

            """)
        #expect(result.stderr.contains("no such department\n"), "\(result.stderr)")
        result = try await RosterProcess.run(["run", "early.lua", "--dry-run"], in: stopping)
        #expect(result.status == 1)
        #expect(result.stdout == "Dry run did not finish, and planned no change before it stopped.\n")

        result = try await RosterProcess.run(["run", "change.lua", "--dry-run", "--json"], in: folder)
        #expect(result.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["outcome"] as? String == "success")
        #expect(document["output"] as? String == "working\n")
        let plan = try #require(document["plan"] as? [[String: Any]])
        try #require(plan.count == 2)
        #expect(plan[0]["vendor"] as? String == "encore")
        #expect(plan[0]["operation"] as? String == "deactivate_user")
        #expect((plan[0]["arguments"] as? [String: Any])?["id"] as? Int == 1001)
        #expect(Set(plan[1].keys) == ["vendor", "operation", "arguments"])

        // A failing run still gives one document, with the error.
        let failing = try RosterProcess.scriptFolder(["f.lua": "encore.get_user(424242)"])
        defer { try? FileManager.default.removeItem(at: failing) }
        result = try await RosterProcess.run(["run", "f.lua", "--json"], in: failing)
        #expect(result.status == 1)
        let failed = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(failed["error"] as? String == "f.lua:1: encore.get_user: HTTP 404 (code 128): User not found or deleted.")
        #expect((failed["calls"] as? [[String: Any]])?.first?["outcome"] as? String == "failed")
    }

    @Test func inputsReachTheScriptOnlyWhenNamed() async throws {
        let folder = try RosterProcess.scriptFolder(["read.lua": "local rows = csv.parse(inputs[1])\nprint(#rows, rows[2].name, inputs['people.csv'] ~= nil)",
                                                     "people.csv": "name,email\nA,a@x.com\n\"B, Jr.\",b@x.com\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        var result = try await RosterProcess.run(["run", "read.lua", "--input", "people.csv"], in: folder)
        #expect(result.stdout == "2\tB, Jr.\ttrue\n", "\(result.stderr)")
        result = try await RosterProcess.run(["run", "read.lua", "--input", "nope.csv"], in: folder)
        #expect(result.status == 2)
        #expect(result.stderr == "roster: cannot read --input 'nope.csv': no such file\n")
    }

    /// An input is also named by its file name, unless two inputs share it: `a/x.csv` and
    /// `b/x.csv` each keep their path, and `inputs["x.csv"]` (which gave the first, silently)
    /// names neither.
    @Test func aFileNameTwoInputsShareNamesNeither() async throws {
        let folder = try RosterProcess.scriptFolder(["show.lua": #"print(inputs["x.csv"], inputs["a/x.csv"], inputs["b/x.csv"], inputs["y.csv"])"#,
                                                     "a/x.csv": "A", "b/x.csv": "B", "a/y.csv": "Y"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let shared = try await RosterProcess.run(["run", "show.lua", "--input", "a/x.csv", "--input", "b/x.csv", "--input", "a/y.csv"], in: folder,
                                                 environment: JournalTests.journal(folder))
        #expect(shared.status == 0 && shared.stdout == "nil\tA\tB\tY\n", "\(shared.stdout) \(shared.stderr)")
        let once = try await RosterProcess.run(["run", "show.lua", "--input", "a/x.csv", "--input", "a/x.csv"], in: folder, environment: JournalTests.journal(folder))
        #expect(once.stdout == "A\tA\tnil\tnil\n", "\(once.stdout) \(once.stderr)")
    }

    @Test func docsAndStubs() async throws {
        var result = try await RosterProcess.run(["docs", "allthenticate.promote_guest"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("allthenticate.promote_guest(email_id) -> {ok: true}\n"))
        result = try await RosterProcess.run(["docs"])
        #expect(result.stdout.contains("encore "))
        result = try await RosterProcess.run(["docs", "encore.get_usr"])
        #expect(result.status == 2)
        #expect(result.stderr == "roster: no documentation for 'encore.get_usr'; did you mean encore.get_user?\n")
        // Roster's own globals are documented; a standard Lua name is named as one (it
        // suggested allthenticate.promote_guest for _G, and csv for os).
        for (topic, first) in [("parallel.map", "parallel.map(list, fn, options?) -> table"), ("print", "print(...)"), ("require", "require(name)")] {
            result = try await RosterProcess.run(["docs", topic])
            #expect(result.status == 0 && result.stdout.hasPrefix(first + "\n"), "\(topic): \(result.stdout) \(result.stderr)")
        }
        // Each function's effect says what it does to a vendor (parallel.map said "read").
        for (topic, effect) in [("encore.get_user", "read (changes nothing)"),
                                ("encore.deactivate_user", "destructive (planned, not sent, under --dry-run)"),
                                ("csv.parse", "none (reaches no vendor)"),
                                ("parallel.map", "that of the functions it is given (it reaches no vendor itself)")] {
            result = try await RosterProcess.run(["docs", topic])
            #expect(result.stdout.split(separator: "\n").contains("  effect: \(effect)"), "\(topic): \(result.stdout)")
        }
        result = try await RosterProcess.run(["docs", "parallel"])
        #expect(result.stdout.contains("-> table  [as its functions] Calls fn"), "\(result.stdout)")
        let modules = "Roster's modules: activeconnect, encore, guardant, active911, allthenticate, csv, parallel\n"
        for (topic, what) in [("_G", "is standard Lua; the Lua 5.4 manual documents it (https://www.lua.org/manual/5.4/)"),
                              ("string.format", "is standard Lua; the Lua 5.4 manual documents it (https://www.lua.org/manual/5.4/)"),
                              ("io", "is not in Roster scripts: scripts reach no files; name one with --input FILE and read it as inputs[\"FILE\"]"),
                              ("os.remove", "is not in Roster scripts (os has only clock, date, time)"),
                              ("string.dump", "is not in Roster scripts")] {
            result = try await RosterProcess.run(["docs", topic])
            #expect(result.status == 2 && result.stderr == "roster: '\(topic)' \(what); \(modules)", "\(topic): \(result.stderr)")
        }
        for topic in ["os", "ab", "xyz"] {
            result = try await RosterProcess.run(["docs", topic])
            #expect(!result.stderr.contains("did you mean"), "\(topic): \(result.stderr)")
        }
        result = try await RosterProcess.run(["docs", "get_usr"])
        #expect(result.stderr == "roster: no documentation for 'get_usr'; did you mean allthenticate.get_user, encore.get_user?\n")

        let folder = try RosterProcess.scriptFolder([:])
        defer { try? FileManager.default.removeItem(at: folder) }
        result = try await RosterProcess.run(["stubs", "--out", folder.appendingPathComponent("stubs").path])
        #expect(result.status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("stubs").path).sorted()
        #expect(files == ["active911.lua", "activeconnect.lua", "allthenticate.lua", "encore.lua", "guardant.lua", "roster.lua"])
    }
}
