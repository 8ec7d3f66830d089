/// BenchRows.swift: `roster bench --rows`, the goals of runs row by row: the share of
/// Active911's limit the pacing achieves (with no 429), the cost of `--each` against the
/// same work in one script, and a 500-row onboarding against the bound that latency and
/// the vendors' limits set.
import ArgumentParser
import Bindings
import Emulator
import Engine
import Foundation
import LuaHost
import Vendors

extension BenchCommand {
    func benchmarkRows() async throws {
        let pacing = try await benchmarkPacing()
        let overhead = try await benchmarkRowOverhead()
        let onboarding = try await benchmarkOnboarding()
        if json {
            JSONOutput.print([
                "active911_share_of_limit": pacing.share, "active911_429": Double(pacing.refused),
                "each_overhead_ratio": overhead.ratio, "each_seconds": overhead.each, "one_script_seconds": overhead.single,
                "onboarding_500_seconds": onboarding.seconds, "onboarding_bound_seconds": onboarding.bound,
                "onboarding_ratio": onboarding.seconds / onboarding.bound, "onboarding_active911_requests": Double(onboarding.active911Requests),
            ])
            return
        }
        print(String(format: "active911 pacing: %.1f %% of the limit (goal >= 90 %%), %d 429s (goal 0): %d requests at %@",
                     pacing.share * 100, pacing.refused, pacing.requests, pacing.limit.description))
        print(String(format: "--each overhead: %.3fx (%.3f s for %d rows vs %.3f s in one script, %d calls each, %d at once)",
                     overhead.ratio, overhead.each, overhead.rows, overhead.single, overhead.rows, overhead.parallel))
        print(String(format: "500-row onboarding at latency=50ms: %.2f s, %.2fx the bound of %.2f s (goal <= 1.5); Active911: %d requests, %d 429s",
                     onboarding.seconds, onboarding.seconds / onboarding.bound, onboarding.bound, onboarding.active911Requests, onboarding.refused))
    }

    /// A tenant on `emulator` whose Active911 account has `limit`.
    static func tenant(_ emulator: RunningEmulator, active911 limit: RateLimit) throws -> Tenant {
        var tenant = try VendorRegistry.standard.emulatorTenant(emulator)
        if var active911 = tenant[Active911Configuration.self] {
            active911.requestsPerWindow = limit.requests
            active911.window = limit.window
            tenant[Active911Configuration.self] = active911
        }
        return tenant
    }

    /// 150 Active911 reads from 4 coroutines against an account limited to 25 a second: the
    /// rate achieved over the limit, and the 429s the emulator answered.
    func benchmarkPacing() async throws -> (share: Double, refused: Int, requests: Int, limit: RateLimit) {
        let limit = RateLimit(requests: 25, window: .seconds(1))
        let emulator = try await Emulator.start(VendorRegistry.standard.emulatorConfiguration(rateLimits: ["active911": limit]))
        defer { Task { await emulator.stop() } }
        let runner = VendorScriptRunner(tenant: try Self.tenant(emulator, active911: limit), limits: LuaLimits(memory: 64 << 20, timeout: .seconds(120)))
        let requests = 150
        let source = """
            local slots = {}
            for i = 1, \(requests) do slots[i] = i end
            parallel.map(slots, function() return active911.agencies() end, {concurrency = 4})
            """
        let start = ContinuousClock.now
        let result = await runner.run(LuaScript(name: "pacing.lua", source: source), dryRun: false, output: CollectedOutput())
        let elapsed = (.now - start).inSeconds
        guard result.outcome == .success else { throw ValidationError("the pacing benchmark failed: \(result.outcome.summary)") }
        let stats = emulator.world.stats()["active911"] as? [String: Any] ?? [:]
        // The first window's worth goes at once; the rest at the limit's pace.
        let ideal = Double(requests - limit.requests) / Double(limit.requests) * limit.window.inSeconds
        return (ideal / max(elapsed, 0.001), stats["429"] as? Int ?? -1, requests, limit)
    }

