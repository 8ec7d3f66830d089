/// ScriptTests.swift: every workflow in scripts/ runs against the emulator's demo data, and
/// the emulator's state shows it did what it says.
import Emulator
import Engine
import Foundation
import Testing

@Suite struct ScriptTests {
    @Test func everyShippedScriptIsTested() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: EmulatedRun.scripts.path).filter { $0.hasSuffix(".lua") }.sorted()
        #expect(names == ["access-review.lua", "bulk-onboard-file.lua", "bulk-onboard.lua", "hello.lua", "lost-device.lua", "offboard.lua", "onboard-guest.lua"])
    }

    @Test func hello() async throws {
        try await EmulatedRun.with { run in
            let (result, output) = try await run.script("hello.lua", arguments: ["name": "Sam"])
            #expect(result.outcome == .success)
            #expect(output.hasPrefix("Hello, Sam!"))
        }
    }

    @Test func onboardGuest() async throws {
        try await EmulatedRun.with { run in
            let (result, output) = try await run.script("onboard-guest.lua", arguments: ["card": "777888999", "username": "gus"])
            #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
            #expect(output.contains("Onboarding Gus Guest <guest@example.com> (email_id 103)"))
            let guest = try #require(run.state.allthenticateUser("guest@example.com"))
            #expect(guest["user_tag"] as? String == "REGULAR")
            #expect((guest["smartcards"] as? [[String: Any]])?.first?["number"] as? String == "777888999")
            #expect(guest["computer_usernames"] as? [String] == ["gus"])
            let device = try #require(run.state.activeconnectUser("guest@example.com"))
            #expect(device["pending_link"] as? String != nil)
        }
    }

    @Test func onboardGuestDryRunChangesNothing() async throws {
        try await EmulatedRun.with { run in
            let (result, output) = try await run.script("onboard-guest.lua", dryRun: true)
            #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
            #expect(output.contains("device registration link (dry run)"))
            #expect(result.plan.map(\.operation) == ["promote_guest", "set_smartcards", "set_computer_usernames", "add_users", "registration_link"])
            #expect(run.state.allthenticateUser("guest@example.com")?["user_tag"] as? String == "GUEST")
            #expect(run.state.activeconnectUser("guest@example.com") == nil)
        }
    }

    @Test func offboardRemovesThePersonEverywhere() async throws {
        try await EmulatedRun.with { run in
            let (result, output) = try await run.script("offboard.lua", arguments: ["email": "ada@example.com"])
            #expect(result.outcome == .success, "\(result.outcome.summaryForTests)\n\(output)")
            #expect(output.contains("5 done, 0 skipped, 0 failed"))
            let state = run.state
            #expect(state.activeconnectUser("ada@example.com") == nil)
            #expect(state.encoreUser("ada")?["IsActive"] as? Bool == false)
            #expect(state.guardantUser("ada@example.com")?["archived"] as? Bool == true)
            #expect(!state.active911Members().contains { $0["id"] as? Int == 501 })
            #expect(state.allthenticateUser("ada@example.com") == nil)
        }
    }

    @Test func offboardConvergesWhereAVendorAlreadyHasHerGone() async throws {
        try await EmulatedRun.with { run in
            // grace is already gone from Allthenticate: that step is "already" done, the others
            // run; she is no Active911 member (found by email in the agencies' lists): skipped.
            await run.expectSuccess(#"allthenticate.delete_user({email = "grace@example.com"})"#)
            let (result, output) = try await run.script("offboard.lua", arguments: ["email": "grace@example.com"])
            #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
            #expect(output.contains("done    allthenticate already gone"))
            #expect(output.contains("skipped active911     no member with this email"))
            #expect(output.contains("4 done, 1 skipped, 0 failed"))
            #expect(result.calls.first { $0.operation == "delete_user" }?.already == true)
            // And a second run finds everything already so.
            let (again, secondOutput) = try await run.script("offboard.lua", arguments: ["email": "grace@example.com"])
            #expect(again.outcome == .success, "\(again.outcome.summaryForTests)")
            #expect(secondOutput.contains("done    activeconnect already gone"))
            #expect(secondOutput.contains("already deactivated"))
            #expect(secondOutput.contains("already archived"))
            #expect(run.state.encoreUser("grace")?["IsActive"] as? Bool == false)
            #expect(run.state.guardantUser("grace@example.com")?["archived"] as? Bool == true)
        }
    }

    @Test func offboardFindsTheActive911MemberByEmail() async throws {
        try await EmulatedRun.with { run in
            let output = await run.expectSuccess("""
                local agencies = active911.agencies()
                assert(#agencies == 2, #agencies)
                local members = agencies[1].members
                assert(#members == 1 and members[1].email == "ada@example.com" and members[1].id == 501)
                assert(#agencies[2].members == 0)
                """)
            #expect(output.isEmpty)
            let (result, text) = try await run.script("offboard.lua", arguments: ["email": "ada@example.com"])
            #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
            #expect(text.contains("done    active911     deleted member 501 from Example County Fire"))
        }
    }

    @Test func lostDevice() async throws {
        try await EmulatedRun.with { run in
            let (result, output) = try await run.script("lost-device.lua", arguments: ["user": "ada@example.com", "phone": "+15550101"])
            #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
            #expect(output.contains("ada@example.com: the registered device is disabled"))
            let user = try #require(run.state.activeconnectUser("ada@example.com"))
            #expect(user["device_registered"] as? Bool == false)
            #expect(user["disabled_devices"] as? Int == 1)
            #expect(user["sms_sent"] as? [String] == ["+15550101"])
        }
    }

    @Test func bulkOnboardFromCSV() async throws {
        try await EmulatedRun.with { run in
            let (result, output) = try await run.script("bulk-onboard-file.lua", inputs: ["scripts/people.csv"])
            #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
            #expect(output.contains("Onboarding 3 people"))
            let state = run.state
            #expect(Set(["kpark", "lchen", "soneil"]).isSubset(of: Set(state.encoreUserNames)))
            #expect(state.active911Members().contains { $0["name"] as? String == "Sam O'Neil, Jr." })
            #expect(state.activeconnectUser("lee@example.com") != nil)
            // One bulk request to Active911, not one per person.
            #expect(result.calls.filter { $0.vendor == .active911 }.map(\.operation) == ["create_members"])
        }
    }

    @Test func bulkOnboardNeedsItsInput() async throws {
        try await EmulatedRun.with { run in
            let (result, _) = try await run.script("bulk-onboard-file.lua")
            #expect(result.outcome.summaryForTests == "scripts/bulk-onboard-file.lua:7: give the CSV file: --input people.csv")
        }
    }

    @Test func accessReview() async throws {
        try await EmulatedRun.with { run in
            let (result, output) = try await run.script("access-review.lua")
            #expect(result.outcome == .success, "\(result.outcome.summaryForTests)")
            #expect(output.contains("Guests (1):\n  allthenticate guest@example.com"))
            #expect(output.contains("allthenticate ada@example.com (ADMIN)"))
            #expect(output.contains("encore ada (Admin)"))
            #expect(output.contains("guardant alan@example.com (archived)"))
            #expect(output.contains("No registered device (2):\n  activeconnect grace@example.com\n  activeconnect linus@example.com"))
            #expect(result.calls.allSatisfy { $0.effect == "read" })
        }
    }
}
