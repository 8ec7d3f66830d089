/// BenchCommand.swift: `roster bench`, the performance goals as ratios.
import ArgumentParser
import Foundation
import LuaHost

/// Measures the host against baselines in the same process.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the Lua host against plain-C baselines (ratios; lower is better)."
    )

    @Flag(help: "Print one JSON object with the raw figures and the ratios.")
    var json = false

    @Option(help: "Rounds of each measurement (ratios: the median of the rounds' paired ratios).")
    var rounds: Int = 9

    @Flag(name: .customLong("calls-only"), help: "Only time Lua→Swift binding calls (for profiling).")
    var callsOnly = false

    func run() async throws {
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
