/// RunCommand.swift: `roster run SCRIPT.lua`.
import ArgumentParser
import Foundation
import LuaHost

/// Runs an admin's script in a fresh sandbox with hard limits.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Lua script in the sandbox.",
        discussion: """
            Exit codes: 0 success; 1 script error (FILE:LINE: message); 2 usage error;
            3 a limit was hit (timeout, memory, instructions, output, recursion).
            """
    )

    @Argument(help: "The Lua script to run.")
    var script: String

    @Option(name: .customLong("arg"), help: ArgumentHelp("Sets args[KEY] = VALUE in the script (repeatable).", valueName: "KEY=VALUE"))
    var arguments: [String] = []

    @Option(help: ArgumentHelp("Wall-clock limit for the whole run, waiting on I/O included.", valueName: "SEC"))
    var timeout: Double = 60

    @Option(name: .customLong("memory-limit"), help: ArgumentHelp("Memory the script may use.", valueName: "MB"))
    var memoryLimit: Int = 64

    @Option(name: .customLong("instruction-limit"), help: ArgumentHelp("Lua instructions the script may run (off by default: counting costs speed).", valueName: "N"))
    var instructionLimit: Int64?

    @Flag(help: "Show a traceback with script errors.")
    var verbose = false

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else {
            throw ValidationError("--timeout must be more than 0 and at most 86400 seconds, got \(timeout)")
        }
        guard memoryLimit >= 1, memoryLimit <= 65_536 else {
            throw ValidationError("--memory-limit must be between 1 and 65536 MB, got \(memoryLimit)")
        }
        if let instructionLimit, instructionLimit < 1 {
            throw ValidationError("--instruction-limit must be positive, got \(instructionLimit)")
        }
        _ = try scriptArguments()
    }

    /// `--arg K=V` pairs as the `args` table.
    func scriptArguments() throws -> [String: LuaValue] {
        var table: [String: LuaValue] = [:]
        for pair in arguments {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--arg expects KEY=VALUE, got '\(pair)'")
            }
            table[String(pair[..<equals])] = .string(LuaString(String(pair[pair.index(after: equals)...])))
        }
        return table
    }

    func run() async throws {
        guard let source = FileManager.default.contents(atPath: script) else {
            Diagnostics.error("roster: cannot read script '\(script)': no such file or not readable")
            throw ExitCode(ExitStatus.usage)
        }
        var fields: [LuaValue: LuaValue] = [:]
        for (key, value) in try scriptArguments() { fields[.string(LuaString(key))] = value }
        let limits = LuaLimits(
            memory: memoryLimit << 20,
            timeout: .milliseconds(Int64((timeout * 1000).rounded())),
            instructions: instructionLimit)
        let runner = LuaRunner(limits: limits, globals: ["args": .table(LuaTable(fields: fields))])
        let directory = (script as NSString).deletingLastPathComponent
        let outcome = await runner.run(
            LuaScript(name: script, source: Array(source), directory: directory.isEmpty ? "." : directory),
            output: StandardOutput())
        switch outcome {
        case .success: break
        case .scriptError(let message, let traceback): Diagnostics.error(verbose ? traceback : message)
        case .limit(_, let message): Diagnostics.error("roster: \(message)")
        case .hostError(let message): Diagnostics.error("roster: \(message)")
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}

/// The script's `print`, to the process's stdout.
struct StandardOutput: LuaOutput {
    func write(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }
}
