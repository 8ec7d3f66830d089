/// Roster.swift: the `roster` command and the entry point the executable calls.
import ArgumentParser
import Bindings
import Engine
import Foundation
import Journal
import LuaHost
import Synchronization

/// The root command: `roster run | repl | plugin | emulator | docs | stubs | bench`.
public struct Roster: AsyncParsableCommand {
    public static var configuration: CommandConfiguration {
        skipsCompletionScriptCheck.withLock { $0 } ? parsingConfiguration : plainConfiguration
    }

    static let plainConfiguration = CommandConfiguration(
        commandName: "roster",
        abstract: "Automate user administration across SaaS vendors with sandboxed Lua scripts.",
        // The version plugin manifests' `roster = ">=..."` ranges are checked against.
        version: RosterVersion.current.description,
        subcommands: [RunCommand.self, ResumeCommand.self, SubmitCommand.self, CancelCommand.self, WorkerCommand.self, WorkersCommand.self, PlanCommand.self, ApplyCommand.self, UndoCommand.self, RunsCommand.self, AuditCommand.self, ReplCommand.self, PluginCommand.self, EmulatorCommand.self,
                      DocsCommand.self, StubsCommand.self, BenchCommand.self]
    )

    /// The configuration while a command line without `--generate-completion-script` is
    /// parsed. ArgumentParser looks for that option by parsing two commands of its own
    /// first, which cost every start about a tenth of its time (each new type it meets
    /// costs a scan of the binary's protocol conformances); it skips that look for a root
    /// with a super-command name. The name shows only in help and usage text, which are
    /// written after the parse, from `plainConfiguration`.
    private static let parsingConfiguration: CommandConfiguration = {
        var configuration = plainConfiguration
        configuration._superCommandName = ""
        return configuration
    }()

    private static let skipsCompletionScriptCheck = Mutex(false)

    /// `arguments` parsed with the subcommand they name as the root, when that subcommand has
    /// none of its own and they parse to it (not to an error or a request for help).
    static func parsedAsLeaf(_ arguments: [String]) -> (any ParsableCommand)? {
        guard let name = arguments.first,
              let leaf = plainConfiguration.subcommands.first(where: { $0._commandName == name }),
              leaf.configuration.subcommands.isEmpty,
              let command = try? leaf.parseAsRoot(Array(arguments.dropFirst())),
              type(of: command) == leaf else { return nil }
        return command
    }

    /// Parses `arguments` as a command line (`parseAsRoot`), without ArgumentParser's look
    /// for `--generate-completion-script` when no argument asks for it.
    ///
    /// A command line for a subcommand with none of its own (`roster run SCRIPT`) is first
    /// parsed with that subcommand as the root (a `LeafCommand`). The walk down from
    /// `roster` asks, on meeting the subcommand's name, whether it captures all remaining
    /// input, and ArgumentParser answers by building the subcommand's whole argument set,
    /// twice, before building it again to parse it: about a tenth of a start's instructions.
    /// Only a command line that parses to the subcommand itself is taken from this parse;
    /// anything else (an error, `--help`) is parsed again from `roster`, so that messages,
    /// help and exit codes are ArgumentParser's as they were.
    static func parse(commandLine arguments: [String]) throws -> any ParsableCommand {
        let asksForCompletion = arguments.contains { $0.hasPrefix("--generate-completion-script") }
        if !asksForCompletion, let command = parsedAsLeaf(arguments) { return command }
        try refuseUnknownCommand(arguments)
        skipsCompletionScriptCheck.withLock { $0 = !asksForCompletion }
        defer { skipsCompletionScriptCheck.withLock { $0 = false } }
        return try parseAsRoot(arguments)
    }

