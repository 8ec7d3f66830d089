/// BenchCommand.swift: `roster bench`, the performance goals as ratios.
import ArgumentParser
@_spi(Benchmarks) import Bindings
import Emulator
import Engine
import Foundation
import Journal
@_spi(Benchmarks) import LuaHost
import Vendors

/// Measures the host against baselines in the same process.
struct BenchCommand: AsyncParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the Lua host against plain-C baselines (ratios; lower is better)."
    )

    @Flag(help: "Print one JSON object with the raw figures and the ratios.")
    var json = false

    @Option(name: .customLong("rounds"), parsing: .unconditional, help: "Rounds of each measurement (ratios: the median of the rounds' paired ratios); 9, 41 for --journal, 5 for --vendors.")
    var roundsGiven: Int?

    /// A journal round is short (a third of a second) and its ratio moves by a tenth
    /// between rounds on a shared machine (the middle half of 21 spanned 0.96-1.17): more
    /// rounds make the median steadier, though 41 still move a few percent from run to run.
    var rounds: Int { roundsGiven ?? (journal ? 41 : vendors ? 5 : 9) }

    @Flag(name: .customLong("calls-only"), help: "Only time Lua→Swift binding calls (for profiling).")
    var callsOnly = false

    @Flag(help: "Measure what a vendor call costs the client (Encore get_user against an emulator in its own process): calls/s and CPU through the client and from Lua, where a call's time goes, and wrk and Python aiohttp on the same emulator.")
    var vendors = false

    @Flag(help: "Measure the journal's cost: 2,000 Encore creates from Lua to the in-process emulator, journal on vs off.")
    var journal = false

    @Flag(help: "Measure runs row by row: Active911 pacing as a share of its limit, --each against one script, a 500-row onboarding against its bound.")
    var rows = false

    @Flag(help: "Measure the run queue: claims and journal writes per second on SQLite and (with --postgres) PostgreSQL, and runs per second drained by 1, 2 and 3 workers.")
    var queue = false

    @Option(name: .customLong("postgres"), help: ArgumentHelp("With --queue: a PostgreSQL database to measure (its tables are created; use a throwaway one, as Benchmarks/queue.sh does).", valueName: "URL"))
    var postgresURL: String?

    @Option(name: .customLong("vendor-latency"), parsing: .unconditional, help: ArgumentHelp("With --journal: latency the emulator adds to each call (a real vendor's is tens of ms).", valueName: "MS"))
    var vendorLatency: Int = 0

    func validate() throws {
        if let roundsGiven, roundsGiven < 1 { throw ValidationError("--rounds must be at least 1, got \(roundsGiven)") }
        guard (0...10_000).contains(vendorLatency) else { throw ValidationError("--vendor-latency must be from 0 to 10000 ms, got \(vendorLatency)") }
    }

    func run() async throws {
        if vendors {
            try await benchmarkVendors()
            return
        }
        if journal {
            try await benchmarkJournal()
            return
        }
        if rows {
            try await benchmarkRows()
            return
        }
        if queue {
            try await benchmarkQueue()
            return
        }
        if callsOnly {
            var swift = Double.infinity, c = Double.infinity
            for _ in 0..<(rounds * 4) {
                c = min(c, HostBenchmarks.bindingCall(calls: 300_000, swift: false))
                swift = min(swift, HostBenchmarks.bindingCall(calls: 300_000))
            }
            print(String(format: "binding call: %.1f ns; C function: %.1f ns; ratio %.2f", swift, c, swift / c))
            return
        }
        let report = HostBenchmarks.run(rounds: max(1, rounds))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        func line(_ name: String, _ ratio: Double, goal: Double, _ detail: String) {
            let verdict = ratio <= goal ? "ok" : "over goal"
            print("\(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(String(format: "%.3f", ratio))x  (goal <= \(goal), \(verdict))  \(detail)")
        }
        line("binding call", report.bindingCallRatio, goal: 1.5,
             String(format: "%.1f ns vs %.1f ns for a C function", report.bindingCallNanoseconds, report.cFunctionCallNanoseconds))
        line("sandbox create", report.sandboxCreateRatio, goal: 3,
             String(format: "%.1f us vs %.1f us for luaL_newstate", report.sandboxCreateMicroseconds, report.bareStateCreateMicroseconds))
        line("compute with limits", report.limitsComputeRatio, goal: 1.05,
             String(format: "%.3f s vs %.3f s bare", report.computeWithLimitsSeconds, report.computeBareSeconds))
        line("with instruction budget", report.instructionBudgetComputeRatio, goal: .infinity,
             String(format: "%.3f s (opt-in count hook)", report.computeWithInstructionBudgetSeconds))
    }
}

