/// ReplTests.swift: `roster repl` driven as people use it — on a pseudo-terminal (completion,
/// multi-line input, history across sessions, help, Ctrl-C) and through a pipe.
import Emulator
import Engine
import Foundation
import Testing

@Suite struct ReplTests {
    // MARK: piped

    @Test func pipedInputPrintsValuesWithoutPromptsOrEscapes() async throws {
        let input = """
            x = 21
            x * 2
            {b = 1, a = {1, 2}, ["key with space"] = "v\\n"}
            for i = 1, 2 do
              print("line " .. i)
            end
            local t = {} t.self = t return t
            local t = {} for i = 1, 30 do t[i] = i end return t
            =#encore.list_users()
            encore.get_user(424242)
            {user = {email = "ada@example.com", groups = {"Engineering", "Operations"}, name = "Ada Lovelace", rank = "ADMIN"}, n = 1}
            return 1, nil, "two"
            """ + "\n"
        let result = try await RosterProcess.run(["repl"], input: input)
        #expect(result.status == 1, "one entry failed: \(result.stderr)")
        #expect(!result.stdout.contains("\u{1b}") && !result.stdout.contains("roster>"))
        #expect(result.stdout == """
            42
            {a = {1, 2}, b = 1, ["key with space"] = "v\\n"}
            line 1
            line 2
            {self = <cycle>}
            {
              1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
              ... 10 more
            }
            3
            {
              n = 1,
              user = {
                email = "ada@example.com",
                groups = {"Engineering", "Operations"},
                name = "Ada Lovelace",
                rank = "ADMIN"
              }
            }
            1\tnil\t"two"

            """)
        #expect(result.diagnostics == "stdin:1: encore.get_user: HTTP 404 (code 128): User not found or deleted.\n")
    }

    @Test func pipedHelpCommandsAndErrorsGoOn() async throws {
        let result = try await RosterProcess.run(["repl"], input: """
            help(allthenticate.promote_guest)
            :dry-run on
            r = encore.deactivate_user(1001)
            =r
            :dry-run off
            =encore.get_user(1001).is_active
            error("boom")
            =roster.tenant
            :tenant acme
            :bogus
            =1 +
            2

            """)
        #expect(result.stdout.contains("allthenticate.promote_guest(email_id) -> {ok: true}\n  Makes a guest a regular member of the organization."))
        #expect(result.stdout.contains("dry run on: writes are planned, not sent\n(dry run) planned, not sent: encore.deactivate_user id=1001\n(dry run)\n"))
        #expect(result.stdout.contains("dry run off: writes are sent\ntrue\n"))
        #expect(result.stdout.contains("\"emulator\"\n3\n"))
        #expect(result.diagnostics.contains("stdin:1: boom\n"))
        #expect(result.diagnostics.contains("roster: :tenant needs a roster.toml; this session uses the built-in emulator\n"))
        #expect(result.diagnostics.contains("roster: unknown command :bogus; :help lists the commands\n"))
        #expect(result.status == 1)
    }

    /// `:tenant NAME` moves the session to another tenant of roster.toml; a mistyped name or
    /// command is told what was probably meant.
    @Test func aSessionSwitchesTenantsByName() async throws {
        let emulator = try await Emulator.start(VendorRegistry.standard.emulatorConfiguration())
        defer { Task { await emulator.stop() } }
        let folder = try RosterProcess.scriptFolder([:])
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = folder.appendingPathComponent("roster.toml")
        try DemoConfiguration().write(to: configuration.path, origin: emulator.origin)
        try (String(contentsOf: configuration, encoding: .utf8) + """

            [tenants.other.encore]
            base_url = "\(emulator.origin)/encore"
            subscription_key = { file = "secrets/encore.key" }

            """).write(to: configuration, atomically: true, encoding: .utf8)
        let result = try await RosterProcess.run(["repl"], in: folder, environment: JournalTests.journal(folder), input: """
            :tenant
            :tenant othr
            :tenat other
            :tenant other
            =roster.tenant
            =encore.get_user(1001).first_name
            =activeconnect.has_device("ada@example.com")
            :dryrun on
            :dry-run maybe
            :qu
            :tenant demo other
            :help me

            """)
        #expect(result.stdout == """
            tenant demo; :tenant NAME switches to another: demo, other
            tenant other: encore
            "other"
            "Ada"

            """, "\(result.stderr)")
        #expect(result.diagnostics == """
            roster: \(configuration.path): tenants: no tenant named 'othr'; did you mean 'other'? (use :tenant with one of: demo, other)
            roster: unknown command :tenat; did you mean :tenant?
            stdin:1: activeconnect.has_device: activeconnect is not configured for tenant 'other'; add a [tenants.other.activeconnect] section to roster.toml
            roster: unknown command :dryrun; did you mean :dry-run?
            roster: :dry-run takes on or off (now off)
            roster: unknown command :qu; did you mean :quit?
            roster: :tenant takes one name; got 'demo other'
            roster: :help takes no argument; got 'me'

            """)
        #expect(result.status == 1)
        // The session is journaled as one run, named as a session, not as a file here.
        let runs = try await JournalTests.runs(in: folder)
        #expect(runs.count == 1 && runs.first?["script"] as? String == "(repl)", "\(runs)")
    }

    /// Piped statements are a script nobody watches: a destructive call needs `--yes`, as
    /// `roster run` does without a terminal; a plain write does not.
    @Test func pipedDestructiveCallsNeedYes() async throws {
        let statements = """
            ok, err = pcall(encore.deactivate_user, 1001)
            =encore.get_user(1001).is_active
            id = encore.activate_user(1002)
            =encore.get_user(1002).is_active
            r = encore.deactivate_user(1001)
            =encore.get_user(1001).is_active

            """
        let refused = try await RosterProcess.run(["repl"], input: statements)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stdout == "true\ntrue\ntrue\n", "nothing destructive was sent: \(refused.stdout)")
        #expect(refused.diagnostics == """
            stdin:1: encore.deactivate_user: a destructive change needs confirming, and the REPL's input is not a terminal: \
            start it with --yes to send such changes (:dry-run on plans them); nothing was sent

            """)

        let confirmed = try await RosterProcess.run(["repl", "--yes"], input: statements)
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        #expect(confirmed.stdout == "false\ntrue\nfalse\n")
    }

    /// Piped input is read within a script's size: a line that never ends, or a statement
    /// left open, read until the machine's memory was gone (`cat /dev/zero | roster repl`),
    /// or, for an open statement, compiled again at every line for hours.
    @Test func pipedInputIsHeldToAScriptsSize() async throws {
        let endless = try await RosterProcess.run(["-c", "exec \"$ROSTER\" repl < /dev/zero"], executable: URL(fileURLWithPath: "/bin/sh"),
                                                  environment: ["ROSTER": RosterProcess.binary.path])
        #expect(endless.status == 2 && endless.stdout.isEmpty, "\(endless.stdout)")
        #expect(endless.diagnostics == "roster: line 1 of the input holds more than 64 MB, more than a script may; nothing after it was read\n",
                "\(endless.stderr)")
        let megabyte = String(repeating: "a", count: 1 << 20) + "\n"
        let open = try await RosterProcess.run(["repl"], input: "=1\nx = [[\n" + String(repeating: megabyte, count: 65) + "]]\n=2\n")
        #expect(open.status == 2 && open.stdout == "1\n", "\(open.stdout)")
        #expect(open.diagnostics == "roster: a statement passed 64 MB, more than a script may (is a string or a block left open after 'x = [['?); "
                + "nothing after it was read\n", "\(open.stderr)")
    }

    /// A long statement piped in runs once, when it ends, and soon: compiled again at every
    /// line (as lua.c does), a table of 40,000 entries took five minutes.
    @Test func aLongStatementPipedInRunsOnceWhenItEnds() async throws {
        var input = "t = {\n"
        for index in 1...40_000 { input += "  \"user\(index)@example.com\", -- end }\n" }
        input += "  [[function do ]] .. 'if {' , --[==[ until ) ]==] \"repeat \\\" (\"\n}\n=#t\n"
        input += "function f(x)\n  local text = [=[\n" + String(repeating: "end ]] until }\n", count: 2_000) + "]=]\n"
        input += "  for i = 1, 2 do\n    while false do end\n  end\n  repeat x = x + 1 until true\n  if x then return x elseif true then return 0 end\nend\n"
        input += "=f(2)\nprint('next')\n"
        let result = try await RosterProcess.run(["repl"], input: input)
        #expect(result.status == 0 && result.stdout == "40002\n3\nnext\n", "\(result.stdout) \(result.stderr)")
    }

    @Test func aStatementTimeoutIsOneLineAndTheSessionGoesOn() async throws {
        let result = try await RosterProcess.run(["repl", "--timeout", "0.3"], input: "while true do end\n=40 + 2\n")
        #expect(result.stdout == "42\n")
        #expect(result.diagnostics == "roster: timeout: the script ran longer than its 300 ms limit (--timeout); it stopped at stdin:1\n")
    }

    /// A statement spinning inside one C function (a pattern match) fails with the limit; the
    /// session, its globals and the next statements go on.
    @Test func aStatementStuckInAPatternMatchFailsAndTheSessionGoesOn() async throws {
        let result = try await RosterProcess.run(["repl", "--timeout", "0.5"], limit: 30, input: """
            kept = 41
            string.find(string.rep("a", 1e5), ".-.-.-.-b")
            string.gsub(string.rep("a", 1e5), ".-.-.-.-b", "")
            =kept + 1
            """)
        #expect(!result.signaled)
        #expect(result.stdout == "42\n")
        #expect(result.diagnostics == String(repeating: "roster: timeout: the script ran longer than its 500 ms limit (--timeout); it stopped at stdin:1\n", count: 2))
        #expect(result.status == 1)
    }

    // MARK: on a terminal

    static func home() throws -> URL {
        let folder = try RosterProcess.scriptFolder([:])
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func completionOfModulesFunctionsAndResultFields() async throws {
        let folder = try Self.home()
        defer { try? FileManager.default.removeItem(at: folder) }
        let repl = try TerminalSession(["repl"], in: folder, environment: ["XDG_STATE_HOME": folder.path])
        #expect(await repl.waitFor("roster> "), "\(repl.screen)")
        // libedit redraws by moving the cursor, so the completed name shows in pieces: what
        // it evaluates to proves it was completed.
        repl.type("allthe\t.promote_g\t\n")
        #expect(await repl.waitFor("function: "), "\(repl.screen)")
        #expect(!repl.screen.contains("attempt to index"), "\(repl.screen)")
        repl.type("u = encore.get_user(1001)\n")
        repl.type("u.emai\t\n") // u.em alone is ambiguous: email, employee_number
        #expect(await repl.waitFor("\"ada@example.com\""), "\(repl.screen)")
        // Ctrl-D at an empty prompt leaves (typed once the prompt is back, not ahead).
        #expect(await repl.waitForPrompt("roster> ", after: "\"ada@example.com\""))
        repl.type("\u{04}")
        #expect(await repl.exitStatus() == 0)
    }

    /// On a terminal a destructive call asks first: `n` refuses it (nothing sent, the statement
    /// fails), Ctrl-C too (at once, stopping the statement), `a` sends the rest of the
    /// statement's without asking again; --yes asks nothing.
    @Test func aDestructiveCallAsksFirstOnATerminal() async throws {
        let folder = try Self.home()
        defer { try? FileManager.default.removeItem(at: folder) }
        let repl = try TerminalSession(["repl"], in: folder, environment: ["XDG_STATE_HOME": folder.path])
        #expect(await repl.waitFor("roster> "), "\(repl.screen)")
        repl.type("encore.deactivate_user(1001)\n")
        #expect(await repl.waitFor("Send encore.deactivate_user id=1001 (destructive) to tenant 'emulator'? [y/N/a: all in this statement] "),
                "\(repl.screen)")
        repl.type("n\n")
        #expect(await repl.waitFor("encore.deactivate_user: not confirmed; nothing was sent"), "\(repl.screen)")
        // Ctrl-C at the question is a no, at once, and stops the statement.
        repl.type("encore.deactivate_user(1003)\n")
        #expect(await repl.waitForPrompt("all in this statement] ", after: "encore.deactivate_user(1003)"), "\(repl.screen)")
        repl.type("\u{03}")
        #expect(await repl.waitForPrompt("roster> ", after: "encore.deactivate_user id=1003"), "\(repl.screen)")
        repl.type("=encore.get_user(1001).is_active\n")
        #expect(await repl.waitFor("true"), "\(repl.screen)")
        repl.type("for _, id in ipairs({1001, 1002}) do encore.deactivate_user(id) end\n")
        #expect(await repl.waitForPrompt("all in this statement] ", after: "do encore.deactivate_user(id) end"), "\(repl.screen)")
        // Typed ahead with the answer: the next statement is not lost.
        repl.type("a\n=encore.get_user(1001).is_active or encore.get_user(1002).is_active\n")
        #expect(await repl.waitFor("false"), "\(repl.screen)")
        #expect(!repl.screen.contains("Send encore.deactivate_user id=1002"), "one question for the statement: \(repl.screen)")
        repl.type(":quit\n")
        #expect(await repl.exitStatus() == 0)

        let confirmed = try TerminalSession(["repl", "--yes"], in: folder, environment: ["XDG_STATE_HOME": folder.path])
        #expect(await confirmed.waitFor("roster> "))
        confirmed.type("encore.deactivate_user(1001)\n=encore.get_user(1001).is_active\n")
        #expect(await confirmed.waitFor("false"), "\(confirmed.screen)")
        #expect(!confirmed.screen.contains("Send "), "\(confirmed.screen)")
        confirmed.type(":quit\n")
        #expect(await confirmed.exitStatus() == 0)
    }

    @Test func multiLineInputAndHelp() async throws {
        let folder = try Self.home()
        defer { try? FileManager.default.removeItem(at: folder) }
        let repl = try TerminalSession(["repl"], in: folder, environment: ["XDG_STATE_HOME": folder.path])
        #expect(await repl.waitFor("roster> "))
        repl.type("for i = 1, 2 do\n")
        #expect(await repl.waitFor("   ...> "), "\(repl.screen)")
        repl.type("print(i * 111)\n")
        repl.type("end\n")
        #expect(await repl.waitFor("222"), "\(repl.screen)")
        #expect(repl.screen.contains("111"))
        repl.type("help(encore.get_user)\n")
        #expect(await repl.waitFor("encore.get_user(id, options?) -> EncoreUser"), "\(repl.screen)")
        repl.type(":quit\n")
        #expect(await repl.exitStatus() == 0)
    }

    @Test func historySurvivesToTheNextSession() async throws {
        let folder = try Self.home()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try TerminalSession(["repl"], in: folder, environment: ["XDG_STATE_HOME": folder.path])
        #expect(await first.waitFor("roster> "))
        first.type("history_marker = 6 * 7\n")
        first.type(":quit\n")
        #expect(await first.exitStatus() == 0)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("roster/history").path))

        let second = try TerminalSession(["repl"], in: folder, environment: ["XDG_STATE_HOME": folder.path])
        #expect(await second.waitFor("roster> "))
        second.type("\u{1b}[A") // up: the previous session's last entries
        second.type("\u{1b}[A")
        #expect(await second.waitFor("history_marker = 6 * 7"), "\(second.screen)")
        second.type("\n=history_marker\n")
        #expect(await second.waitFor("42"), "\(second.screen)")
        second.type(":quit\n")
        #expect(await second.exitStatus() == 0)
    }

    /// A password passed to a vendor is never written to the history: typed in the call, or
    /// assigned to a variable in an earlier entry, it is kept as `<redacted>`; entries keep
    /// their order across sessions when a later secret makes the history be written again.
    @Test func aPasswordIsNeverKeptInTheHistory() async throws {
        let folder = try Self.home()
        defer { try? FileManager.default.removeItem(at: folder) }
        let history = folder.appendingPathComponent("roster/history")
        func session(_ lines: [String], then check: ((TerminalSession) async -> Void)? = nil) async throws {
            let repl = try TerminalSession(["repl"], in: folder, environment: ["XDG_STATE_HOME": folder.path])
            #expect(await repl.waitFor("roster> "), "\(repl.screen)")
            for line in lines {
                repl.type(line + "\n")
                #expect(await repl.waitForPrompt("roster> ", after: line), "\(repl.screen)")
            }
            await check?(repl)
            repl.type(":quit\n")
            #expect(await repl.exitStatus() == 0, "\(repl.screen)")
        }
        try await session([
            #"pw = "Hunter2-first""#,
            #"encore.update_user(1002, {password = pw})"#,
            #"encore.update_user(1001, {password = "Typed-second-9"})"#,
        ])
        var kept = try String(contentsOf: history, encoding: .utf8)
        #expect(!kept.contains("Hunter2-first") && !kept.contains("Typed-second-9"), "\(kept)")
        #expect(kept.contains("redacted") && kept.contains("1002"), "\(kept)")
        try await session([#"later = "Third-secret-77""#, #"encore.update_user(1003, {password = later})"#, "marker = 1"])
        kept = try String(contentsOf: history, encoding: .utf8)
        #expect(!kept.contains("Third-secret-77") && kept.contains("1002") && kept.contains("marker"), "\(kept)")
        // Written again whole, the history is still oldest first: up twice is the entry
        // before the last :quit.
        try await session([]) { repl in
            repl.type("\u{1b}[A")
            repl.type("\u{1b}[A")
            #expect(await repl.waitFor("marker = 1"), "\(repl.screen)")
            repl.type("\u{15}") // the line cleared
        }
    }

    @Test func ctrlCStopsAnEndlessLoopAndThePromptComesBack() async throws {
        let folder = try Self.home()
        defer { try? FileManager.default.removeItem(at: folder) }
        let repl = try TerminalSession(["repl"], in: folder, environment: ["XDG_STATE_HOME": folder.path])
        #expect(await repl.waitFor("roster> "))
        // Ctrl-C once the loop runs (its first line printed), not after a pause a loaded
        // machine could outlast before the statement starts.
        repl.type("n = 0 print('looping') while true do n = n + 1 end\n")
        #expect(await repl.waitFor("looping\r\n"), "\(repl.screen)")
        repl.type("\u{03}")
        #expect(await repl.waitFor("interrupted"), "\(repl.screen)")
        repl.type("=n > 0\n")
        #expect(await repl.waitFor("true"), "\(repl.screen)")
        #expect(await repl.waitForPrompt("roster> ", after: "true"))
        repl.type(":quit\n")
        #expect(await repl.exitStatus() == 0)
    }
}