    /// A word that names no command where one is expected (`roster rnu x.lua`, `roster plan
    /// aply`), or `roster help` of one (`roster help encore`): one line saying so, with the
    /// command probably meant, or where a module's documentation is; exit 2. ArgumentParser
    /// said only `2 unexpected arguments` for the first, and printed the whole help with
    /// exit 0 for the last.
    static func refuseUnknownCommand(_ arguments: [String]) throws {
        let asksForHelp = arguments.first == "help"
        var path = "roster"
        var subcommands = plainConfiguration.subcommands
        var hasDefault = false
        for word in arguments.dropFirst(asksForHelp ? 1 : 0) {
            // An option ends the walk: ArgumentParser says what is wrong with it.
            guard !word.hasPrefix("-"), word != "help" else { return }
            if let command = subcommands.first(where: { $0._commandName == word }) {
                subcommands = command.configuration.subcommands
                if subcommands.isEmpty { return }
                path += " " + word
                hasDefault = command.configuration.defaultSubcommand != nil
                continue
            }
            let names = subcommands.map { $0._commandName }
            // Two edits even for a short word (`ru`): there are few names to confuse it with.
            let near = NearNames.near(word, in: names, within: max(2, NearNames.limit(for: word))).first
            // `roster runs 5`: a run's id where the default subcommand (the list) takes none.
            let shows = hasDefault && Int(word) != nil && names.contains("show")
            // Else a command with a default subcommand may take the word as that one's.
            if hasDefault, near == nil, !shows { return }
            let fix: String
            if shows {
                fix = "to show it: \(path) show \(word)"
            } else if path == "roster", word.hasSuffix(".lua") {
                fix = "to run the script: roster run \(Diagnostics.shellWord(word))"
            } else if path == "roster", Documentation.text(topic: word, in: DocumentedModules.all) != nil {
                let isModule = DocumentedModules.all.contains { $0.name == word }
                fix = "for the Lua \(isModule ? "module" : "function"): roster docs \(word)"
            } else if let near {
                let meant = (path.split(separator: " ").dropFirst().map(String.init) + [near]).joined(separator: " ")
                fix = "did you mean '\(near)'?" + (asksForHelp ? " (roster help \(meant))" : "")
            } else {
                fix = "\(path) --help lists them"
            }
            Diagnostics.error("roster: '\(word)' is not a \(path) command; \(fix)")
            throw ExitCode(ExitStatus.usage)
        }
    }

    public init() {}

    /// Runs this process's command line and exits with its code; called on the main thread
    /// (`main.swift`). The command runs on the concurrency pool while this thread opens the
    /// journal early (`EarlyJournal`), then waits for the exit. Not an async `main`: that
    /// ends in `dispatch_main`, whose `pthread_exit` unwinds the main thread's stack with
    /// libgcc_s (loaded for it), reading the binary's unwind tables, at every start.
    ///
    /// An argument that is not valid UTF-8 is refused here, before Swift repairs it into
    /// U+FFFD (which a script would then send to a vendor as if it were the real text).
    public static func runCommandLineAndExit() -> Never {
        // Output to a reader that has gone (`roster runs | head -1`) is an EPIPE the writer
        // handles, not a signal that kills the process (NIO ignored it, when it started first).
        signal(SIGPIPE, SIG_IGN)
        StandardDescriptors.holdClosedOnes()
        let raw = (1..<Int(CommandLine.argc)).map { index -> [UInt8] in
            guard let pointer = CommandLine.unsafeArgv[index] else { return [] }
            return Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
        }
        let arguments = raw.map { String(decoding: $0, as: UTF8.self) }
        if let bad = raw.firstIndex(where: { String(validating: $0, as: UTF8.self) == nil }) {
            let after = bad > 0 ? " (after \(arguments[bad - 1]))" : ""
            Diagnostics.error("roster: argument \(bad + 1)\(after) is not valid UTF-8; give text in UTF-8")
            Foundation.exit(ExitStatus.usage)
        }
        let early = EarlyJournal.start(for: arguments)
        atexit { CommandOutput.flushAtExit() }
        Task.detached {
            let code = await main(arguments: arguments)
            Foundation.exit(CommandOutput.finish(exitCode: code))
        }
        early?.open()
        // Signals reach the handlers libdispatch installs (`ProcessStopSignals`), which
        // interrupt this wait; the process ends in the task's `exit`.
        while true { pause() }
    }

    /// Parses `arguments` and runs the command; returns the process exit code.
    /// Usage errors exit 2 (DESIGN's command-line contract), not ArgumentParser's 64.
    public static func main(arguments: [String]) async -> Int32 {
        do {
            try await run(parse(commandLine: try hoistingParentOptions(arguments)))
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                return 0
            }
            let message = fullMessage(for: error)
            // `roster runs show -1`: ArgumentParser reads a negative number as an option and
            // then misses the run, a message that names neither.
            if message.contains("Missing expected argument '<run>'"),
               let negative = arguments.first(where: { $0.count > 1 && $0.hasPrefix("-") && Int64($0) != nil }) {
                Diagnostics.error("roster: \(negative) is not a run's id: ids are positive numbers (roster runs lists them)")
                return ExitStatus.usage
            }
            Diagnostics.error(message)
            return ExitStatus.usage
        }
    }
}

