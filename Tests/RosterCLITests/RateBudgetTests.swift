/// RateBudgetTests.swift: one rate budget per vendor account, shared by every Roster
/// process on the machine through the journal's database.
import Foundation
import Testing

@Suite struct SharedRateBudgetTests {
    /// Adds `lines` to the `[tenants.*.<vendor>]` section of the folder's roster.toml.
    static func configure(_ folder: URL, vendor: String, _ lines: String) throws {
        let file = folder.appendingPathComponent("roster.toml")
        var text = try String(contentsOf: file, encoding: .utf8)
        let header = try #require(text.range(of: #"\[tenants\.[a-z]+\.\#(vendor)\]\n"#, options: .regularExpression))
        text.insert(contentsOf: lines + "\n", at: header.upperBound)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    /// Three processes at once, 15 Active911 creates each, against one account limited to
    /// 10 a second: paced together, the emulator refuses none.
    @Test func threeProcessesShareOneAccountsBudget() async throws {
        let script = """
            for i = 1, 15 do
              active911.create_member(nil, {name = "P" .. args.p .. " " .. i, email = ("p%s-%d@example.com"):format(args.p, i), phone = "5550100"})
            end
            """
        let folder = try RosterProcess.scriptFolder(["members.lua": script])
        defer { try? FileManager.default.removeItem(at: folder) }
        let emulator = try await EmulatorProcess.start(in: folder, faults: "", arguments: ["--rate-limit", "active911=10/1s"])
        defer { emulator.stop() }
        try Self.configure(folder, vendor: "active911", #"rate_limit = "10/1s""#)
        let environment = ["XDG_STATE_HOME": folder.appendingPathComponent("state").path]
        let start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            for p in 1...3 {
                group.addTask {
                    try await RosterProcess.run(["run", "members.lua", "--config", "roster.toml", "--arg", "p=\(p)", "--yes"], in: folder, environment: environment)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let elapsed = ContinuousClock.now - start
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        let stats = try await emulator.stats()
        #expect(stats["active911"] == ["requests": 45, "429": 0], "\(stats)")
        // 45 requests at 10 a second, each window counted from its answer: at least 4 s.
        #expect(elapsed >= .seconds(3.5))
    }
}
