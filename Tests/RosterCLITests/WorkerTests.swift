/// WorkerTests.swift: runs queued with `roster submit` and run by `roster worker` processes —
/// three workers over one PostgreSQL journal, one killed with SIGKILL mid-run: every run ends,
/// the vendors end as the same runs done one by one leave them, every change is journaled
/// once, and the shared rate budget keeps Active911 from refusing any request. Also, on
/// SQLite: metrics, --wait, a clean stop on SIGTERM, and schedules queued once per tick.
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
        // Killed while it holds runs, mid-way through them.
        func heldByW1() async throws -> [Int] {
            let listed = try await RosterProcess.run(["workers", "--json", "--lease", "3"], in: folder, environment: environment)
            let report = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any]
            let w1 = (report?["workers"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "w1" }
            return w1?["runs"] as? [Int] ?? []
        }
        var polls = 0
        while try await heldByW1().isEmpty, polls < 300 {
            polls += 1
            try await Task.sleep(for: .milliseconds(50))
        }
        workers[0].send(SIGKILL)
        // What it held then (its heartbeat is still fresh): each must be resumed by another.
        let held = try await heldByW1()
        #expect(!held.isEmpty, "w1 held no run when it was killed")
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
        let others = workers.dropFirst().map(\.errorText).joined()
        for run in held {
            #expect(others.contains("run \(run) started (claim 2: resumed from the journal)"), "run \(run), held by w1, was not claimed again: \(others)")
        }

        // Every change journaled once: per run, each change (key and occurrence) succeeded once.
        var changesPerRun: [Int: Int] = [:]
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
            changesPerRun[run] = succeeded.count
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
            #expect(succeeded.count == changesPerRun[index + 1], "run \(index + 1): \(succeeded.count) changes alone, \(changesPerRun[index + 1] ?? 0) by the workers")
        }
        let one = try await alone.state()
        let (together, apart) = (Self.text(Self.comparable(shared)), Self.text(Self.comparable(one)))
        #expect(together.contains("w127@example.com"), "the people onboarded are compared")
        #expect(together == apart)
    }
}
