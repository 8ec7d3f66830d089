/// PluginTestRunner.swift: `roster plugin test NAME` — each `tests/*.lua` of a plugin against a
/// fresh in-process emulator, with `test`, `expect` and `workflow` (a workflow run in the
/// plugin's own sandbox).
import Emulator
import Foundation
import LuaHost
import Synchronization
import Vendors

/// One test's result.
public struct PluginTestResult: Sendable, Equatable {
    /// `tests/onboard.lua`
    public var file: String
    public var name: String
    /// nil: passed.
    public var failure: String?
}

/// Runs a plugin's tests.
public struct PluginTestRunner: Sendable {
    public var manifest: PluginManifest
    public var limits: LuaLimits
    /// The exit codes `workflow()` reports: the command line's, which it decides.
    public var exitCodes: WorkflowExitCodes

    /// The runner outlives every test: a test that hits a limit fails with its message,
    /// and the runner goes on with the next one.
    public init(manifest: PluginManifest, limits: LuaLimits = LuaLimits(), exitCodes: WorkflowExitCodes) {
        self.manifest = manifest
        self.limits = limits.forLongLivedHost
        self.exitCodes = exitCodes
    }

    /// The test files, sorted.
    public var files: [String] {
        let folder = manifest.folder.appendingPathComponent("tests")
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return entries.filter { $0.hasSuffix(".lua") }.sorted().map { "tests/" + $0 }
    }

    /// Runs every test file, each against its own emulator; `report` sees each result as it comes.
    public func run(report: @Sendable (PluginTestResult) -> Void) async -> [PluginTestResult] {
        var results: [PluginTestResult] = []
        for file in files {
            for result in await run(file: file) {
                report(result)
                results.append(result)
            }
        }
        return results
    }

    /// Runs a test file's tests. A limit ends the Lua state it hits (pcall cannot catch
    /// one), so the file is run again from the test after the one that hit it.
    func run(file: String) async -> [PluginTestResult] {
        let path = manifest.folder.appendingPathComponent(file).path
        guard let source = FileManager.default.contents(atPath: path) else {
            return [PluginTestResult(file: file, name: "(file)", failure: "cannot read \(file): \(UserFile.whyUnreadable(path))")]
        }
        var results: [PluginTestResult] = []
        while true {
            let pass = await run(file: file, source: Array(source), skipping: results.count)
            results += pass.results
            guard let stopped = pass.stoppedByLimit else { break }
            results.append(stopped) // that test failed; carry on after it
        }
        if results.isEmpty { results.append(PluginTestResult(file: file, name: "(file)", failure: "no test(...) in the file")) }
        return results
    }

    /// One pass over a file, skipping its first `skipping` tests: their results, and the
    /// failure of the test a limit stopped (then the pass ends there).
    private func run(file: String, source: [UInt8], skipping: Int) async -> (results: [PluginTestResult], stoppedByLimit: PluginTestResult?) {
        let emulator: RunningEmulator
        let tenant: Tenant
        do {
            emulator = try await Emulator.start(VendorRegistry.standard.emulatorConfiguration())
            tenant = try VendorRegistry.standard.emulatorTenant(emulator)
        } catch {
            return ([PluginTestResult(file: file, name: "(file)", failure: "the emulator could not start: \(error)")], nil)
        }
        let recorded = Mutex<[PluginTestResult]>([])
        let report = LuaFunction("__roster_report", "Records a test's result.", parameters: [
            LuaParameter("name", .string, doc: "the test"), LuaParameter("ok", .boolean, doc: "passed"),
            LuaParameter("message", .string, doc: "why it failed"),
        ]) { call in
            let result = PluginTestResult(file: file, name: call.text(1), failure: call.boolean(2) ? nil : call.text(3))
            recorded.withLock { $0.append(result) }
            return .nil
        }
        let running = Mutex<String?>(nil)
        let begin = LuaFunction("__roster_begin", "Notes the test about to run.", parameters: [
            LuaParameter("name", .string, doc: "the test"),
        ]) { call in
            running.withLock { $0 = call.text(1) }
            return .nil
        }
        var runner = VendorScriptRunner(tenant: tenant, limits: limits, globals: [
            "__roster_test_source": .string(LuaString(bytes: source)),
            "__roster_skip": .integer(Int64(skipping)),
            "__roster_test_name": .string(LuaString("@\(manifest.name)/\(file)")),
        ])
        let reset = LuaFunction("__roster_reset", "Puts the emulator back to its demo data.") { _ in
            emulator.world.reset()
            return .nil
        }
        runner.functions = [report, begin, reset, workflowFunction(tenant: tenant)]
        let output = CollectedOutput()
        let result = await runner.run(LuaScript(name: "\(manifest.name)/\(file)", source: Self.prelude, directory: manifest.folder.path),
                                      dryRun: false, output: output)
        await emulator.stop()
        var results = recorded.withLock { $0 }
        let unfinished = running.withLock { $0 }.flatMap { name in results.last?.name == name ? nil : name }
        guard let failure = result.outcome.message else { return (results, nil) }
        if case .limit = result.outcome, let unfinished {
            return (results, PluginTestResult(file: file, name: unfinished, failure: failure))
        }
        results.append(PluginTestResult(file: file, name: "(file)", failure: failure))
        return (results, nil)
    }

