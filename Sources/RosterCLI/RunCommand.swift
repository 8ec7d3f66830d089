/// RunCommand.swift: `roster run SCRIPT.lua`.
import ArgumentParser
import Bindings
import Engine
import Foundation
import Journal
import LuaHost
import Vendors

/// Runs an admin's script in a fresh sandbox with hard limits, against the configured
/// tenant's vendors or the built-in emulator.
struct RunCommand: AsyncParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Lua script in the sandbox.",
        discussion: """
            With no roster.toml (or with --emulator) the vendor modules talk to the built-in emulator, started in this process with its demo data.

            With --each FILE.csv the script runs once per row (the row in `row`, its line in `row_number`), up to --parallel rows at once; a failing row does not stop the others. Each row prints one line as it ends, then a summary; --timeout applies per row.

            Exit codes: 0 success (with --each: every row succeeded); 1 script error (FILE:LINE: message), a vendor failure the script did not catch, or (with --each) a row that failed; 2 usage or configuration error; 3 a limit was hit (timeout, memory, instructions, output, recursion); 130 stopped by SIGINT or SIGTERM.
            """
    )

    @Argument(help: "The Lua script to run.")
    var script: String

    @OptionGroup var vendors: VendorOptions

    @Flag(name: .customLong("dry-run"), help: "Send no change: reads run, writes are recorded and printed as the plan.")
    var dryRun = false

    @Flag(help: "Do not ask before destructive changes.")
    var yes = false

    @Option(name: .customLong("arg"), help: ArgumentHelp("Sets args[KEY] = VALUE in the script (repeatable).", valueName: "KEY=VALUE"))
    var arguments: [String] = []

    @Option(name: .customLong("input"), help: ArgumentHelp("A file the script may read, as inputs[1], inputs[\"FILE\"] (repeatable).", valueName: "FILE"))
    var inputs: [String] = []

    @Flag(help: "Print one JSON document (outcome, plan, calls, errors, output, and result: what the script returned) instead of the script's output.")
    var json = false

    @OptionGroup var limitOptions: LimitOptions

    @OptionGroup var each: EachOptions

    @OptionGroup var maxChanges: MaxChangesOption

    @Option(name: .customLong("plan-out"), help: PlanOutOption.help)
    var planOut: String?

    @OptionGroup var journalOptions: JournalOptions

    @OptionGroup var instructions: InstructionLimitOption

    @Flag(help: "Show a traceback with script errors.")
    var verbose = false

    func validate() throws {
        _ = try scriptArguments()
        if each.file != nil, json { throw ValidationError("--json does not apply with --each; use --output json") }
        try PlanOutOption.check(planOut, dryRun: dryRun)
    }

    /// `--arg K=V` pairs.
    func scriptArguments() throws -> [String: String] { try ArgumentPairs.parse(arguments) }

    var limits: LuaLimits {
        var limits = limitOptions.limits()
        limits.instructions = instructions.limit
        return limits
    }

    /// The limits given on the command line, journaled with the run for its resumes.
    var givenLimits: RunLimits? {
        var given = limitOptions.given
        given.instructions = instructions.limit
        given.maxChanges = maxChanges.limit
        return given.given
    }

    func run() async throws {
        ProcessStopSignals.arm() // Ctrl-C while it starts stops the run before its first call
        let configuration = try? ConfigurationLocation.find(explicit: vendors.config)
        var reads = ReadFile.ofRun(script: script, each: each.file, inputs: inputs, configuration: configuration)
        if planOut != nil || each.results.failedRows != nil { reads += journalOptions.files(configuration: configuration) }
        try Diagnostics.checkWritable("--plan-out", planOut, reads: reads)
        try each.results.checkWritable(reads: reads + [ReadFile(what: "--plan-out's file", path: planOut)])
        let source = try Diagnostics.readScript(script)
        var files: [ScriptInput] = []
        let memoryLimit = limitOptions.memoryMegabytes()
        for path in inputs {
            // Read whole into the script's memory: refuse what cannot fit there.
            let contents: Data
            do {
                contents = try UserFile.contents(path, atMost: memoryLimit << 20)
            } catch {
                let size = error.size.map { "is \($0 >> 20) MB, more than" } ?? "holds more than"
                Diagnostics.error(error.exceedsLimit
                    ? "roster: --input '\(path)' \(size) the script's --memory-limit of \(memoryLimit) MB; raise --memory-limit or split the file"
                    : "roster: cannot read --input '\(path)': \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            files.append(ScriptInput(name: path, contents: Array(contents)))
        }
        let directory = UserFile.folder(of: script)
        var luaScript = LuaScript(name: script, source: Array(source), directory: directory.isEmpty ? "." : directory)
        try RunSupervisor.refuseUncompilable(luaScript, json: json, dryRun: dryRun)
        // What the admin gave is checked before a vendor or the journal is opened.
        let arguments = try scriptArguments()
        let table = each.file != nil ? try each.table() : nil
        let connection = try await vendors.open()
        let store: JournalStore
        do {
            store = try journalOptions.open(for: connection)
        } catch {
            await connection.close()
            throw error
        }
        let journal: RunJournal
        do {
            var run = NewRun.here(kind: "run", script: script, text: Array(source), arguments: arguments, inputs: files,
                                  connection: connection, dryRun: dryRun)
            if let (rows, path, kept) = table, let file = each.file {
                run.each = EachSource(name: file, path: path, keyColumn: each.keyColumn ?? rows.header[0], parallel: each.parallel,
                                      maxFailures: each.maxFailures, contents: kept)
            }
            run.limits = givenLimits
            journal = try RunJournal.start(run, in: store)
            // This attempt runs the modules as journaled, as a resume will.
            luaScript.keep(run.modules)
        } catch {
            await connection.close()
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let runner = VendorScriptRunner(tenant: connection.tenant, limits: limits, http: connection.http)
        if let (rows, _, _) = table {
            let rowRun = RowRun(runner: runner, script: luaScript, arguments: arguments, inputs: files, dryRun: dryRun,
                                parallel: each.parallel, maxFailures: each.maxFailures, keyColumn: each.keyColumn ?? rows.header[0])
            try await RowRunSupervisor(dryRun: dryRun, yes: yes, results: each.results, verbose: verbose, maxChanges: maxChanges.limit, planOut: planOut)
                .perform(rowRun, table: rows, connection: connection, journal: journal)
            return
        }
        let supervisor = RunSupervisor(dryRun: dryRun, yes: yes, json: json, verbose: verbose, planOut: planOut, maxChanges: maxChanges.limit)
        try await supervisor.perform(runner, luaScript, arguments: arguments,
                                    inputs: files, connection: connection, journal: journal)
    }
}

/// The script's `print`, to the process's stdout.
struct StandardOutput: LuaOutput {
    func write(_ bytes: [UInt8]) {
        CommandOutput.write(bytes: bytes)
    }
}
