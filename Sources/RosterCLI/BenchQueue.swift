/// BenchQueue.swift: `roster bench --queue [--postgres URL]` — the run queue and the journal
/// on PostgreSQL against SQLite in one run (claims per second, journal writes per second),
/// and runs per second drained by 1, 2 and 3 worker processes from one queue.
import ArgumentParser
import ChildProcesses
import Emulator
import Engine
import Foundation
import Journal

extension BenchCommand {
    /// What the stores and the workers were measured at.
    struct QueueFigures: Encodable {
        var sqlite_claims_per_second: Double
        var sqlite_journal_writes_per_second: Double
        var postgres_claims_per_second: Double?
        var postgres_journal_writes_per_second: Double?
        /// PostgreSQL's rate over SQLite's.
        var claims_ratio: Double?
        var journal_writes_ratio: Double?
        /// Runs drained per second, by the number of workers (each `--concurrency 2`).
        var runs_per_second_by_workers: [String: Double]
        var runs_per_second_store: String
    }

    func benchmarkQueue() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-bench-queue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlitePath = folder.appendingPathComponent("journal.sqlite").path
        let sqlite = try SQLiteJournalStore.open(path: sqlitePath)
        let postgres = try postgresURL.map { try PostgresJournalStore.open(url: $0, password: nil, logFolder: folder.appendingPathComponent("logs").path) }

        let claims = 400, writes = 2_000
        let sqliteClaims = try Self.claimsPerSecond(sqlite, runs: claims)
        let sqliteWrites = try Self.writesPerSecond(sqlite, changes: writes)
        let postgresClaims = try postgres.map { try Self.claimsPerSecond($0, runs: claims) }
        let postgresWrites = try postgres.map { try Self.writesPerSecond($0, changes: writes) }

        // Workers: real `roster worker` processes against the in-process emulator.
        let emulator = try await Emulator.start(VendorRegistry.standard.emulatorConfiguration())
        let config = folder.appendingPathComponent("roster.toml").path
        try DemoConfiguration().write(to: config, origin: emulator.origin, replacing: true)
        let script = folder.appendingPathComponent("review.lua").path
        try "local users = encore.list_users() encore.get_user(users[1].user_id) print(#users)".write(toFile: script, atomically: true, encoding: .utf8)
        var byWorkers: [String: Double] = [:]
        let store: JournalStore = postgres ?? sqlite
        let location = postgresURL ?? sqlitePath
        for workers in 1...3 {
            byWorkers[String(workers)] = try await Self.runsPerSecond(store: store, location: location, workers: workers, runs: 24,
                                                                     script: script, config: config, folder: folder)
        }
        await emulator.stop()

        let figures = QueueFigures(
            sqlite_claims_per_second: sqliteClaims, sqlite_journal_writes_per_second: sqliteWrites,
            postgres_claims_per_second: postgresClaims, postgres_journal_writes_per_second: postgresWrites,
            claims_ratio: postgresClaims.map { $0 / sqliteClaims }, journal_writes_ratio: postgresWrites.map { $0 / sqliteWrites },
            runs_per_second_by_workers: byWorkers, runs_per_second_store: postgres == nil ? "sqlite" : "postgres")
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
            return
        }
        print(String(format: "queue claims: %.0f/s on SQLite", sqliteClaims)
              + (postgresClaims.map { String(format: ", %.0f/s on PostgreSQL (ratio %.2f)", $0, $0 / sqliteClaims) } ?? " (PostgreSQL: give --postgres URL)"))
        print(String(format: "journal writes, one commit each: %.0f/s on SQLite", sqliteWrites)
              + (postgresWrites.map { String(format: ", %.0f/s on PostgreSQL (ratio %.2f)", $0, $0 / sqliteWrites) } ?? ""))
        print("runs drained per second (\(figures.runs_per_second_store), each worker --concurrency 2, 24 runs of 2 Encore calls): "
              + (1...3).map { String(format: "%d worker%@ %.2f", $0, $0 == 1 ? "" : "s", byWorkers[String($0)] ?? 0) }.joined(separator: ", "))
    }

    /// Queues `runs` runs, then claims and completes each, one after the other.
    static func claimsPerSecond(_ store: JournalStore, runs: Int) throws -> Double {
        let run = NewRun(kind: "run", user: "bench", host: "bench", script: "bench.lua", scriptText: "print(1)", arguments: [:], inputs: [],
                         tenant: "", configFile: nil, seed: 1, dryRun: false)
        for _ in 0..<runs { _ = try store.submit(run, files: QueuedFiles(), notBefore: Date(), tick: nil) }
        let start = ContinuousClock.now
        var claimed = 0
        while let claim = try store.claim(worker: "bench", lease: 60) {
            try store.complete(runID: claim.runID, worker: "bench", exitCode: 0)
            claimed += 1
        }
        return Double(claimed) / (ContinuousClock.now - start).inSeconds
    }

    /// Commits `changes` journal rows, each on its own (as a shared store takes a change
    /// before it is sent), with the previous change's outcome.
    static func writesPerSecond(_ store: JournalStore, changes: Int) throws -> Double {
        let run = try store.startRun(NewRun(kind: "run", user: "bench", host: "bench", script: "bench.lua", scriptText: "", arguments: [:],
                                            inputs: [], tenant: "", configFile: nil, seed: 1, dryRun: false))
        let change = NewChange(vendor: "encore", operation: "create_user", effect: "write", key: "encore.create_user {fields.user_name=\"x\"}",
                               occurrence: 0, arguments: String(repeating: "x", count: 250))
        let start = ContinuousClock.now
        for index in 1...changes {
            var group: [JournalOperation] = []
            if index > 1 {
                group.append(.finish(ChangeReference(runID: run, attempt: 1, sequence: index - 1), state: .succeeded, already: false,
                                     result: "1", error: nil, notApplied: false, at: Date()))
            }
            group.append(.insert(change, ChangeReference(runID: run, attempt: 1, sequence: index), state: .sending, replayedFrom: nil, at: Date()))
            try store.commit(group)
        }
        return Double(changes) / (ContinuousClock.now - start).inSeconds
    }

    /// Queues `runs` runs of `script` and times `workers` worker processes draining them.
    static func runsPerSecond(store: JournalStore, location: String, workers: Int, runs: Int, script: String, config: String,
                              folder: URL) async throws -> Double {
        let text = try String(contentsOfFile: script, encoding: .utf8)
        let run = NewRun(kind: "run", user: "bench", host: "bench", script: script, scriptText: text, arguments: [:], inputs: [],
                         tenant: "", configFile: nil, seed: 1, dryRun: false)
        for _ in 0..<runs { _ = try store.submit(run, files: QueuedFiles(), notBefore: Date(), tick: nil) }
        let start = ContinuousClock.now
        let null = NullDevice.shared.descriptor
        let processes = try (1...workers).map { number in
            try ChildProcess.start(Worker.executable.path, arguments: ["worker", "--name", "bench\(number)", "--concurrency", "2", "--exit-when-idle",
                                                                      "--config", config, "--journal", location],
                                   in: folder.path, output: null, error: null)
        }
        while processes.contains(where: \.isRunning) { try await Task.sleep(for: .milliseconds(20)) }
        return Double(runs) / (ContinuousClock.now - start).inSeconds
    }
}