    /// `workflow(name, params, {dry_run = bool})`: runs a workflow in the plugin's sandbox
    /// against the test's emulator.
    func workflowFunction(tenant: Tenant) -> LuaFunction {
        let manifest = self.manifest, limits = self.limits
        return LuaFunction("workflow", "Runs one of the plugin's workflows in its own sandbox; returns {ok, exit_code, error, output, plan}.",
                           parameters: [
                               LuaParameter("name", .string, doc: "the workflow"),
                               LuaParameter("params", .table, optional: true, doc: "its parameters, as --arg would give them"),
                               LuaParameter("options", .table, optional: true, doc: "{dry_run = boolean}"),
                           ], body: .async { call in
            let name = call.text(1)
            guard let workflow = manifest.workflow(named: name) else {
                throw LuaError("\(manifest.name) has no workflow '\(name)'; it has " + manifest.workflows.map(\.name).joined(separator: ", "))
            }
            var arguments: [String: String] = [:]
            if case .table(let table) = try call.value(2) {
                for (key, value) in table.fields {
                    guard let key = key.text else { continue }
                    switch value {
                    case .string(let text): arguments[key] = text.text
                    case .integer(let number): arguments[key] = String(number)
                    case .number(let number): arguments[key] = String(number)
                    case .boolean(let flag): arguments[key] = String(flag)
                    default: throw LuaError("argument #2 (params) field \(key): expected a string, number or boolean")
                    }
                }
            }
            var dryRun = false
            if case .boolean(let flag) = try call.option(3, "dry_run") { dryRun = flag }
            let script = try manifest.script(workflow)
            let given = arguments, dryRunGiven = dryRun
            return {
                let parameters: LuaTable
                do {
                    parameters = try workflow.parameters(from: given, plugin: manifest.name)
                } catch {
                    return .value(.table(LuaTable(["ok": false, "exit_code": .integer(Int64(exitCodes.usage)), "error": .string(LuaString("\(error)"))])))
                }
                let output = CollectedOutput()
                let result = await manifest.runner(workflow, parameters: parameters, settings: manifest.defaultSettings, tenant: tenant, limits: limits)
                    .run(script, dryRun: dryRunGiven, output: output)
                let error: LuaValue = result.outcome.message.map { .string(LuaString($0)) } ?? .nil
                return .value(.table(LuaTable([
                    "ok": .boolean(result.outcome == .success), "exit_code": .integer(Int64(exitCodes.outcome(result.outcome))),
                    "error": error, "output": .string(LuaString(output.text)), "plan": .integer(Int64(result.plan.count)),
                ])))
            }
        })
    }
}

/// The exit codes a workflow run would give on the command line, for a plugin test's
/// `workflow()` result (RosterCLI owns the codes and passes them in).
public struct WorkflowExitCodes: Sendable {
    /// The code of a run that ended so.
    public var outcome: @Sendable (LuaRunOutcome) -> Int32
    /// The code of a usage mistake (a bad `--arg`).
    public var usage: Int32

    public init(outcome: @escaping @Sendable (LuaRunOutcome) -> Int32, usage: Int32) {
        self.outcome = outcome
        self.usage = usage
    }
}