extension BenchCommand {
    /// 2,000 `encore.create_user` calls from a script (8 in flight) to the in-process
    /// emulator, journaled and not, alternating; the ratio is the median of the rounds'.
    func benchmarkJournal() async throws {
        let registry = VendorRegistry.standard
        let faults = try FaultSpec(parsing: vendorLatency > 0 ? "latency=\(vendorLatency)ms" : "")
        let emulator = try await Emulator.start(registry.emulatorConfiguration(faults: faults))
        let runner = VendorScriptRunner(tenant: try registry.emulatorTenant(emulator), limits: LuaLimits(memory: 256 << 20, timeout: .seconds(600)))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteJournalStore.open(path: folder.appendingPathComponent("journal.sqlite").path)
        let creates = 2_000
        var cpu = (on: 0.0, off: 0.0)
        func once(_ round: Int, journaled: Bool) async throws -> Double {
            let source = """
                local names = {}
                for i = 1, \(creates) do names[i] = "bench\(round)\(journaled ? "j" : "n")" .. i end
                parallel.map(names, function(name)
                  return encore.create_user({user_name = name, first_name = "B", last_name = "N", password = "Passw0rd!x", role_id = 3, license_type = 1})
                end, {concurrency = 8})
                """
            let journal = journaled
                ? try RunJournal.start(NewRun(kind: "run", user: "bench", host: "bench", script: "bench.lua", scriptText: source, arguments: [:],
                                              inputs: [], tenant: "emulator", configFile: nil, seed: 1, dryRun: false), in: store)
                : nil
            emulator.world.reset() // each measurement against the same 3 demo users
            let start = ContinuousClock.now, cpuStart = Self.processCPUSeconds()
            let result = await runner.run(LuaScript(name: "bench.lua", source: source), dryRun: false,
                                          output: CollectedOutput(), journal: journal)
            journal?.end(outcome: "success", exitCode: 0)
            if round > 0 {
                if journaled { cpu.on += Self.processCPUSeconds() - cpuStart } else { cpu.off += Self.processCPUSeconds() - cpuStart }
            }
            let (seconds, attoseconds) = (ContinuousClock.now - start).components
            guard result.outcome == .success else { throw ValidationError("the benchmark script failed: \(result.outcome.summary)") }
            return Double(seconds) + Double(attoseconds) / 1e18
        }
        // The store alone: one commit per change (its row, and the previous change's outcome).
        let alone = try RunJournal.start(NewRun(kind: "run", user: "bench", host: "bench", script: "store", scriptText: "", arguments: [:],
                                                inputs: [], tenant: "emulator", configFile: nil, seed: 1, dryRun: false), in: store)
        let row = NewChange(vendor: "encore", operation: "create_user", effect: "write", key: "encore.create_user {fields.user_name=\"x\"}",
                            occurrence: 0, arguments: String(repeating: "x", count: 250))
        let storeStart = ContinuousClock.now
        for index in 1...creates {
            var group: [JournalOperation] = [.insert(row, ChangeReference(runID: alone.runID, attempt: 1, sequence: index), state: .sending,
                                                     replayedFrom: nil, at: Date())]
            if index > 1 {
                group.append(.finish(ChangeReference(runID: alone.runID, attempt: 1, sequence: index - 1), state: .succeeded, already: false,
                                     result: "1", error: nil, notApplied: false, at: Date()))
            }
            try store.commit(group)
        }
        let (storeSeconds, storeAttoseconds) = (ContinuousClock.now - storeStart).components
        let commitMicroseconds = (Double(storeSeconds) + Double(storeAttoseconds) / 1e18) / Double(creates) * 1e6

        // The journal alone, on one thread: each change decided, logged before it is "sent",
        // its outcome logged, all of it stored.
        let bare = try RunJournal.start(NewRun(kind: "run", user: "bench", host: "bench", script: "journal", scriptText: "", arguments: [:],
                                               inputs: [], tenant: "emulator", configFile: nil, seed: 1, dryRun: false), in: store)
        let journalStart = ContinuousClock.now, journalCPU = Self.processCPUSeconds()
        for index in 1...creates {
            let arguments = [VendorArgument("fields", .object(["user_name": .string("bare\(index)"), "first_name": .string("B"), "last_name": .string("N"),
                                                              "password": .string("<redacted>"), "role_id": .int(3), "license_type": .int(1)]))]
            let change = PendingChange(vendor: .encore, operation: "create_user", effect: .write,
                                       key: "encore.create_user {\"fields.user_name\":\"bare\(index)\"}", arguments: arguments,
                                       ifUnknown: .check, readsStateFirst: false)
            guard case .send(let ticket) = bare.willSend(change) else { continue }
            let id = try bare.recordSending(ticket, stateBefore: nil)
            bare.didFinish(id, .succeeded(answer: .int(1000 + index), already: false))
        }
        bare.end(outcome: "success", exitCode: 0)
        let (journalSeconds, journalAttoseconds) = (ContinuousClock.now - journalStart).components
        let journalMicroseconds = (Double(journalSeconds) + Double(journalAttoseconds) / 1e18) / Double(creates) * 1e6
        let journalCPUMicroseconds = (Self.processCPUSeconds() - journalCPU) / Double(creates) * 1e6

        _ = try await once(0, journaled: false) // warm the pool and the emulator
        var off: [Double] = [], on: [Double] = []
        // Paired rounds, the order swapped every other round (off-on, on-off, ...) so that
        // neither side always runs second.
        for round in 1...max(1, rounds) {
            if round.isMultiple(of: 2) {
                on.append(try await once(round, journaled: true))
                off.append(try await once(round, journaled: false))
            } else {
                off.append(try await once(round, journaled: false))
                on.append(try await once(round, journaled: true))
            }
        }
        await emulator.stop()
        let ratios = zip(on, off).map { $0 / $1 }.sorted()
        let ratio = ratios[ratios.count / 2]
        // The middle half of the rounds' ratios: how far one run's median can move.
        let (lowerQuartile, upperQuartile) = (ratios[ratios.count / 4], ratios[(ratios.count * 3) / 4])
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        // What the journal adds to a change in wall time (the rounds' paired differences):
        // unlike the ratio, it does not rise when a create itself gets cheaper.
        let wallMicroseconds = median(zip(on, off).map { $0 - $1 }) / Double(creates) * 1e6
        if json {
            JSONOutput.print(["journal_off_seconds": median(off), "journal_on_seconds": median(on), "ratio": ratio,
                              "ratio_lower_quartile": lowerQuartile, "ratio_upper_quartile": upperQuartile,
                              "store_commit_microseconds": commitMicroseconds, "cpu_ratio": cpu.on / cpu.off,
                              "journal_alone_microseconds_per_change": journalMicroseconds, "journal_alone_cpu_microseconds_per_change": journalCPUMicroseconds,
                              "journal_cpu_microseconds_per_change": (cpu.on - cpu.off) / Double(on.count * creates) * 1e6,
                              "journal_wall_microseconds_per_change": wallMicroseconds])
        } else {
            print(String(format: "journal: %d Encore creates (8 in flight, vendor latency %d ms) in %.3f s journaled vs %.3f s not; ratio %.3f (goal <= 1.10; middle half of %d rounds %.3f-%.3f)",
                         creates, vendorLatency, median(on), median(off), ratio, ratios.count, lowerQuartile, upperQuartile))
            print(String(format: "journal CPU (the whole process): %.3f s journaled vs %.3f s not; ratio %.3f; %.1f us more per change",
                         cpu.on, cpu.off, cpu.on / cpu.off, (cpu.on - cpu.off) / Double(on.count * creates) * 1e6))
            print(String(format: "journal wall time: %.1f us more per change (the median of the rounds' paired differences; the ratio also moves with what a create costs)",
                         wallMicroseconds))
            print(String(format: "journal alone: %.1f us per change (%.1f us CPU): decided, logged before it is sent, its outcome logged, stored",
                         journalMicroseconds, journalCPUMicroseconds))
            print(String(format: "journal store alone: %.1f us per commit (a change's row and the previous outcome), what one commit per change would cost", commitMicroseconds))
        }
    }

    /// User and system CPU time of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}