/// A subcommand of `roster` with no subcommands of its own (`run`, `apply`, `undo`...), whose
/// command line `Roster.parse(commandLine:)` parses with it as the root. Its configuration
/// is declared as `leafConfiguration`; the one ArgumentParser reads adds `roster` as its
/// super-command, which counts only where it is the root: its usage then reads
/// `roster run ...`, and ArgumentParser skips its look for `--generate-completion-script`
/// (two commands of its own parsed first), as it does for `roster` itself.
protocol LeafCommand: ParsableCommand {
    /// The configuration as written.
    static var leafConfiguration: CommandConfiguration { get }
}

extension LeafCommand {
    static var configuration: CommandConfiguration {
        var configuration = leafConfiguration
        configuration._superCommandName = Roster.plainConfiguration.commandName
        return configuration
    }
}

extension Roster {
    /// Runs a parsed command. Generic so that the cast to `AsyncParsableCommand` starts
    /// from the command's own type, not from `any ParsableCommand`, whose own conformance
    /// the runtime would look up first (a scan of the binary's conformance records).
    private static func run<Command: ParsableCommand>(_ command: Command) async throws {
        if var asyncCommand = command as? AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            var command = command
            try command.run()
        }
    }

    /// The options a parent command accepts before its subcommand as well as after it
    /// (`roster plugin --plugins DIR list`); each is a subcommand option underneath.
    /// (A list, not a dictionary of sets: this runs at every start, where each first use of
    /// a generic type costs a scan of the binary's conformance records.)
    /// `without`: the subcommands that take none of them (a plugin's keys and packages are
    /// made from what they are given, not from a plugins folder).
    static let parentOptions: [(command: String, options: [String], without: [String])] = [("plugin", ["--plugins"], ["keygen", "pack"])]

    /// `plugin --plugins DIR list` → `plugin list --plugins DIR`: ArgumentParser reads a
    /// subcommand's options only after its name.
    static func hoistingParentOptions(_ arguments: [String]) throws -> [String] {
        guard let command = arguments.first, let parent = parentOptions.first(where: { $0.command == command }) else { return arguments }
        let options = parent.options
        var moved: [String] = []
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            let name = String(argument.prefix { $0 != "=" })
            guard options.contains(name) else { break }
            let takesNext = !argument.contains("=") && index + 1 < arguments.count
            moved += arguments[index...(takesNext ? index + 1 : index)]
            index += takesNext ? 2 : 1
        }
        guard !moved.isEmpty, index < arguments.count else { return arguments }
        if parent.without.contains(arguments[index]) {
            Diagnostics.error("roster: `\(command) \(arguments[index])` takes no \(moved[0].prefix { $0 != "=" }): it works on what it is given, not on a plugins folder")
            throw ExitCode(ExitStatus.usage)
        }
        return [command, arguments[index]] + moved + arguments[(index + 1)...]
    }
}

/// The exit codes of DESIGN's command-line contract.
public enum ExitStatus {
    public static let success: Int32 = 0
    public static let scriptError: Int32 = 1
    public static let usage: Int32 = 2
    public static let limit: Int32 = 3
    public static let permission: Int32 = 4
    /// A change's outcome is unknown and cannot be checked: the admin decides
    /// (`roster resume RUN --assume-sent` or `--assume-not-sent`).
    public static let decision: Int32 = 5
    /// A saved plan is stale (the script now wants other changes) or was already applied.
    public static let stalePlan: Int32 = 6
    /// Stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report).
    public static let interrupted: Int32 = 130

    /// The code of a run that ended with `outcome`.
    public static func of(_ outcome: LuaRunOutcome) -> Int32 {
        switch outcome {
        case .success: success
        case .scriptError, .hostError: scriptError
        case .limit(.permission, _): permission
        case .limit(.decision, _): decision
        case .limit(.journal, _): scriptError
        case .limit(.stalePlan, _): stalePlan
        case .limit(.interrupted, _): interrupted
        case .limit: limit
        }
    }

    /// What plugin tests' `workflow()` reports.
    static let forWorkflows = WorkflowExitCodes(outcome: { of($0) }, usage: usage)
}

