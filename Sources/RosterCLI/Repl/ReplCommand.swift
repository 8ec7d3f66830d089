/// ReplCommand.swift: `roster repl`, the interactive shell over the same sandbox, modules
/// and limits as `roster run`.
import ArgumentParser
import Engine
import Foundation
import Journal
import LuaHost

/// Explore the vendors interactively.
struct ReplCommand: AsyncParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "repl",
        abstract: "Explore the vendors interactively: Lua with the vendor modules, help and completion.",
        discussion: """
            An expression (or =expr) prints its value; globals persist from line to line; an unfinished chunk continues on the next line. Tab completes names and fields, help(x) shows documentation, :help lists the commands. Ctrl-C stops the running statement, Ctrl-D leaves.

            On a terminal, each destructive call asks first (y, N, or a: all of this statement's); with piped input it reads statements without prompts, exits 1 if any failed, and refuses a destructive call (exit 2), as a script's run would. --yes sends destructive calls without asking.
            """)

    @OptionGroup var vendors: VendorOptions

    @Flag(name: .customLong("dry-run"), help: "Start with dry runs on: writes are planned, not sent (:dry-run off to send).")
    var dryRun = false

    @Flag(help: "Send destructive changes without asking (with piped input, without it they are refused).")
    var yes = false

    @OptionGroup var limitOptions: LimitOptions

    @OptionGroup var journalOptions: JournalOptions

    func run() async throws {
        let connection = try await vendors.open()
        let limits = limitOptions.limits(defaultMemory: 256).forLongLivedHost
        let interactive = isatty(0) == 1
        let repl: Repl
        do {
            // The session is one journaled run: every change it sends is in the journal.
            let store = try journalOptions.open(for: connection)
            var session = NewRun.here(kind: "repl", script: "", text: [], arguments: [:], inputs: [], connection: connection, dryRun: dryRun)
            session.script = "(repl)" // not a file (`here` makes a script's path absolute)
            let journal = try RunJournal.start(session, in: store)
            repl = try Repl(connection: connection, limits: limits, dryRun: dryRun, interactive: interactive, confirmed: yes, journal: journal)
        } catch let error as ExitCode {
            await connection.close()
            throw error
        } catch {
            await connection.close()
            Diagnostics.error("roster: could not start the REPL: \(error)")
            throw ExitCode(ExitStatus.scriptError)
        }
        let failures = await repl.loop()
        await connection.close()
        let refused = repl.destructiveCallsRefused
        // Piped statements end like a run: 2 when a destructive change wanted --yes, 1 when one failed.
        // Input given up on (a statement past a script's size) is a usage error too.
        let status = interactive ? ExitStatus.success : refused > 0 || repl.refusal != nil ? ExitStatus.usage
            : failures > 0 ? ExitStatus.scriptError : ExitStatus.success
        repl.journal?.abandonInFlight("the session ended before the vendor answered")
        repl.journal?.end(outcome: refused > 0 ? "refused: \(refused) destructive change\(refused == 1 ? "" : "s") not confirmed"
                                 : repl.refusal.map { "input given up: \($0)" } ?? (failures > 0 ? "\(failures) failed entries" : "success"),
                             exitCode: status)
        if status != ExitStatus.success { throw ExitCode(status) }
    }
}
