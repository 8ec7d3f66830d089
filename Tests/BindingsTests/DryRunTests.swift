/// DryRunTests.swift: under a dry run writes are planned, not sent; reads still run.
import Bindings
import Emulator
import Engine
import LuaHost
import Testing
import Vendors

@Suite struct DryRunTests {
    @Test func writesArePlannedAndNotSent() async throws {
        try await EmulatedRun.with { run in
            let output = await run.expectSuccess("""
                assert(roster.dry_run == true)
                local users = encore.list_users()          -- a read: sent
                assert(#users == 3)
                local result = encore.deactivate_user(users[1].user_id)
                assert(result.dry_run == true and tostring(result) == "(dry run)")
                local id = encore.create_user({user_name = "planned", password = "secret-pw", first_name = "P", last_name = "Q"})
                print("created " .. id)
                allthenticate.promote_guest(103)
                guardant.update_user(10026, {archived = true})
                """, dryRun: true)
            #expect(output == "created (dry run)\n")
            let state = run.state
            #expect(state.encoreUser("ada")?["IsActive"] as? Bool == true)
            #expect(state.encoreUser("planned") == nil)
            #expect(state.allthenticateUser("guest@example.com")?["user_tag"] as? String == "GUEST")
            #expect(state.guardantUser("ada@example.com")?["archived"] as? Bool == false)
        }
    }

    @Test func thePlanListsEachChangeWithPasswordsRedacted() async throws {
        try await EmulatedRun.with { run in
            let (result, _) = await run.lua("""
                encore.list_users()
                encore.deactivate_user(1001)
                encore.create_user({user_name = "planned", password = "hunter2-pw"})
                activeconnect.lost_device("ada@example.com")
                """, dryRun: true)
            #expect(result.outcome == .success)
            try #require(result.calls.count == 4)
            #expect(result.calls[0].outcome == .succeeded)
            #expect(result.plan.map(\.summary) == [
                "encore.deactivate_user id=1001",
                "encore.create_user fields={password=\"<redacted>\",user_name=\"planned\"}",
                "activeconnect.lost_device user=\"ada@example.com\"",
            ])
            #expect(result.plan.map(\.effect) == ["destructive", "write", "destructive"])
            #expect(!result.plan.map(\.summary).joined().contains("hunter2"))
        }
    }

    @Test func withoutDryRunEveryCallIsRecorded() async throws {
        try await EmulatedRun.with { run in
            let (result, _) = await run.lua("encore.activate_user(1003)\npcall(encore.get_user, 5)\n")
            #expect(result.plan.isEmpty)
            #expect(result.calls.map(\.operation) == ["activate_user", "get_user"])
            #expect(result.calls[0].outcome == .succeeded)
            if case .failed(let message) = result.calls[1].outcome { #expect(message.contains("HTTP 404")) } else { Issue.record("not failed") }
            #expect(run.state.encoreUser("linus")?["IsActive"] as? Bool == true)
        }
    }
}
