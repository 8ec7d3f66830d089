/// BatchingTests.swift: calls of a batched operation made together (parallel coroutines)
/// go as one request, each caller handed its own answer or its own refusal; a sequential
/// script's calls go one by one, as written.
import Emulator
import Engine
import Foundation
import Testing

@Suite struct BatchingTests {
    /// Requests the emulator served for `vendor`.
    static func requests(_ run: EmulatedRun, _ vendor: String) -> Int {
        (run.emulator.world.stats()[vendor] as? [String: Any])?["requests"] as? Int ?? 0
    }

    @Test func parallelAddsShareARequestAndEachCallerGetsItsOwnAnswer() async throws {
        try await EmulatedRun.with { run in
            // old@example.com is there already: its caller hears "existing", the others "created".
            let output = await run.expectSuccess("""
                activeconnect.add_users({"old@example.com"})
                local users = {"n1@example.com", "old@example.com", "n2@example.com", "n3@example.com", "n4@example.com", "n5@example.com"}
                local answers = parallel.map(users, function(user) return activeconnect.add_users({user}) end, {concurrency = 6})
                for i, user in ipairs(users) do
                  local answer = answers[i]
                  local listed = #answer.created == 1 and answer.created[1] or answer.existing[1]
                  assert(listed == user, user .. " was told of " .. tostring(listed))
                  assert(#answer.created + #answer.existing == 1)
                end
                print(#answers[2].existing, #answers[1].created)
                """)
            #expect(output == "1\t1\n")
            #expect(Self.requests(run, "activeconnect") < 6, "six adds in \(Self.requests(run, "activeconnect")) requests")
        }
    }

    @Test func aRefusedBatchIsSentCallByCallSoEachGetsItsOwnRefusal() async throws {
        try await EmulatedRun.with { run in
            // Deleting a user that is not there refuses the whole list: each call alone then
            // learns its own answer (the unknown user converges as "already").
            let output = await run.expectSuccess("""
                activeconnect.add_users({"d1@example.com", "d2@example.com"})
                local answers = parallel.map({"d1@example.com", "ghost@example.com", "d2@example.com"}, function(user)
                  return activeconnect.delete_users({user})
                end, {concurrency = 3})
                print(answers[1].already == true, answers[2].already == true, answers[3].already == true)
                """)
            #expect(output == "false\ttrue\tfalse\n")
        }
    }

    @Test func sequentialCallsGoOneByOne() async throws {
        try await EmulatedRun.with { run in
            let before = Self.requests(run, "active911")
            await run.expectSuccess("""
                for i = 1, 3 do active911.create_member(nil, {name = "S" .. i, email = "s" .. i .. "@example.com"}) end
                """)
            let start = ContinuousClock.now
            await run.expectSuccess(#"active911.create_member(nil, {name = "T", email = "t@example.com"})"#)
            #expect(Self.requests(run, "active911") - before == 4, "one request each")
            // A lone call is not held waiting for company that never comes (the margin is for a loaded machine).
            #expect(ContinuousClock.now - start < .seconds(30))
        }
    }
}
