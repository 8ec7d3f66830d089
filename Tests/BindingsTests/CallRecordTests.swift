/// CallRecordTests.swift: what a run's call record keeps. Changes are always kept; reads are
/// kept only when a report lists every call, and otherwise only counted, so that a run's
/// memory does not grow with its reads.
import Bindings
import Engine
import LuaHost
import Testing
import Vendors

@Suite struct CallRecordTests {
    static let script = #"""
        for _ = 1, 3 do encore.get_user(1001) end
        encore.create_user({user_name = "kept", first_name = "K", last_name = "Ept", password = "Passw0rd!x", license_type = 1, role_id = 3})
        local ok = pcall(encore.get_user, 999999)
        assert(not ok)
        """#

    func run(recordsReads: Bool, counter: CallCounter? = nil) async throws -> ScriptRunResult {
        try await EmulatedRun.with { run in
            var runner = run.runner
            runner.recordsReads = recordsReads
            runner.counter = counter
            return await runner.run(LuaScript(name: "record.lua", source: Self.script), dryRun: false, output: CollectedOutput())
        }
    }

    @Test func readsNotRecordedAreCountedAndChangesKept() async throws {
        let counter = CallCounter()
        let result = try await run(recordsReads: false, counter: counter)
        #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
        #expect(result.calls.map(\.operation) == ["create_user"])
        #expect(result.calls.first?.outcome == .succeeded)
        // The three reads and the refused one, all counted; progress counts those that succeeded.
        #expect(result.reads == 4)
        #expect(counter.readsDone == 3)
        #expect(counter.changesDone == 1)
    }

    @Test func readsRecordedAreListedInOrder() async throws {
        let result = try await run(recordsReads: true)
        #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
        #expect(result.calls.map(\.operation) == ["get_user", "get_user", "get_user", "create_user", "get_user"])
        if case .failed = result.calls.last?.outcome {} else { Issue.record("the refused read is recorded as failed: \(String(describing: result.calls.last?.outcome))") }
        #expect(result.reads == 4)
    }

    @Test func aDryRunKeepsItsPlanWithoutItsReads() async throws {
        let result = try await EmulatedRun.with { run in
            var runner = run.runner
            runner.recordsReads = false
            return await runner.run(LuaScript(name: "record.lua", source: Self.script), dryRun: true, output: CollectedOutput())
        }
        #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
        #expect(result.plan.map(\.operation) == ["create_user"])
        #expect(result.calls.count == 1)
        #expect(result.reads == 4)
    }
}
