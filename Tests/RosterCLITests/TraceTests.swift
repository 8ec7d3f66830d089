/// TraceTests.swift: `--trace` shows every vendor request — method, URL, status, size,
/// duration, attempt, why retried — and never a credential or a password.
import Foundation
import Testing

@Suite struct TraceTests {
    @Test func everyAttemptIsTracedWithoutSecrets() async throws {
        let script = """
            for i = 1, 6 do encore.get_user(1001) end
            active911.agencies()
            activeconnect.add_users({"trace@example.com"})
            guardant.list_users()
            allthenticate.list_users()
            encore.create_user({user_name = "traced", first_name = "T", last_name = "T", password = "Hunter2-secret!", role_id = 3, license_type = 1})
            """
        let folder = try RosterProcess.scriptFolder(["trace.lua": script])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "error503=0.3")
        defer { emulator.stop() }
        let result = try await RosterProcess.run(["run", "trace.lua", "--config", "roster.toml", "--trace"], in: folder,
                                                 environment: JournalTests.journal(folder))
        let traces = result.stderr.split(separator: "\n").filter { $0.hasPrefix("trace: ") }
        #expect(traces.contains { $0.hasPrefix("trace: encore get_user: GET \(emulator.origin)/encore/users/v1/users/1001") && $0.contains(" -> 200, ") })
        #expect(traces.contains { $0.contains(" -> 503 in ") && $0.hasSuffix("; retrying: a 503 is worth another try") }, "\(traces)")
        #expect(traces.contains { $0.hasPrefix("trace: encore create_user: POST ") })
        #expect(traces.allSatisfy { $0.contains(" ms (attempt ") })
        for secret in ["demo-encore-subscription-key", "demo-active911-refresh-token", "demo-activeconnect-secret-0123456789",
                       "demo-guardant-token", "demo-allthenticate-api-key", "Hunter2-secret!"] {
            #expect(!result.stderr.contains(secret), "\(secret) in the trace")
            #expect(!result.stdout.contains(secret))
        }
    }

    /// The commands that send a journaled run's or a plan's requests again trace them too.
    @Test func resumeApplyAndUndoAreTraced() async throws {
        let folder = try RosterProcess.scriptFolder([
            "stops.lua": "encore.deactivate_user(1002)\nencore.get_user(1001)\nerror('stop here', 0)",
            "plan.lua": "encore.deactivate_user(1003)",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "")
        defer { emulator.stop() }
        let environment = JournalTests.journal(folder)
        func traces(_ arguments: [String]) async throws -> [Substring] {
            let result = try await RosterProcess.run(arguments, in: folder, environment: environment)
            #expect(!result.stderr.contains("demo-encore-subscription-key"))
            return result.stderr.split(separator: "\n").filter { $0.hasPrefix("trace: ") }
        }
        #expect(try await traces(["run", "stops.lua", "--config", "roster.toml", "--yes"]).isEmpty)
        // The change is answered from the journal (no request); the read is sent again.
        let resumed = try await traces(["resume", "1", "--trace"])
        #expect(resumed.count == 1 && resumed[0].hasPrefix("trace: encore get_user: GET "), "\(resumed)")
        let undone = try await traces(["undo", "1", "--yes", "--trace"])
        #expect(undone.contains { $0.hasPrefix("trace: encore activate_user: PUT ") }, "\(undone)")
        #expect(try await RosterProcess.run(["run", "plan.lua", "--config", "roster.toml", "--dry-run", "--plan-out", "plan.json"],
                                            in: folder, environment: environment).status == 0)
        let applied = try await traces(["apply", "plan.json", "--yes", "--trace"])
        #expect(applied.contains { $0.hasPrefix("trace: encore deactivate_user: DELETE ") }, "\(applied)")
    }
}
