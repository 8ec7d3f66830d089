/// OptionRangeTests.swift: a number option given out of its range, a negative one as a
/// separate argument included (`--timeout -1`, which ArgumentParser would otherwise take for
/// an option and answer "Missing value"), is refused at parse time with one line naming the
/// option, its range and what was given.
import ArgumentParser
import Foundation
@testable import RosterCLI
import Testing

@Suite struct OptionRangeTests {
    static let outOfRange: [(arguments: [String], message: String)] = [
        (["run", "a.lua", "--timeout", "-1"], "--timeout must be more than 0 and at most 86400 seconds, got -1"),
        (["run", "a.lua", "--memory-limit", "-64"], "--memory-limit must be between 1 and 65536 MB, got -64"),
        (["run", "a.lua", "--max-changes", "-1"], "--max-changes must be at least 1, got -1"),
        (["run", "a.lua", "--instruction-limit", "-5"], "--instruction-limit must be positive, got -5"),
        (["run", "--each", "rows.csv", "a.lua", "--parallel", "-2"], "--parallel must be from 1 to 64, got -2"),
        (["run", "--each", "rows.csv", "a.lua", "--max-failures", "-1"], "--max-failures must be at least 1, got -1"),
        (["resume", "3", "--max-changes", "-1"], "--max-changes must be at least 1, got -1"),
        (["resume", "3", "--instruction-limit", "0"], "--instruction-limit must be positive, got 0"),
        (["submit", "a.lua", "--instruction-limit", "-1"], "--instruction-limit must be positive, got -1"),
        (["submit", "a.lua", "--max-changes", "-2"], "--max-changes must be at least 1, got -2"),
        (["apply", "plan.json", "--max-changes", "0"], "--max-changes must be at least 1, got 0"),
        (["undo", "3", "--max-changes", "-1"], "--max-changes must be at least 1, got -1"),
        (["plugin", "run", "p", "w", "--max-changes", "0"], "--max-changes must be at least 1, got 0"),
        (["worker", "--lease", "-1"], "--lease must be from 1 to 3600 seconds, got -1"),
        (["worker", "--drain", "-1"], "--drain must be from 0 to 604800 seconds, got -1"),
        (["worker", "--drain", "1e300"], "--drain must be from 0 to 604800 seconds, got 1e+300"),
        (["worker", "--drain", "inf"], "--drain must be from 0 to 604800 seconds, got inf"),
        (["worker", "--name", ""], "--name must be 1 to 200 characters on one line, got ''"),
        (["worker", "--name", "ops\nworker"], "--name must be 1 to 200 characters on one line, got 'ops\\nworker'"),
        (["worker", "--metrics-port", "-1"], "--metrics-port must be from 0 (any free port) to 65535, got -1"),
        (["workers", "--lease", "-1"], "--lease must be from 1 to 3600 seconds, got -1"),
        (["workers", "--lease", "0"], "--lease must be from 1 to 3600 seconds, got 0"),
        (["run", "a.lua", "--timeout", "86400.5"], "--timeout must be more than 0 and at most 86400 seconds, got 86400.5"),
        (["runs", "--limit", "0"], "--limit must be from 1 to 1000000, got 0"),
        (["emulator", "--port", "-1"], "--port must be between 0 and 65535, got -1"),
        (["bench", "--rounds", "0"], "--rounds must be at least 1, got 0"),
        (["bench", "--rounds", "-3"], "--rounds must be at least 1, got -3"),
        (["bench", "--journal", "--vendor-latency", "-5"], "--vendor-latency must be from 0 to 10000 ms, got -5"),
    ]

    @Test(arguments: outOfRange)
    func aNumberOutOfRangeIsRefusedNamingTheOption(_ arguments: [String], message: String) {
        do {
            _ = try Roster.parse(commandLine: arguments)
            Issue.record("\(arguments) parsed")
        } catch {
            #expect(Roster.message(for: error) == message, "\(arguments)")
            #expect(Roster.exitCode(for: error) == .validationFailure, "\(arguments)")
        }
    }

    /// A number option's value may look like an option; a value that is no number at all is
    /// refused as ArgumentParser refuses any bad value, naming the option.
    @Test func aValueThatIsNoNumberNamesTheOption() {
        for (arguments, message) in [
            (["run", "a.lua", "--timeout", "--dry-run"], "The value '--dry-run' is invalid for '--timeout <SEC>'"),
            (["emulator", "--seed", "-1"], "The value '-1' is invalid for '--seed <seed>'"),
        ] {
            do {
                _ = try Roster.parse(commandLine: arguments)
                Issue.record("\(arguments) parsed")
            } catch {
                #expect(Roster.message(for: error) == message, "\(arguments)")
            }
        }
    }

    /// In range, a number is taken as given, a negative one included where the range has it.
    @Test func aNumberInRangeIsTaken() throws {
        let run = try #require(try Roster.parse(commandLine: ["run", "a.lua", "--timeout", "2.5", "--max-changes", "3"]) as? RunCommand)
        #expect(run.limitOptions.timeout == 2.5)
        #expect(run.maxChanges.limit == 3)
        let worker = try #require(try Roster.parse(commandLine: ["worker", "--drain", "0"]) as? WorkerCommand)
        #expect(worker.drain == 0)
    }

    /// The line naming where metrics are read is a URL for any --metrics-address: an IPv6
    /// one bracketed (`http://::1:9100/metrics` read its port as part of the address).
    @Test func theMetricsURLIsOneForAnyAddress() {
        #expect(MetricsServer.url(address: "127.0.0.1", port: 9100) == "http://127.0.0.1:9100/metrics")
        #expect(MetricsServer.url(address: "::1", port: 9100) == "http://[::1]:9100/metrics")
        #expect(URL(string: MetricsServer.url(address: "fe80::1", port: 9100))?.port == 9100)
    }
}
