/// EachTests.swift: runs row by row (`roster run SCRIPT --each FILE.csv`) with the built
/// binary against an emulator in its own process: a line per row, the failed rows as a
/// file, results as data, a resume that finishes only the rows that failed, the progress
/// line on a terminal.
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite struct EachTests {
    /// Creates the row's person in Encore and Activeconnect.
    static let script = """
        local id = encore.create_user({user_name = row.username, first_name = row.first_name, last_name = row.last_name,
          email = row.email, role_id = 3, license_type = 1, password = "Welcome-123456!"})
        activeconnect.add_users({row.email})
        """

    /// 50 people; rows 19 and 34 (lines) take user names the emulator already has.
    static func people(fixed: Bool = false) -> String {
        var csv = "email,first_name,last_name,username\n"
        for index in 0..<50 {
            let taken = [17: "ada", 32: "grace"][index]
            let username = fixed || taken == nil ? "each\(index)" : taken!
            csv += "e\(index)@example.com,First\(index),Last\(index),\(username)\n"
        }
        return csv
    }

    @Test func fiftyRowsTwoBadThenResumedAfterTheFix() async throws {
        let folder = try RosterProcess.scriptFolder(["each.lua": Self.script, "people.csv": Self.people()])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let first = try await RosterProcess.run(["run", "each.lua", "--each", "people.csv", "--config", "roster.toml", "--yes",
                                                 "--failed-rows", "failed.csv"], in: folder, environment: environment)
        #expect(first.status == 1, "\(first.stderr)")
        let lines = first.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasSuffix(": ok, 2 changes") }.count == 48, "\(first.stdout)")
        let failed = lines.filter { $0.contains(": FAILED ") }.sorted()
        #expect(failed == [
            "row 19 e17@example.com: FAILED encore.create_user: HTTP 400 (code 115): UserName already exists",
            "row 34 e32@example.com: FAILED encore.create_user: HTTP 400 (code 115): UserName already exists",
        ], "\(first.stdout)")
        #expect(first.diagnostics.contains("roster: 48 rows ok, 2 failed (rows 19, 34); 96 changes"), "\(first.stderr)")
        #expect(first.stderr.contains("to finish it: roster resume 1"), "\(first.stderr)")
        let failedRows = try String(contentsOf: folder.appendingPathComponent("failed.csv"), encoding: .utf8)
        #expect(failedRows == """
            email,first_name,last_name,username,error
            e17@example.com,First17,Last17,ada,encore.create_user: HTTP 400 (code 115): UserName already exists
            e32@example.com,First32,Last32,grace,encore.create_user: HTTP 400 (code 115): UserName already exists

            """)

        let journaled = try await JournalTests.show(1, in: folder)["rows"] as? [[String: Any]] ?? []
        #expect(journaled.count == 50)
        #expect(journaled.filter { $0["outcome"] as? String == "failed" }.compactMap { $0["row"] as? Int } == [19, 34])

        // Fixed in place, the two rows are all a resume runs.
        try Self.people(fixed: true).write(to: folder.appendingPathComponent("people.csv"), atomically: true, encoding: .utf8)
        let resumed = try await RosterProcess.run(["resume", "1", "--output", "jsonl"], in: folder, environment: environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let results = resumed.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(results.count == 50)
        #expect(results.filter { $0["outcome"] as? String == "ok" }.compactMap { $0["row"] as? Int }.sorted() == [19, 34])
        #expect(results.filter { $0["outcome"] as? String == "done earlier" }.count == 48)
        #expect(resumed.stderr.contains("48 rows done by an earlier attempt; running the other 2"), "\(resumed.stderr)")

        let names = try await emulator.encoreUserNames()
        for index in 0..<50 { #expect(names.filter { $0 == "each\(index)" }.count == 1, "each\(index)") }
        let stats = try await emulator.stats()
        // 50 creates, 2 refused, 2 sent again after the fix; the 50 Activeconnect adds, some
        // of them made together, in as many requests or fewer.
        #expect(stats["encore"]?["requests"] == 52, "\(stats)")
        #expect((1...50).contains(stats["activeconnect"]?["requests"] ?? 0), "\(stats)")
        let applications = try await emulator.state()["activeconnect"] as? [String: [String: Any]] ?? [:]
        let users = Set(applications["DEMOAPP"]?.keys.map { $0 } ?? [])
        #expect((0..<50).allSatisfy { users.contains("e\($0)@example.com") }, "\(users.sorted())")
    }

    /// Rehearsed rows that plan no change are not run again: their rehearsal was the row, its
    /// output shown then, its outcome journaled, a failing one failing once. Each execution
    /// reads a user named by `os.clock()`, which no rehearsal's read answers again; the row
    /// that changes something runs for real after its rehearsal.
    @Test func aRowWhoseRehearsalChangedNothingRunsOnce() async throws {
        let script = """
            pcall(encore.get_user, 900000 + math.floor(os.clock() * 1e6))
            print("read " .. row.name)
            if row.name == "bad" then error("bad row") end
            if row.name == "change" then encore.deactivate_user(1002) end
            """
        let folder = try RosterProcess.scriptFolder(["rows.lua": script, "rows.csv": "name\nada\nbad\ngrace\nchange\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        // --max-changes: rehearsed (as without --yes), and nothing to confirm.
        let result = try await RosterProcess.run(["run", "rows.lua", "--each", "rows.csv", "--config", "roster.toml", "--parallel", "1",
                                                  "--yes", "--max-changes", "5"], in: folder, environment: environment)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout == """
            read ada
            row 2 ada: ok, 0 changes
            read bad
            row 3 bad: FAILED rows.lua:3: bad row
            read grace
            row 4 grace: ok, 0 changes
            read change
            row 5 change: ok, 1 change

            """, "\(result.stdout)")
        #expect(result.diagnostics.contains("roster: 3 rows ok, 1 failed (row 3); 1 change"), "\(result.stderr)")
        // Four rehearsed reads, one more read and the deactivation by the row that changes something.
        let stats = try await emulator.stats()
        #expect(stats["encore"]?["requests"] == 6, "\(stats)")
        let run = try await JournalTests.show(1, in: folder)
        let journaled = run["rows"] as? [[String: Any]] ?? []
        #expect(journaled.compactMap { $0["outcome"] as? String } == ["succeeded", "failed", "succeeded", "succeeded"], "\(journaled)")
        // One read a row, the rehearsed rows' made by their rehearsals.
        #expect((run["run"] as? [String: Any])?["reads"] as? Int == 4, "\(run)")
    }

    /// A row that changed after it succeeded is refused by a resume; so is a bad CSV, with
    /// its line.
    @Test func aResumeRefusesARowChangedAfterItSucceeded() async throws {
        let csv = "email,first_name,last_name,username\na@example.com,A,A,ada\nb@example.com,B,B,eachb\n"
        let folder = try RosterProcess.scriptFolder(["each.lua": Self.script, "people.csv": csv, "bad.csv": "email,email\nx,y\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let first = try await RosterProcess.run(["run", "each.lua", "--each", "people.csv", "--config", "roster.toml"], in: folder, environment: environment)
        #expect(first.status == 1)
        try "email,first_name,last_name,username\na@example.com,A,A,eacha\nb@example.com,B,B,eachb2\n"
            .write(to: folder.appendingPathComponent("people.csv"), atomically: true, encoding: .utf8)
        let refused = try await RosterProcess.run(["resume", "1"], in: folder, environment: environment)
        #expect(refused.status == 2)
        #expect(refused.diagnostics.hasPrefix("roster: row 3 of people.csv changed since it succeeded in run 1; resume runs only the rows that failed or never finished: put it back, or run the changed rows as a new run\n"), "\(refused.stderr)")

        let bad = try await RosterProcess.run(["run", "each.lua", "--each", "bad.csv", "--config", "roster.toml"], in: folder, environment: environment)
        #expect(bad.status == 2)
        #expect(bad.diagnostics.hasPrefix("roster: --each bad.csv: line 1: the column 'email' is named twice\n"), "\(bad.stderr)")
        let misplaced = try await RosterProcess.run(["run", "each.lua", "--failed-rows", "x.csv"], in: folder, environment: environment)
        #expect(misplaced.status == 2)
        #expect(misplaced.stderr.contains("--failed-rows applies only with --each FILE.csv"), "\(misplaced.stderr)")
        // Given at its default value it is still given where it means nothing.
        let pacedAlone = try await RosterProcess.run(["run", "each.lua", "--parallel", "4"], in: folder, environment: environment)
        #expect(pacedAlone.status == 2)
        #expect(pacedAlone.stderr.contains("--parallel applies only with --each FILE.csv"), "\(pacedAlone.stderr)")
    }

    /// What a row's script returns is its `result` in `--output`: the id a row created, say,
    /// for the next tool; a table as JSON in a CSV cell; nothing for a failed row.
    @Test func whatARowReturnsIsItsResult() async throws {
        let script = """
            if row.name == "bad" then error("no such person") end
            if row.name == "none" then return end
            if row.name == "text" then return "plain, with a comma" end
            return {name = row.name, length = #row.name, tags = {"a", "b"}}
            """
        let folder = try RosterProcess.scriptFolder(["rows.lua": script, "rows.csv": "name\nada\nbad\nnone\ntext\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let jsonl = try await RosterProcess.run(["run", "rows.lua", "--each", "rows.csv", "--parallel", "1", "--output", "jsonl"],
                                                in: folder, environment: JournalTests.journal(folder))
        #expect(jsonl.status == 1)
        let results = jsonl.stdout.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["result"] as Any
        }
        #expect(results.count == 4, "\(jsonl.stdout)")
        let first = results.first as? [String: Any]
        #expect(first?["name"] as? String == "ada" && first?["length"] as? Int == 3 && first?["tags"] as? [String] == ["a", "b"], "\(jsonl.stdout)")
        #expect(results.dropFirst().prefix(2).allSatisfy { $0 is NSNull }, "a failed row and one returning nothing: \(jsonl.stdout)")
        #expect(results.last as? String == "plain, with a comma")

        let csv = try await RosterProcess.run(["run", "rows.lua", "--each", "rows.csv", "--parallel", "1", "--output", "csv"],
                                              in: folder, environment: JournalTests.journal(folder))
        #expect(csv.stdout == """
            row,key,outcome,changes,error,result
            2,ada,ok,0,,"{""length"":3,""name"":""ada"",""tags"":[""a"",""b""]}"
            3,bad,failed,0,rows.lua:1: no such person,
            4,none,ok,0,,
            5,text,ok,0,,"plain, with a comma"

            """)
    }

    /// `--output csv` is a report: a cell a spreadsheet would run as a formula (a name from
    /// the input, a script's result) gets a leading `'`. `--failed-rows` is read back by the
    /// next run: its values stay exactly as they were.
    @Test func aCSVReportRunsNoFormula() async throws {
        let script = """
            if row.name:sub(1, 1) == "@" then error("no such person") end
            return row.name == "-5" and -5 or "+" .. row.name
            """
        let folder = try RosterProcess.scriptFolder(["rows.lua": script, "rows.csv": "name\n\"=HYPERLINK(\"\"x\"\")\"\n-5\n@bad\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = try await RosterProcess.run(["run", "rows.lua", "--each", "rows.csv", "--parallel", "1", "--output", "csv", "--failed-rows", "failed.csv"],
                                              in: folder, environment: JournalTests.journal(folder))
        #expect(csv.status == 1, "\(csv.stderr)")
        #expect(csv.stdout == """
            row,key,outcome,changes,error,result
            2,"'=HYPERLINK(""x"")",ok,0,,"'+=HYPERLINK(""x"")"
            3,-5,ok,0,,-5
            4,'@bad,failed,0,rows.lua:1: no such person,

            """)
        let failed = try String(contentsOf: folder.appendingPathComponent("failed.csv"), encoding: .utf8)
        #expect(failed == "name,error\n@bad,rows.lua:1: no such person\n")
    }

    /// A vendor that refuses the credentials, or cannot be reached, fails every row the same
    /// way: three rows in a row failing so stop the run from starting more (a host that drops
    /// packets cost each row 20 s), and a resume once it is fixed runs the rest. Rows failing
    /// so between rows that succeed do not stop it.
    @Test func aVendorDownForEveryRowStopsStartingRows() async throws {
        let folder = try RosterProcess.scriptFolder(["each.lua": Self.script, "people.csv": Self.people(fixed: true)])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let keyFile = folder.appendingPathComponent("secrets/encore.key")
        let key = try String(contentsOf: keyFile, encoding: .utf8)
        try "not-the-key\n".write(to: keyFile, atomically: false, encoding: .utf8)
        let refused = try await RosterProcess.run(["run", "each.lua", "--each", "people.csv", "--config", "roster.toml", "--parallel", "2", "--yes"],
                                                  in: folder, environment: environment)
        #expect(refused.status == 1, "\(refused.stderr)")
        let failed = refused.stdout.split(separator: "\n").filter { $0.contains(": FAILED encore.create_user: HTTP 401") }.count
        #expect((3...4).contains(failed), "\(refused.stdout)")
        #expect(refused.diagnostics.contains("roster: started no more rows: 3 rows in a row had the credentials refused by encore (HTTP 401)\n"),
                "\(refused.stderr)")
        #expect(refused.diagnostics.contains("\(50 - failed) not run"), "\(refused.stderr)")
        #expect(try await emulator.encoreUserNames().filter { $0.hasPrefix("each") }.isEmpty)

        // The key fixed, the resume runs every row not done.
        try key.write(to: keyFile, atomically: false, encoding: .utf8)
        let resumed = try await RosterProcess.run(["resume", "1", "--yes"], in: folder, environment: environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.diagnostics.contains("roster: 50 rows ok; 100 changes"), "\(resumed.stderr)")
        #expect(try await emulator.encoreUserNames().filter { $0.hasPrefix("each") }.count == 50)

        // A host that takes no connection.
        let config = folder.appendingPathComponent("roster.toml")
        let text = try String(contentsOf: config, encoding: .utf8)
        try text.replacingOccurrences(of: emulator.origin + "/encore", with: "http://127.0.0.1:1/encore").write(to: config, atomically: true, encoding: .utf8)
        let down = try await RosterProcess.run(["run", "each.lua", "--each", "people.csv", "--config", "roster.toml", "--parallel", "2", "--yes"],
                                               in: folder, environment: environment)
        #expect(down.status == 1, "\(down.stderr)")
        #expect(down.diagnostics.contains("roster: started no more rows: 3 rows in a row could not reach encore "
                                          + "(could not connect to 127.0.0.1:1 (connection refused)): it looks down\n"), "\(down.stderr)")

        // Failing so between rows that succeed: every row runs.
        let alternating = "reach\n" + String(repeating: "no\nyes\n", count: 4)
        try alternating.write(to: folder.appendingPathComponent("alternating.csv"), atomically: true, encoding: .utf8)
        try "if row.reach == 'no' then encore.get_user(1001) end".write(to: folder.appendingPathComponent("some.lua"), atomically: true, encoding: .utf8)
        let some = try await RosterProcess.run(["run", "some.lua", "--each", "alternating.csv", "--config", "roster.toml", "--parallel", "1", "--yes"],
                                               in: folder, environment: environment)
        #expect(some.status == 1, "\(some.stderr)")
        #expect(some.diagnostics.contains("roster: 4 rows ok, 4 failed (rows 2, 4, 6, 8); 0 changes"), "\(some.stderr)")
        #expect(!some.diagnostics.contains("started no more rows"), "\(some.stderr)")
    }

    /// `--max-failures` starts no new row once reached; `--output csv` gives every row.
    @Test func maxFailuresStopsStartingRows() async throws {
        var csv = "username,email,first_name,last_name\n"
        for index in 0..<12 { csv += "ada,m\(index)@example.com,M,M\n" }
        let folder = try RosterProcess.scriptFolder(["each.lua": Self.script, "people.csv": csv])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let result = try await RosterProcess.run(["run", "each.lua", "--each", "people.csv", "--config", "roster.toml", "--parallel", "2", "--yes",
                                                  "--max-failures", "3", "--output", "csv"], in: folder, environment: JournalTests.journal(folder))
        #expect(result.status == 1)
        let rows = result.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.count == 12)
        let failed = rows.filter { $0[2] == "failed" }.count
        #expect((3...4).contains(failed), "\(result.stdout)")
        #expect(rows.filter { $0[2] == "not run" }.count == 12 - failed)
        #expect(rows.first?[1] == "ada", "the key is the first column")
        #expect(result.diagnostics.contains("roster: started no more rows: --max-failures 3 reached\n"), "\(result.stderr)")
    }

    /// On a terminal a long run shows its progress: rows done of total, rate and ETA, and
    /// names the tenant and configuration before its first change.
    @Test func aTerminalShowsProgressWithAnETA() async throws {
        var csv = "email,first_name,last_name,username\n"
        for index in 0..<24 { csv += "t\(index)@example.com,T,T,tty\(index)\n" }
        let folder = try RosterProcess.scriptFolder(["each.lua": Self.script, "people.csv": csv])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "latency=150ms")
        defer { emulator.stop() }
        let session = try TerminalSession(["run", "each.lua", "--each", "people.csv", "--config", "roster.toml", "--parallel", "2", "--yes"],
                                          in: folder, environment: JournalTests.journal(folder))
        #expect(await session.waitFor("roster: acting on tenant 'demo' ("), "\(session.screen)")
        #expect(await session.waitFor("ETA "), "\(session.screen)")
        #expect(await session.waitFor("roster: 24 rows ok; 48 changes", seconds: 60), "\(session.screen)")
        let progress = session.screen.components(separatedBy: "\r\u{1B}[K").filter { $0.hasPrefix("rows ") }
        #expect(progress.contains { $0.contains("/24 · ") && $0.contains(" rows/s · ETA ") }, "\(progress)")
    }

    /// Rows creating Active911 members at the same moment share bulk requests; each row
    /// gets its own member, and each change is journaled on its own.
    @Test func rowsCreatingMembersTogetherShareBulkRequests() async throws {
        var csv = "email,name\n"
        for index in 0..<30 { csv += "b\(index)@example.com,Member \(index)\n" }
        let script = """
            local member = active911.create_member(nil, {name = row.name, email = row.email})
            assert(member.email == row.email, "got someone else's member: " .. tostring(member.email))
            print(row.email .. " " .. member.id)
            """
        let folder = try RosterProcess.scriptFolder(["members.lua": script, "people.csv": csv])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "latency=40ms")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        let result = try await RosterProcess.run(["run", "members.lua", "--each", "people.csv", "--config", "roster.toml", "--parallel", "30", "--yes"],
                                                 in: folder, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let ids = result.stdout.split(separator: "\n").filter { $0.contains("@example.com ") }.map { $0.split(separator: " ")[1] }
        #expect(Set(ids).count == 30, "\(result.stdout)")
        let requests = try await emulator.stats()["active911"]?["requests"] ?? 0
        #expect(requests <= 6, "30 creates in \(requests) requests")
        let changes = try await JournalTests.show(1, in: folder)["changes"] as? [[String: Any]] ?? []
        #expect(changes.filter { $0["operation"] as? String == "create_member" && $0["state"] as? String == "succeeded" }.count == 30)
    }

    /// A row run killed (SIGKILL, or stopped with SIGINT) in the middle, then resumed: every
    /// row's person is created exactly once, and the resume runs only the rows not done.
    @Test(arguments: [SIGKILL, SIGINT])
    func aRowRunInterruptedThenResumedCreatesEveryoneOnce(signal: Int32) async throws {
        var csv = "email,first_name,last_name,username\n"
        for index in 0..<60 { csv += "k\(index)@example.com,K,K,kill\(index)\n" }
        let folder = try RosterProcess.scriptFolder(["each.lua": Self.script, "people.csv": csv])
        defer { try? FileManager.default.removeItem(at: folder) }
        // Slow enough that the run is still going when a loaded machine's shell gets to
        // signal it (at 150 ms, a full suite's load once let all 60 rows finish first).
        let emulator = try await EmulatorProcess.start(in: folder, faults: "latency=400ms")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        // A shell signals the run once four rows have ended, whatever the test process is
        // busy with: the timing does not depend on this process's threads. (It gives up
        // after 30 s: a run that ended first is a zombie, which `kill -0` still finds.)
        let name = signal == SIGKILL ? "KILL" : "INT"
        // `out.txt` is made before the run starts: the background job opens it a moment later,
        // and a count of a missing file (empty, not 0) once ended the wait before any row ran.
        let shell = """
            : > out.txt
            "$ROSTER" run each.lua --each people.csv --config roster.toml --yes >> out.txt 2> err.txt &
            pid=$!
            tries=0
            rows() { grep -c '^row ' out.txt 2>/dev/null || true; }
            while [ "$(rows)" -lt 4 ] && kill -0 $pid 2>/dev/null && [ $tries -lt 600 ]; do
              tries=$((tries + 1)); sleep 0.05
            done
            kill -s \(name) $pid
            wait $pid
            echo $? > status.txt
            """
        _ = try await RosterProcess.run(["-c", shell], executable: URL(fileURLWithPath: "/bin/sh"), in: folder,
                                        environment: environment.merging(["ROSTER": RosterProcess.binary.path]) { $1 })
        let status = try String(contentsOf: folder.appendingPathComponent("status.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let errors = (try? String(contentsOf: folder.appendingPathComponent("err.txt"), encoding: .utf8)) ?? ""
        #expect(status == (signal == SIGINT ? "130" : "137"), "\(status): \(errors)")
        let before = try await emulator.encoreUserNames().filter { $0.hasPrefix("kill") }.count
        #expect(before > 0 && before < 60, "\(before) created before the interruption")

        let resumed = try await RosterProcess.run(["resume", "1"], in: folder, environment: environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("done by an earlier attempt; running the other"), "\(resumed.stdout)")
        let names = try await emulator.encoreUserNames()
        for index in 0..<60 { #expect(names.filter { $0 == "kill\(index)" }.count == 1, "kill\(index)") }
        // The journal says so too: each change succeeded once; a row done is never left with a
        // change whose outcome was not stored (a resume would not look at it again).
        let changes = try await JournalTests.show(1, in: folder)["changes"] as? [[String: Any]] ?? []
        var succeeded: [String: Int] = [:]
        for change in changes where change["state"] as? String == "succeeded" { succeeded["\(change["key"]!)", default: 0] += 1 }
        #expect(succeeded.count == 120 && succeeded.values.allSatisfy { $0 == 1 }, "\(succeeded.count) changes succeeded")
    }

    /// Rows and an input read from a pipe (`--each <(grep …)`, `… | roster run s.lua --input
    /// /dev/stdin`) cannot be read again: the journal keeps them, so that the run resumes
    /// and its plan applies. `runs show` does not print what it kept of an input.
    @Test func rowsAndInputsFromAPipeAreKeptForAResumeAndAnApply() async throws {
        let folder = try RosterProcess.scriptFolder([
            // Sets the row's user's phone, if the user is active.
            "rows.lua": """
                local id = tonumber(row.id)
                if not encore.get_user(id).is_active then error("user " .. id .. " is not active") end
                encore.update_user(id, {phone = args.phone})
                """,
            // Sets user 1002's phone to the input's, then needs user 1003 active.
            "input.lua": """
                encore.update_user(1002, {phone = (inputs[1]:gsub("%s", ""))})
                if not encore.get_user(1003).is_active then error("user 1003 is not active") end
                """,
            "activate.lua": "encore.activate_user(1003)",
            "phone.lua": "print(encore.get_user(tonumber(args.id)).phone)",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        func run(_ arguments: [String], input: String? = nil) async throws -> ProcessResult {
            // `apply` reads its configuration from the plan.
            try await RosterProcess.run(arguments + (arguments[0] == "apply" ? [] : ["--config", "roster.toml"]), in: folder,
                                        environment: environment, input: input)
        }
        func phone(_ id: Int) async throws -> String {
            try await run(["run", "phone.lua", "--arg", "id=\(id)"]).stdout.trimmingCharacters(in: .newlines)
        }

        // User 1003 is not active yet: its row fails, as does the input's run.
        let rows = try await run(["run", "rows.lua", "--each", "/dev/stdin", "--arg", "phone=5550111", "--yes"], input: "id\n1001\n1003\n")
        #expect(rows.status == 1, "\(rows.stderr)")
        #expect(rows.stdout.contains("row 3 1003: FAILED rows.lua:2: user 1003 is not active"), "\(rows.stdout)")
        let input = try await run(["run", "input.lua", "--input", "/dev/stdin", "--yes"], input: "555 0222\n")
        #expect(input.status == 1, "\(input.stderr)")
        #expect(try await phone(1002) == "5550222")
        let shown = try await JournalTests.show(2, in: folder)
        let inputs = (shown["run"] as? [String: Any])?["inputs"] as? [[String: Any]] ?? []
        #expect(inputs.count == 1 && inputs[0]["contents"] == nil, "\(inputs)")

        #expect(try await run(["run", "activate.lua", "--yes"]).status == 0)
        let resumedRows = try await run(["resume", "1"])
        #expect(resumedRows.status == 0, "\(resumedRows.stderr)")
        #expect(resumedRows.stdout.contains("row 3 1003: ok, 1 change"), "\(resumedRows.stdout)")
        #expect(try await phone(1003) == "5550111")
        let resumedInput = try await run(["resume", "2"])
        #expect(resumedInput.status == 0, "\(resumedInput.stderr)")

        // A plan made from piped rows applies: its rows travel with it.
        let planned = try await run(["run", "rows.lua", "--each", "/dev/stdin", "--arg", "phone=5550333", "--dry-run", "--plan-out", "plan.json"],
                                    input: "id\n1003\n")
        #expect(planned.status == 0, "\(planned.stderr)")
        let applied = try await run(["apply", "plan.json", "--yes"])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(try await phone(1003) == "5550333")
    }
}