extension FileHandle {
    /// Writes `text` as UTF-8, at once; to stdout through `CommandOutput`, which notices a
    /// failed write; to stderr, a reader that has gone or a full disk loses it silently.
    /// Through a buffer: `Data(_: some Sequence)` looks its argument up as
    /// `ContiguousBytes` at run time, a scan of the binary's conformance records.
    func write(text: String) {
        if fileDescriptor == STDOUT_FILENO { return CommandOutput.write(text, now: true) }
        var text = text
        text.withUTF8 { try? write(contentsOf: Data(buffer: $0)) }
    }
}

/// Messages to stderr (stdout is the script's).
/// A file a command reads, as a refusal to write over it names it: `the script`.
struct ReadFile {
    var what: String
    var path: String?

    /// What a run reads: its script, its CSV, its inputs and its configuration.
    static func ofRun(script: String?, each: String?, inputs: [String], configuration: String?) -> [ReadFile] {
        [ReadFile(what: "the script", path: script), ReadFile(what: "the --each CSV", path: each)]
            + inputs.map { ReadFile(what: "--input '\($0)'", path: $0) }
            + [ReadFile(what: "the configuration", path: configuration)]
    }

    /// A SQLite journal's files (the database and SQLite's own beside it); none for a
    /// PostgreSQL journal. Written over, every run's record would be lost.
    static func ofJournal(_ location: String) -> [ReadFile] {
        guard !PostgresJournalStore.isURL(location) else { return [] }
        return ["", "-wal", "-shm", "-journal"].map { ReadFile(what: "the journal", path: location + $0) }
    }
}

enum Diagnostics {
    static func error(_ message: String) {
        FileHandle.standardError.write(text: message + "\n")
    }

    /// A number of seconds as the admin typed it: `-1`, not `-1.0`; `0.5` as it is.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// `word` as a shell reads it back in a command a message suggests: as it is when it
    /// holds only characters no shell treats specially, else in single quotes
    /// (`'my plans/p.json'`).
    static func shellWord(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_@%+=:,./-".unicodeScalars.contains($0)) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The file the user named as `what` (`script`, `--input`), read whole up to `limit`
    /// bytes (`UserFile.Limit`); when it cannot be, one line saying why (and, past the
    /// limit, `past`: what to do instead) and a usage exit.
    static func read(_ what: String, _ path: String, of owner: String = "", atMost limit: Int, past: String) throws -> Data {
        do {
            return try UserFile.contents(path, atMost: limit)
        } catch {
            // `-` is stdin to many tools; here a file is always named.
            Diagnostics.error("roster: cannot read \(what) '\(path)'\(owner): \(error)" + (error.exceedsLimit ? "; \(past)" : "")
                              + (path == "-" ? " (to read stdin, name /dev/stdin)" : ""))
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// An `--each` CSV, read as `read` does, up to `UserFile.Limit.rows`.
    static func readRows(_ path: String, of owner: String = "") throws -> Data {
        try read("--each", path, of: owner, atMost: UserFile.Limit.rows, past: "split it into several CSVs, a run each")
    }

    /// A script's text: read as `read` does, and refused unless it is UTF-8 (the journal
    /// keeps it as text, which a resume, an apply and a worker run again).
    static func readScript(_ path: String) throws -> [UInt8] {
        let data = try read("script", path, atMost: UserFile.Limit.script, past: "a script is Lua source; data it reads belongs in --input or --each")
        do throws(TextFileError) {
            return try TextFile.script(data)
        } catch {
            Diagnostics.error("roster: \(path): \(error.description)")
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// Refuses, before any work, a file named by `option` that could not be written once the
    /// work is done (`--plan-out` after a long dry run, `--failed-rows` after a real one), or
    /// that is one of the files the work reads (`reads`: what each is, and where): written
    /// over, the admin's script, CSV or configuration would be lost.
    static func checkWritable(_ option: String, _ path: String?, reads: [ReadFile] = [], nothing: String = "nothing was run") throws {
        guard let path else { return }
        if let read = reads.first(where: { $0.path.map { UserFile.isSameFile($0, path) } ?? false }) {
            Diagnostics.error("roster: \(option) '\(path)' is \(read.what): writing there would replace it; name another file; \(nothing)")
            throw ExitCode(ExitStatus.usage)
        }
        guard let problem = UserFile.whyCannotWrite(path) else { return }
        Diagnostics.error("roster: cannot write \(option) '\(path)': \(problem); \(nothing)")
        throw ExitCode(ExitStatus.usage)
    }
}
