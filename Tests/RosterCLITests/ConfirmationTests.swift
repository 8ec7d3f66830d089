/// ConfirmationTests.swift: on a terminal, a run of several changes with a destructive one
/// shows its plan and asks first; --yes, --dry-run and a single change do not ask.
import Foundation
import Testing

@Suite struct ConfirmationTests {
    static let script = """
        print("deactivating")
        encore.deactivate_user(1001)
        encore.deactivate_user(1002)
        print(encore.get_user(1001).is_active)
        """

    @Test func declinedChangesNothing() async throws {
        let folder = try RosterProcess.scriptFolder(["two.lua": Self.script])
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try TerminalSession(["run", "two.lua"], in: folder)
        #expect(await session.waitFor("Apply these 2 changes, some destructive? [y/N] "), "\(session.screen)")
        #expect(session.screen.contains("encore.deactivate_user id=1001"))
        #expect(!session.screen.contains("deactivating"), "the rehearsal's output is hidden")
        session.type("n\n")
        #expect(await session.exitStatus() == 1)
        #expect(session.screen.contains("roster: nothing was changed (not confirmed)"))
    }

    @Test func confirmedRunsTheScript() async throws {
        let folder = try RosterProcess.scriptFolder(["two.lua": Self.script])
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try TerminalSession(["run", "two.lua"], in: folder)
        #expect(await session.waitFor("[y/N] "))
        session.type("y\n")
        #expect(await session.exitStatus() == 0)
        #expect(session.screen.contains("deactivating"))
        #expect(session.screen.contains("false"))
    }

    @Test func yesAndASingleChangeDoNotAsk() async throws {
        let folder = try RosterProcess.scriptFolder(["two.lua": Self.script, "one.lua": "encore.deactivate_user(1001)\nprint('done')"])
        defer { try? FileManager.default.removeItem(at: folder) }
        for arguments in [["run", "two.lua", "--yes"], ["run", "one.lua"], ["run", "two.lua", "--dry-run"]] {
            let session = try TerminalSession(arguments, in: folder)
            #expect(await session.exitStatus() == 0, "\(arguments): \(session.screen)")
            #expect(!session.screen.contains("[y/N]"), "\(arguments)")
        }
    }
}
