/// CutCallTests.swift: a call the end of a run cuts (a limit while it is in flight) is
/// reported as `unknown`, never dropped and never as a refusal; one that answers within the
/// drain is reported with its real outcome.
import Emulator
import Engine
import LuaHost
import Testing
import Vendors

@Suite struct CutCallTests {
    static let create = #"""
        encore.create_user({user_name = "slow", first_name = "S", last_name = "Low", password = "Passw0rd!x", license_type = 1, role_id = 3})
        """#

    func run(latency: Duration, drain: Duration) async throws -> (ScriptRunResult, [String: Any]?) {
        try await EmulatedRun.with { run in
            var spec = FaultSpec()
            spec.latency = latency
            run.emulator.world.faults.update(spec, seed: 1)
            var limits = LuaLimits(timeout: .milliseconds(300))
            limits.drainGrace = drain
            let runner = ScriptRunner(tenant: run.runner.tenant, limits: limits, http: VendorHTTP(timeout: .seconds(10), retry: .none))
            let result = await runner.run(LuaScript(name: "cut.lua", source: Self.create), dryRun: false, output: PrintedOutput())
            try await Task.sleep(for: latency) // let the emulator finish what it was sent
            return (result, run.state.encoreUser("slow"))
        }
    }

    @Test func aCallCutByTheRunsEndIsUnknown() async throws {
        let (result, created) = try await run(latency: .milliseconds(1500), drain: .milliseconds(50))
        #expect(result.outcome == .limit(.timeout, message: LuaLimits(timeout: .milliseconds(300)).message(for: .timeout)))
        #expect(result.calls.count == 1)
        #expect(result.calls.first?.outcome == .unknown("the run ended before the vendor answered"))
        #expect(created != nil) // it did reach the vendor: "unknown" was the honest answer
    }

    @Test func aCallThatAnswersWithinTheDrainHasItsOutcome() async throws {
        let (result, created) = try await run(latency: .milliseconds(600), drain: .seconds(5))
        #expect(result.calls.first?.outcome == .succeeded, "\(result.calls)")
        #expect(created != nil)
    }
}