    /// The same 400 Encore reads as 400 rows of `--each` and as one script with
    /// `parallel.map`, both 4 at a time: the ratio of their times (median of the rounds).
    func benchmarkRowOverhead() async throws -> (ratio: Double, each: Double, single: Double, rows: Int, parallel: Int) {
        let emulator = try await Emulator.start(VendorRegistry.standard.emulatorConfiguration())
        defer { Task { await emulator.stop() } }
        let runner = VendorScriptRunner(tenant: try VendorRegistry.standard.emulatorTenant(emulator), limits: LuaLimits(memory: 64 << 20, timeout: .seconds(120)))
        let rows = 400, parallel = 4
        var csv = "id\n"
        for _ in 0..<rows { csv += "1001\n" }
        let table = try RowTable(csv: csv, name: "bench.csv")
        let perRow = LuaScript(name: "row.lua", source: "encore.get_user(tonumber(row.id))")
        let whole = LuaScript(name: "whole.lua", source: """
            local ids = {}
            for i = 1, \(rows) do ids[i] = 1001 end
            parallel.map(ids, function(id) return encore.get_user(id) end, {concurrency = \(parallel)})
            """)
        let rowRun = RowRun(runner: runner, script: perRow, arguments: [:], inputs: [], dryRun: false, parallel: parallel, maxFailures: nil, keyColumn: "id")
        var each: [Double] = [], single: [Double] = []
        for _ in 0..<max(1, min(rounds, 7)) {
            var start = ContinuousClock.now
            let outcomes = await rowRun.run(table.rows, journal: nil, stop: LuaStop()) { _ in }.outcomes
            each.append((.now - start).inSeconds)
            guard outcomes.allSatisfy({ $0.state == .succeeded }) else { throw ValidationError("a row of the overhead benchmark failed") }
            start = ContinuousClock.now
            let result = await runner.run(whole, dryRun: false, output: CollectedOutput())
            single.append((.now - start).inSeconds)
            guard result.outcome == .success else { throw ValidationError("the one-script benchmark failed: \(result.outcome.summary)") }
        }
        let ratios = zip(each, single).map { $0 / $1 }.sorted()
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        return (ratios[ratios.count / 2], median(each), median(single), rows, parallel)
    }

    /// 500 rows of the per-row onboarding script (Encore, Active911, Activeconnect,
    /// Allthenticate) 32 at a time against the emulator at `latency=50ms` and Active911's 25
    /// a minute. The bound: each row's four calls one after another at 50 ms, 32 rows at a
    /// time, or Active911's limit if its requests need more than one window.
    func benchmarkOnboarding() async throws -> (seconds: Double, bound: Double, active911Requests: Int, refused: Int) {
        let emulator = try await Emulator.start(VendorRegistry.standard.emulatorConfiguration(faults: try FaultSpec(parsing: "latency=50ms")))
        defer { Task { await emulator.stop() } }
        let runner = VendorScriptRunner(tenant: try VendorRegistry.standard.emulatorTenant(emulator), limits: LuaLimits(memory: 64 << 20, timeout: .seconds(600)))
        let rows = 500, parallel = 32, callsPerRow = 4
        var csv = "email,first_name,last_name,phone,username\n"
        for index in 0..<rows { csv += "bench\(index)@example.com,First\(index),Last\(index),+1555\(String(format: "%07d", index)),bench\(index)\n" }
        let table = try RowTable(csv: csv, name: "people.csv")
        guard !Self.onboardingScript.isEmpty else { throw ValidationError("scripts/bulk-onboard.lua was not found beside the sources this roster was built from") }
        let script = LuaScript(name: "bulk-onboard.lua", source: Self.onboardingScript)
        let rowRun = RowRun(runner: runner, script: script, arguments: [:], inputs: [], dryRun: false, parallel: parallel, maxFailures: nil, keyColumn: "email")
        let start = ContinuousClock.now
        let outcomes = await rowRun.run(table.rows, journal: nil, stop: LuaStop()) { _ in }.outcomes
        let elapsed = (.now - start).inSeconds
        if let failed = outcomes.first(where: { $0.state != .succeeded }) {
            throw ValidationError("row \(failed.row.number) of the onboarding benchmark failed: \(failed.error ?? failed.state.rawValue)")
        }
        let stats = emulator.world.stats()["active911"] as? [String: Any] ?? [:]
        let active911 = stats["requests"] as? Int ?? 0
        let latencyBound = Double(rows) / Double(parallel) * Double(callsPerRow) * 0.05
        let rateBound = Double(max(0, active911 - 25)) / 25 * 60
        return (elapsed, max(latencyBound, rateBound), active911, stats["429"] as? Int ?? -1)
    }

    /// `scripts/bulk-onboard.lua`, as shipped.
    static let onboardingScript: String = {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/bulk-onboard.lua")
        return (try? String(contentsOf: shipped, encoding: .utf8)) ?? ""
    }()
}
