/// StopTests.swift: `roster run` stopped by SIGINT or SIGTERM while it creates users on a
/// slow vendor: it sends nothing new, awaits the calls in flight, still prints its `--json`
/// report, and exits 130; every user the vendor created is in the report.
import Foundation
import Testing
import TestSupport

@Suite struct StopTests {
    /// 200 creations at 250 ms each: far longer than a loaded machine takes to see the
    /// first two and send the signal (40 of them once all ended before it arrived).
    static let script = """
        for i = 1, 200 do
          encore.create_user({user_name = "stop" .. i, first_name = "S", last_name = tostring(i), password = "Passw0rd!x",
                              license_type = 1, role_id = 3})
        end
        """

    /// `rehearsed`: the run is first rehearsed as a dry run (`--max-changes` has it counted),
    /// so it is stopped in its second pass: the signals must reach that pass too (they once
    /// reached only the rehearsal, and Ctrl-C did nothing after it).
    @Test(arguments: [(SIGINT, "SIGINT", false), (SIGTERM, "SIGTERM", false), (SIGINT, "SIGINT", true)])
    func aStoppedRunReportsEveryCallAndExits130(signal: Int32, name: String, rehearsed: Bool) async throws {
        let folder = try RosterProcess.scriptFolder(["create.lua": Self.script])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "latency=250ms")
        defer { emulator.stop() }

        let process = try RosterProcess.spawn(["run", "create.lua", "--config", "roster.toml", "--json", "--yes"]
                                              + (rehearsed ? ["--max-changes", "500"] : []), in: folder)
        // Stopped once its first users exist (not after a fixed time: a loaded machine starts slower).
        var waited = 0
        while try await emulator.encoreUserNames().filter({ $0.hasPrefix("stop") }).count < 2, waited < 300 {
            waited += 1
            try await Task.sleep(for: .milliseconds(50))
        }
        process.send(signal)
        let status = try await process.wait(limit: 10)
        let stdout = process.stdout.value ?? Data()
        let stderr = process.errorText

        #expect(status == 130, "\(stderr)")
        #expect(stderr.contains("roster: \(name): stopping; no new vendor calls, waiting for the ones in flight"))
        let report = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any], "\(stderr)")
        #expect(report["exit_code"] as? Int == 130)
        #expect(report["error"] as? String == "interrupted")
        let calls = try #require(report["calls"] as? [[String: Any]])
        #expect(calls.count >= 2 && calls.count < 200, "\(calls.count) calls")
        #expect(calls.allSatisfy { $0["outcome"] as? String == "succeeded" }, "\(calls)")
        // The vendor's truth: exactly the users the report says were created.
        let users = try await emulator.encoreUserNames().filter { $0.hasPrefix("stop") }
        #expect(users.count == calls.count)
    }
}

/// `roster emulator` in its own process, with a roster.toml pointing at it.
struct EmulatorProcess {
    let process: SpawnedRoster
    let origin: String

    static func start(in folder: URL, faults: String, arguments: [String] = []) async throws -> EmulatorProcess {
        let process = try RosterProcess.spawn(["emulator", "--port", "0", "--faults", faults, "--write-config", folder.appendingPathComponent("roster.toml").path] + arguments,
                                              in: RosterProcess.root)
        for _ in 0..<200 {
            let seen = process.errorTextSoFar
            if let range = seen.range(of: "listening on "), seen[range.upperBound...].contains("\n") {
                let origin = String(seen[range.upperBound...].prefix { !$0.isWhitespace })
                return EmulatorProcess(process: process, origin: origin)
            }
            if process.exited.value { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.send(SIGTERM)
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the emulator did not start: \(process.errorTextSoFar)"])
    }

    func encoreUserNames() async throws -> [String] {
        let state = try await TestHTTP.get(origin + "/_emulator/state").json as? [String: Any]
        let users = state?["encore"] as? [[String: Any]] ?? []
        return users.compactMap { $0["UserName"] as? String }
    }

    func stop() { process.send(SIGINT) }

    /// `/_emulator/stats`: per vendor, requests served and the 429s among them.
    func stats() async throws -> [String: [String: Int]] {
        return try await TestHTTP.get(origin + "/_emulator/stats").json as? [String: [String: Int]] ?? [:]
    }
}
