/// EmulatedRun.swift: scripts run through the vendor modules against a fresh in-process
/// emulator, and a view of the emulator's state for assertions.
import Emulator
import Engine
import Foundation
import LuaHost
import Synchronization
import Testing
import Vendors

/// An emulator for one test, and scripts run against it.
struct EmulatedRun {
    let emulator: RunningEmulator
    let runner: VendorScriptRunner

    /// Starts an emulator, runs `body`, stops the emulator.
    static func with<T>(_ body: (EmulatedRun) async throws -> T) async throws -> T {
        let emulator = try await Emulator.start(VendorRegistry.standard.emulatorConfiguration())
        let run = EmulatedRun(emulator: emulator, runner: VendorScriptRunner(tenant: try VendorRegistry.standard.emulatorTenant(emulator), limits: LuaLimits(timeout: .seconds(30))))
        do {
            let result = try await body(run)
            await emulator.stop()
            return result
        } catch {
            await emulator.stop()
            throw error
        }
    }

    /// Runs Lua source; returns the result and what it printed.
    func lua(_ source: String, name: String = "test.lua", arguments: [String: String] = [:], inputs: [ScriptInput] = [],
             dryRun: Bool = false) async -> (result: ScriptRunResult, output: String) {
        let output = CollectedOutput()
        let result = await runner.run(LuaScript(name: name, source: source), arguments: arguments, inputs: inputs, dryRun: dryRun, output: output)
        return (result, output.text)
    }

    /// Runs Lua source that must succeed (its asserts pass); returns what it printed.
    @discardableResult
    func expectSuccess(_ source: String, dryRun: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) async -> String {
        let (result, output) = await lua(source, dryRun: dryRun)
        #expect(result.outcome == .success, "\(result.outcome.summaryForTests)\n\(output)", sourceLocation: sourceLocation)
        return output
    }

    /// Runs a script from `scripts/`.
    func script(_ name: String, arguments: [String: String] = [:], inputs: [String] = [], dryRun: Bool = false) async throws -> (result: ScriptRunResult, output: String) {
        let url = Self.scripts.appendingPathComponent(name)
        let source = try Data(contentsOf: url)
        let files = try inputs.map { path in ScriptInput(name: path, contents: Array(try Data(contentsOf: Self.root.appendingPathComponent(path)))) }
        let output = CollectedOutput()
        let result = await runner.run(LuaScript(name: "scripts/" + name, source: Array(source), directory: Self.scripts.path),
                                      arguments: arguments, inputs: files, dryRun: dryRun, output: output)
        return (result, output.text)
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scripts = root.appendingPathComponent("scripts")

    /// The emulator's state now.
    var state: EmulatorState { EmulatorState(dump: emulator.world.dump()) }
}

/// The emulator's state, with lookups for assertions.
struct EmulatorState {
    let dump: [String: Any]

    private func list(_ vendor: String) -> [[String: Any]] { dump[vendor] as? [[String: Any]] ?? [] }

    func encoreUser(_ userName: String) -> [String: Any]? { list("encore").first { $0["UserName"] as? String == userName } }
    var encoreUserNames: [String] { list("encore").compactMap { $0["UserName"] as? String } }
    func guardantUser(_ email: String) -> [String: Any]? { list("guardant").first { $0["email"] as? String == email } }
    var guardantEmails: [String] { list("guardant").compactMap { $0["email"] as? String } }
    func allthenticateUser(_ email: String) -> [String: Any]? { list("allthenticate").first { $0["email"] as? String == email } }
    func active911Members(_ agency: String = Active911API.agency) -> [[String: Any]] {
        (list("active911").first { $0["id"] as? String == agency }?["members"] as? [[String: Any]]) ?? []
    }
    func activeconnectUser(_ user: String) -> [String: Any]? {
        ((dump["activeconnect"] as? [String: Any])?[ActiveconnectAPI.applicationID] as? [String: Any])?[user] as? [String: Any]
    }
}

extension LuaRunOutcome {
    var summaryForTests: String {
        switch self {
        case .success: "success"
        case .scriptError(let message, _), .limit(_, let message), .hostError(let message): message
        }
    }
}
