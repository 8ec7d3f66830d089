/// Roster.swift: the `roster` command and the entry point the executable calls.
import ArgumentParser
import Foundation

/// The root command: `roster run | bench`.
public struct Roster: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "roster",
        abstract: "Automate user administration across SaaS vendors with sandboxed Lua scripts.",
        subcommands: [RunCommand.self, ReplCommand.self, PluginCommand.self, EmulatorCommand.self, DocsCommand.self, StubsCommand.self, BenchCommand.self]
    )

    public init() {}

    /// Parses `arguments` and runs the command; returns the process exit code.
    /// Usage errors exit 2 (DESIGN's command-line contract), not ArgumentParser's 64.
    public static func main(arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                return 0
            }
            Diagnostics.error(fullMessage(for: error))
            return ExitStatus.usage
        }
    }
}

/// The exit codes of DESIGN's command-line contract.
public enum ExitStatus {
    public static let success: Int32 = 0
    public static let scriptError: Int32 = 1
    public static let usage: Int32 = 2
    public static let limit: Int32 = 3
    public static let permission: Int32 = 4
}

/// Messages to stderr (stdout is the script's).
enum Diagnostics {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
