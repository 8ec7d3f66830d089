/// ScriptTests.swift: every workflow in scripts/ runs against the emulator's demo data, and
/// the emulator's state shows it did what it says.
import Emulator
import Engine
import Foundation
import Testing

@Suite struct ScriptTests {
    @Test func everyShippedScriptIsTested() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: EmulatedRun.scripts.path).filter { $0.hasSuffix(".lua") }.sorted()
        #expect(names == ["access-review.lua", "bulk-onboard.lua", "hello.lua", "lost-device.lua", "offboard.lua", "onboard-guest.lua"])
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
            let (result, output) = try await run.script("offboard.lua", arguments: ["email": "ada@example.com", "active911_member": "501"])
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

    @Test func offboardGoesOnPastAFailingVendor() async throws {
        try await EmulatedRun.with { run in
            // grace has no Active911 member 999: that step fails, the others still run.
            let (result, output) = try await run.script("offboard.lua", arguments: ["email": "grace@example.com", "active911_member": "999"])
            #expect(result.outcome.summaryForTests == "scripts/offboard.lua:60: offboarding of grace@example.com is incomplete: 1 vendor(s) failed")
            #expect(output.contains("FAILED  active911"))
            #expect(output.contains("4 done, 0 skipped, 1 failed"))
            #expect(run.state.encoreUser("grace")?["IsActive"] as? Bool == false)
            #expect(run.state.allthenticateUser("grace@example.com") == nil)
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
            let (result, output) = try await run.script("bulk-onboard.lua", inputs: ["scripts/people.csv"])
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
            let (result, _) = try await run.script("bulk-onboard.lua")
            #expect(result.outcome.summaryForTests == "scripts/bulk-onboard.lua:6: give the CSV file: --input people.csv")
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
