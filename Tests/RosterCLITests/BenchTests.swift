/// BenchTests.swift: the journal benchmark runs end to end and reports every figure its
/// note relies on (no timing is asserted: performance goals live in the benchmark itself).
import Foundation
import Testing

@Suite struct BenchTests {
    @Test func theJournalBenchmarkReportsItsFigures() async throws {
        let result = try await RosterProcess.run(["bench", "--journal", "--rounds", "1", "--json"], limit: 300)
        #expect(result.status == 0, "\(result.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Double], "\(result.stdout)")
        for key in ["journal_on_seconds", "journal_off_seconds", "ratio", "ratio_lower_quartile", "ratio_upper_quartile", "cpu_ratio",
                    "journal_alone_microseconds_per_change", "journal_alone_cpu_microseconds_per_change", "store_commit_microseconds"] {
            #expect((figures[key] ?? 0) > 0, "\(key): \(figures[key].map(String.init(describing:)) ?? "missing")")
        }
        // A difference: it may come out below zero in a noisy round, never missing.
        #expect(figures["journal_wall_microseconds_per_change"]?.isFinite == true)
        #expect(figures["journal_cpu_microseconds_per_change"]?.isFinite == true)
    }
}
