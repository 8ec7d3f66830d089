/// DemoModule.swift: a test-only Lua module exercising every path of the bridge, and
/// helpers to run a script and read what came of it.
import Foundation
import LuaHost
import Synchronization

/// Counts live instances, per test, so tests can see that every bridge path frees what it
/// made (tests run in parallel: each counts in its own scope).
public final class DeinitCounter: Sendable {
    @TaskLocal public static var scope = ""
    private static let counts = Mutex<[String: Int]>([:])
    private let scope: String

    public init() {
        scope = Self.scope
        Self.counts.withLock { $0[scope, default: 0] += 1 }
    }

    deinit {
        let scope = self.scope
        Self.counts.withLock { $0[scope, default: 0] -= 1 }
    }

    /// Instances made in `scope` and not yet freed.
    public static func live(in scope: String) -> Int {
        counts.withLock { $0[scope, default: 0] }
    }

    /// Runs `body` in a fresh scope; returns its result and the instances it left alive.
    public static func counting<T: Sendable>(_ body: () async -> T) async -> (T, live: Int) {
        let scope = UUID().uuidString
        let result = await $scope.withValue(scope) { await body() }
        try? await Task.sleep(for: .milliseconds(20)) // cancelled work finishes its cleanup
        return (result, live(in: scope))
    }
}

/// A Swift error a binding throws.
public struct DemoFailure: Error, CustomStringConvertible {
    public var description: String { "the demo failed on purpose" }
}

/// A Swift error with a Lua error object of its own.
public struct DemoVendorError: LuaErrorConvertible {
    public var luaErrorValue: LuaValue {
        .table(LuaTable(["vendor": "demo", "status": .integer(503), "message": "unavailable", "retryable": true]))
    }
}

public enum Demo {
    /// `demo.*`: sync and async functions for the host tests.
    public static let module = LuaModule("demo", "Test-only functions.", functions: [
        LuaFunction("add", "Adds two integers.", parameters: [
            LuaParameter("a", .integer, doc: "first"),
            LuaParameter("b", .integer, doc: "second"),
        ], result: LuaResult("integer", doc: "a + b")) { call in
            .integer(call.integer(1) &+ call.integer(2))
        },
        LuaFunction("echo", "Returns its argument after a trip through Swift.", parameters: [
            LuaParameter("value", .any, doc: "any value that can cross"),
        ]) { call in try call.value(1) },
        LuaFunction("id", "Accepts an integer or a string id.", parameters: [
            LuaParameter("id", .integer, .string, doc: "the id"),
            LuaParameter("options", .table, optional: true, doc: "{verbose = bool}"),
        ]) { call in
            let verbose = try call.option(2, "verbose")
            return .table(LuaTable(["id": try call.value(1), "verbose": verbose]))
        },
        LuaFunction("name_of", "Reads t.name, honouring __index.", parameters: [
            LuaParameter("t", .table, doc: "a table"),
        ]) { call in
            let tracked = DeinitCounter()
            _ = tracked
            return try call.field(1, "name")
        },
        LuaFunction("fail", "Throws a Swift error.") { _ in
            let tracked = DeinitCounter()
            _ = tracked
            throw DemoFailure()
        },
        LuaFunction("vendor_fail", "Throws an error with a Lua error object.") { _ in
            throw DemoVendorError()
        },
        LuaFunction("big", "Returns a table of n strings of 1 KiB each.", parameters: [
            LuaParameter("n", .integer, doc: "how many"),
        ]) { call in
            let tracked = DeinitCounter()
            _ = tracked
            let chunk = LuaValue.string(LuaString(String(repeating: "x", count: 1024)))
            return .table(LuaTable(sequence: Array(repeating: chunk, count: Int(call.integer(1)))))
        },
        LuaFunction("sleep", "Waits ms milliseconds without blocking a thread; returns ms.", parameters: [
            LuaParameter("ms", .integer, doc: "milliseconds"),
        ], body: .async { call in
            let milliseconds = call.integer(1)
            return {
                let tracked = DeinitCounter()
                _ = tracked
                try await Task.sleep(for: .milliseconds(milliseconds))
                return .value(.integer(milliseconds))
            }
        }),
        LuaFunction("sleep_fail", "Waits ms milliseconds, then fails.", parameters: [
            LuaParameter("ms", .integer, doc: "milliseconds"),
        ], body: .async { call in
            let milliseconds = call.integer(1)
            return {
                try await Task.sleep(for: .milliseconds(milliseconds))
                throw DemoFailure()
            }
        }),
        LuaFunction("big_later", "Waits, then returns n strings of 1 KiB.", parameters: [
            LuaParameter("n", .integer, doc: "how many"),
        ], body: .async { call in
            let count = Int(call.integer(1))
            return {
                try await Task.sleep(for: .milliseconds(1))
                let chunk = LuaValue.string(LuaString(String(repeating: "y", count: 1024)))
                return .value(.table(LuaTable(sequence: Array(repeating: chunk, count: count))))
            }
        }),
    ])
}

/// What a test run produced.
public struct ScriptResult: Sendable {
    public var outcome: LuaRunOutcome
    public var output: String
    public var seconds: Double
}

/// Runs `source` with the demo module; `files` are written beside the script, and `links`
/// are symbolic links there (name: target).
///
/// The default limit is a safety net for a run that hangs, not a timing: the whole suite
/// runs in parallel on two cores, where a short run was seen starved for over 10 s.
public func runScript(
    _ source: String, limits: LuaLimits = LuaLimits(timeout: .seconds(60)), globals: [String: LuaValue] = [:],
    files: [String: String] = [:], links: [String: String] = [:], executor: LuaExecutor = .shared
) async -> ScriptResult {
    var directory: String?
    if !files.isEmpty || !links.isEmpty {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-test-\(UUID().uuidString)")
        for (name, contents) in files {
            let url = folder.appendingPathComponent(name)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? contents.write(to: url, atomically: true, encoding: .utf8)
        }
        for (name, target) in links {
            try? FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent(name).path, withDestinationPath: target)
        }
        directory = folder.path
    }
    defer { if let directory { try? FileManager.default.removeItem(atPath: directory) } }
    let output = CollectedOutput()
    // In-process runs never rely on the watchdog (it ends the process: the CLI tests cover
    // it); a long grace keeps a loaded CI machine from ending the test runner.
    var limits = limits
    limits.watchdogGrace = .seconds(30)
    let runner = LuaRunner(limits: limits, modules: [Demo.module], globals: globals, executor: executor)
    let clock = ContinuousClock()
    let start = clock.now
    let outcome = await runner.run(LuaScript(name: "test.lua", source: source, directory: directory), output: output)
    let elapsed = clock.now - start
    return ScriptResult(outcome: outcome, output: output.text, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
