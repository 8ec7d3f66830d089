/// CutCallTests.swift: a call the end of a run cuts (a limit while it is in flight) is
/// reported as `unknown`, never dropped and never as a refusal; one that answers within the
/// drain is reported with its real outcome.
import Bindings
import Emulator
import Engine
import Foundation
import Journal
import LuaHost
import Testing
import Vendors

@Suite struct CutCallTests {
    static let create = #"""
        encore.create_user({user_name = "slow", first_name = "S", last_name = "Low", password = "Passw0rd!x", license_type = 1, role_id = 3})
        """#

    /// The run's limit: long enough for the call to reach the emulator on a loaded machine
    /// (at 300 ms, a full suite's load once ended the run before it was sent).
    static let limit = Duration.seconds(2)

    /// Runs the create, the emulator answering after `latency`, the run ending at `limit`,
    /// its calls given `drain`; `journal` makes the journal of each run. A test process
    /// stalled past the limit before the call began (the full suite on two cores once held
    /// quick tests 20 s) ends the run with no call: that run is made again, three in all.
    func run(latency: Duration, drain: Duration, journal: () throws -> RunJournal? = { nil }) async throws
        -> (result: ScriptRunResult, created: [String: Any]?, journal: RunJournal?) {
        var attempt: (result: ScriptRunResult, created: [String: Any]?, journal: RunJournal?)
        var attempts = 0
        repeat {
            attempts += 1
            let runJournal = try journal()
            attempt = try await EmulatedRun.with { run in
                var spec = FaultSpec()
                spec.latency = latency
                run.emulator.world.faults.update(spec, seed: 1)
                var limits = LuaLimits(timeout: Self.limit)
                limits.drainGrace = drain
                // A request's own timeout past any stall: only the run's end cuts it.
                let runner = VendorScriptRunner(tenant: run.runner.tenant, limits: limits, http: VendorHTTP(timeout: .seconds(60), retry: .none))
                let result = await runner.run(LuaScript(name: "cut.lua", source: Self.create), dryRun: false, output: CollectedOutput(), journal: runJournal)
                try await Task.sleep(for: latency) // let the emulator finish what it was sent
                return (result, run.state.encoreUser("slow"), runJournal)
            }
        } while attempt.result.calls.isEmpty && attempts < 3
        return attempt
    }

    @Test func aCallCutByTheRunsEndIsUnknown() async throws {
        // Every attempt's call is cut and reported unknown. A test process stalled longer
        // than the limit (under the full suite on two cores, one attempt ran 21 s and its call
        // never reached the emulator) cuts the call before it is sent: unknown still, but the
        // vendor then has nothing to show, so such an attempt is made again, three in all.
        var created: [String: Any]?
        for _ in 1...3 where created == nil {
            let (result, user, _) = try await run(latency: .seconds(5), drain: .milliseconds(50))
            #expect(result.outcome == .limit(.timeout, message: LuaLimits(timeout: Self.limit).message(for: .timeout) + "; it was waiting for encore.create_user at cut.lua:1"))
            #expect(result.calls.count == 1)
            #expect(result.calls.first?.outcome == .unknown(VendorSession.cutShortMessage))
            created = user
        }
        #expect(created != nil) // it did reach the vendor: "unknown" was the honest answer
    }

    /// The cut call's own ending (its request cancelled) comes after the run's end has
    /// reported it, or before: either way the journal and the call record say the same.
    @Test func aCutCallIsJournaledAsCutByTheRunsEnd() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString)/journal.sqlite").path
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let store = try SQLiteJournalStore.open(path: path)
        let (result, _, started) = try await run(latency: .seconds(5), drain: .milliseconds(50)) {
            try RunJournal.start(NewRun(kind: "run", user: "ada", host: "desk", script: "cut.lua", scriptText: Self.create, arguments: [:],
                                        inputs: [], tenant: "emulator", configFile: nil, seed: 1, dryRun: false), in: store)
        }
        let journal = try #require(started)
        #expect(result.calls.first?.outcome == .unknown(VendorSession.cutShortMessage))
        // The request's cancellation ends the call a moment after the run; its outcome is
        // then journaled (batches are stored a moment later still).
        var changes: [JournalChange] = []
        for _ in 0..<250 {
            changes = try store.changes(runID: journal.runID)
            if changes.first?.state == .unknown { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(changes.map(\.state) == [.unknown])
        #expect(changes.first?.error == VendorSession.cutShortMessage)
    }

    @Test func aCallThatAnswersWithinTheDrainHasItsOutcome() async throws {
        // The drain ends when the call answers: a long one costs nothing, and a loaded
        // machine (a full suite on two cores) once took longer than 5 s.
        let (result, created, _) = try await run(latency: .milliseconds(2500), drain: .seconds(60))
        #expect(result.calls.first?.outcome == .succeeded, "\(result.calls)")
        #expect(created != nil)
    }

    /// Over a faulted bulk run, every user the vendor created is reported as succeeded or
    /// unknown; nothing is dropped and nothing created is reported as failed.
    @Test func aFaultedBulkRunReportsEveryCreatedUser() async throws {
        try await EmulatedRun.with { run in
            run.emulator.world.faults.update(try FaultSpec(parsing: "drop=0.15,error503=0.1,error500=0.05"), seed: 11)
            let runner = VendorScriptRunner(tenant: run.runner.tenant, limits: LuaLimits(timeout: .seconds(60)),
                                      http: VendorHTTP(timeout: .seconds(5), retry: RetryPolicy(attempts: 3, baseDelay: .milliseconds(1), maximumDelay: .milliseconds(5))))
            let result = await runner.run(LuaScript(name: "bulk.lua", source: #"""
                for i = 1, 40 do
                  pcall(encore.create_user, {user_name = "bulk" .. i, first_name = "B", last_name = tostring(i),
                                             password = "Passw0rd!x", license_type = 1, role_id = 3})
                end
                """#), dryRun: false, output: CollectedOutput())
            #expect(result.outcome == .success)
            let creates = result.calls.filter { $0.operation == "create_user" }
            #expect(creates.count == 40)
            func name(_ call: VendorCallRecord) -> String? {
                guard case .object(let user)? = call.arguments.first(where: { $0.name == "fields" })?.value,
                      case .string(let name)? = user["user_name"] else { return nil }
                return name
            }
            let created = Set(run.state.encoreUserNames.filter { $0.hasPrefix("bulk") })
            let succeeded = Set(creates.filter { $0.outcome == .succeeded }.compactMap(name))
            let unknown = Set(creates.filter { if case .unknown = $0.outcome { true } else { false } }.compactMap(name))
            #expect(succeeded.isSubset(of: created))
            #expect(created.isSubset(of: succeeded.union(unknown)), "created but reported failed: \(created.subtracting(succeeded.union(unknown)))")
            #expect(!unknown.isEmpty, "the faults should cut some calls")
        }
    }
}
