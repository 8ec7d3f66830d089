/// EmulatorCommandTests.swift: `roster emulator` as a user starts it: it listens, writes a
/// configuration pointing at itself, and stops cleanly on Ctrl-C.
import Emulator
import Foundation
@testable import RosterCLI
import Testing
import TestSupport

@Suite struct EmulatorCommandTests {
    @Test func servesWritesItsConfigurationAndStops() async throws {
        let folder = try RosterProcess.scriptFolder([:])
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("demo/roster.toml")

        let process = try RosterProcess.spawn(["emulator", "--port", "0", "--write-config", config.path, "--faults", "latency=1ms"], in: RosterProcess.root)
        defer { process.send(SIGTERM) }
        let marker = "listening on http://127.0.0.1:"
        let said = try await Self.line(in: process, containing: marker)
        let port = said.flatMap { line in line.range(of: marker).flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) } }
        let bound = try #require(port, "no 'listening on' line in: \(process.errorTextSoFar)")
        #expect(process.errorTextSoFar.contains("with faults latency=1ms"))

        let state = try await TestHTTP.get("http://127.0.0.1:\(bound)/_emulator/state")
        #expect(state.status == 200)
        #expect(state.text.contains("\"encore\""))

        let text = try String(contentsOf: config, encoding: .utf8)
        #expect(text.contains("base_url = \"http://127.0.0.1:\(bound)/encore\""))
        #expect(text.contains("subscription_key = { file = \"secrets/encore.key\" }"))
        let secret = config.deletingLastPathComponent().appendingPathComponent("secrets/encore.key")
        let mode = try FileManager.default.attributesOfItem(atPath: secret.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // The port is taken now: a second emulator says so and exits 2.
        let second = try await RosterProcess.run(["emulator", "--port", String(bound)], limit: 20)
        #expect(second.status == 2)
        #expect(second.stderr == "roster: the emulator could not listen on 127.0.0.1:\(bound): port \(bound) is in use\n", "\(second.stderr)")

        // The configuration and its secrets exist now: never replaced without --force.
        let again = try await RosterProcess.run(["emulator", "--port", "0", "--write-config", config.path], limit: 20)
        #expect(again.status == 2)
        #expect(again.stderr == "roster: --write-config: \(config.path) already exists; not replacing it (add --force to replace the configuration and its secrets/)\n")
        try FileManager.default.removeItem(at: config)
        let secretOnly = try await RosterProcess.run(["emulator", "--port", "0", "--write-config", config.path], limit: 20)
        #expect(secretOnly.status == 2)
        #expect(secretOnly.stderr.contains("/demo/secrets/") && secretOnly.stderr.contains(" already exists; not replacing it"), "\(secretOnly.stderr)")
        #expect(!FileManager.default.fileExists(atPath: config.path))

        process.send(SIGINT)
        #expect(try await process.wait(limit: 5) == 0)
    }

    /// On an IPv6 address the emulator names itself, and writes its configuration, with
    /// the address in brackets, as a URL has it: a run then reaches it.
    @Test func anIPv6EmulatorWritesAConfigurationThatWorks() async throws {
        #expect(RunningEmulator.origin(host: "::1", port: 8089) == "http://[::1]:8089")
        #expect(RunningEmulator.origin(host: "127.0.0.1", port: 8089) == "http://127.0.0.1:8089")
        let folder = try RosterProcess.scriptFolder(["s.lua": "print(encore.get_user(1001).user_name)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("roster.toml")
        let process = try RosterProcess.spawn(["emulator", "--host", "::1", "--port", "0", "--write-config", config.path], in: RosterProcess.root)
        defer { process.send(SIGTERM) }
        let said = try #require(try await Self.line(in: process, containing: "listening on", "could not listen"), "\(process.errorTextSoFar)")
        // A machine without IPv6 on its loopback cannot serve there: that is said in one line.
        guard said.contains("listening on") else {
            #expect(said.hasPrefix("roster: the emulator could not listen on [::1]:0: "), "\(said)")
            return
        }
        #expect(said.hasPrefix("roster: emulator listening on http://[::1]:"), "\(said)")
        let text = try String(contentsOf: config, encoding: .utf8)
        #expect(text.contains("base_url = \"http://[::1]:"), "\(text)")
        let ran = try await RosterProcess.run(["run", "s.lua", "--config", config.path], in: folder, environment: JournalTests.journal(folder))
        #expect(ran.status == 0 && ran.stdout == "ada\n", "\(ran.stderr)")
    }

    /// The first line `process` has said on stderr holding one of `texts`, waited for up to 10 s.
    static func line(in process: SpawnedRoster, containing texts: String...) async throws -> String? {
        for _ in 0..<200 {
            if let line = process.errorTextSoFar.split(separator: "\n").first(where: { line in texts.contains { line.contains($0) } }) { return String(line) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test func badArgumentsAreExit2() async throws {
        let faults = try await RosterProcess.run(["emulator", "--faults", "error500=7"])
        #expect(faults.status == 2)
        #expect(faults.stderr.contains("bad fault 'error500=7'"))
        let port = try await RosterProcess.run(["emulator", "--port", "70000"])
        #expect(port.status == 2)
    }

    /// NIO's bind errors in words (no DNS here: a test touches no network).
    @Test(arguments: [
        ("bind(descriptor:ptr:bytes:): Address already in use (errno: 98)", "port 8089 is in use"),
        ("bind(descriptor:ptr:bytes:): Permission denied (errno: 13)", "permission denied (ports below 1024 need privileges)"),
        ("bind(descriptor:ptr:bytes:): Cannot assign requested address (errno: 99)", "that address is not on this machine"),
        ("SocketAddressError.UnknownHost: Name or service not known (error -2) for host x.invalid, port 8089",
         "no such host name (give an address of this machine, like 127.0.0.1)"),
        ("bind(descriptor:ptr:bytes:): Something else (errno: 1)", "Something else"),
    ])
    func bindFailuresAreWords(raw: String, expected: String) {
        #expect(ListenFailure.describe(RawError(text: raw), port: 8089) == expected)
    }

    private struct RawError: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }
}
