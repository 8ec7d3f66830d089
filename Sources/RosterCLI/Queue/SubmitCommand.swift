/// SubmitCommand.swift: `roster submit SCRIPT` — a run queued for the workers: its script's
/// text, arguments and input files kept in the journal, so that any worker, on any host,
/// runs exactly it with its own roster.toml and secrets.
import ArgumentParser
import Engine
import Foundation
import LuaHost
import Journal

/// Queues a run for `roster worker`.
struct SubmitCommand: AsyncParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "submit",
        abstract: "Queue a run for the workers (roster worker); print its id.",
        discussion: """
            The script's text, --arg values and --input/--each files go into the journal with the run; the worker that claims it runs exactly them, with its own host's roster.toml, secrets and plugins (no secret is ever queued). The journal must be the one the workers share: --journal postgres://... or roster.toml's journal.

            --wait follows the run to its end, printing its progress, and exits with its exit code (as roster run would).
            """)

    @Argument(help: "The Lua script to run (omit with --plugin).")
    var script: String?

    @Option(name: .customLong("plugin"), parsing: .upToNextOption,
            help: ArgumentHelp("Run a plugin's workflow instead of a script: the worker runs its own installed copy.", valueName: "NAME WORKFLOW"))
    var plugin: [String] = []

    @Option(name: .customLong("arg"), help: ArgumentHelp("Sets args[KEY] = VALUE in the script (repeatable).", valueName: "KEY=VALUE"))
    var arguments: [String] = []

    @Option(name: .customLong("input"), help: ArgumentHelp("A file the script may read (repeatable); queued with the run.", valueName: "FILE"))
    var inputs: [String] = []

    @Option(name: .customLong("each"), help: ArgumentHelp("Run the script once per row of FILE.csv (queued with the run).", valueName: "FILE.csv"))
    var each: String?

    @OptionGroup var pacing: RowPacingOptions

    @Option(help: ArgumentHelp("The tenant, in the workers' roster.toml (default: their default_tenant).", valueName: "NAME"))
    var tenant: String?

    @Option(help: ArgumentHelp("Not before WHEN: 2026-11-29T22:00:00Z, or in 30s, 10m, 2h.", valueName: "WHEN"))
    var at: String?

    @Flag(help: "Follow the run to its end; exit with its exit code.")
    var wait = false

    @OptionGroup var limitOptions: LimitOptions

    @OptionGroup var instructions: InstructionLimitOption

    @OptionGroup var maxChanges: MaxChangesOption

    @OptionGroup var journalOptions: JournalOptions

    func validate() throws {
        _ = try ArgumentPairs.parse(arguments)
        switch (script, plugin.count) {
        case (nil, 0): throw ValidationError("give a script, or --plugin NAME WORKFLOW")
        case (_?, 1...): throw ValidationError("give a script or --plugin NAME WORKFLOW, not both")
        case (nil, let count) where count != 2: throw ValidationError("--plugin takes two values: NAME WORKFLOW")
        default: break
        }
        if each != nil, !inputs.isEmpty { throw ValidationError("--input and --each cannot be combined") }
        if each == nil, let option = pacing.given.first { throw ValidationError("\(option) applies only with --each FILE.csv") }
        _ = try at.map { try When.parseFuture($0, option: "--at") }
    }

    func run() async throws {
        let store = try journalOptions.open()
        let notBefore = try at.map { try When.parseFuture($0, option: "--at") } ?? Date()
        var (run, files) = try queuedRun()
        var limits = limitOptions.given
        limits.instructions = instructions.limit
        limits.maxChanges = maxChanges.limit
        run.limits = limits.given
        let id: Int64
        do throws(JournalError) {
            guard let queued = try store.submit(run, files: files, notBefore: notBefore, tick: nil) else { return }
            id = queued
        } catch {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        print(id)
        Diagnostics.error("roster: run \(id) queued in \(store.path)" + (notBefore > Date() ? " for \(When.text(notBefore)) UTC" : "")
                          + "; a worker (roster worker) runs it; \(JournalOptions.command("runs show \(id)", reaching: store))")
        if wait { try await RunFollower(store: store, runID: id).follow() }
    }

    /// The run as the journal keeps it, and the files queued with it.
    private func queuedRun() throws -> (NewRun, QueuedFiles) {
        var files = QueuedFiles()
        for path in inputs {
            let megabytes = limitOptions.memoryMegabytes()
            let contents = try Diagnostics.read("--input", path, atMost: megabytes << 20,
                                                past: "the script holds its inputs within --memory-limit (\(megabytes) MB); raise it or split the file")
            files.inputs.append(QueuedFile(name: path, contents: contents))
        }
        var each: EachSource?
        if let file = self.each {
            let data = try Diagnostics.readRows(file)
            let table: RowTable
            do throws(RowTableError) {
                table = try RowTable(csv: data, name: file)
            } catch {
                Diagnostics.error("roster: --each \(error.description)")
                throw ExitCode(ExitStatus.usage)
            }
            files.each = QueuedFile(name: file, contents: data)
            each = EachSource(name: file, path: file, keyColumn: table.header[0], parallel: pacing.parallel, maxFailures: pacing.maxFailures)
        }
        let environment = ProcessInfo.processInfo.environment
        let user = environment["USER"] ?? environment["LOGNAME"] ?? NSUserName()
        let journalInputs = files.inputs.map { JournalInput(name: $0.name, path: $0.name, sha256: ScriptInput(name: $0.name, contents: Array($0.contents)).sha256) }
        let seed = Int64.random(in: 1...Int64(Int32.max))
        if plugin.count == 2 {
            // The worker's own installed copy runs: its text is journaled when a worker starts it.
            return (NewRun(kind: "plugin", user: user, host: ProcessInfo.processInfo.hostName, script: plugin[0], scriptText: "",
                           plugin: plugin[0], workflow: plugin[1], arguments: try ArgumentPairs.parse(arguments), inputs: journalInputs,
                           tenant: tenant ?? "", configFile: nil, seed: seed, dryRun: false, each: each), files)
        }
        let script = self.script ?? ""
        let source = try Diagnostics.readScript(script)
        try RunSupervisor.refuseUncompilable(LuaScript(name: script, source: Array(source), directory: nil), json: false, dryRun: false)
        // A worker on another host has no copy of the script's folder.
        files.modules = QueuedFile.modules(requiredBy: Array(source), script: script)
        // Absolute, as `roster run` journals it: a worker started in another folder finds
        // the modules the script `require`s beside it.
        return (NewRun(kind: "run", user: user, host: ProcessInfo.processInfo.hostName, script: UserFile.absolutePath(script),
                       scriptText: String(decoding: source, as: UTF8.self), arguments: try ArgumentPairs.parse(arguments),
                       inputs: journalInputs, tenant: tenant ?? "", configFile: nil, seed: seed, dryRun: false, each: each), files)
    }
}

extension QueuedFile {
    /// The modules `text` (the script at `script`) requires from its folder, to queue with
    /// its run.
    static func modules(requiredBy text: [UInt8], script: String) -> [QueuedFile] {
        let folder = UserFile.folder(of: script)
        return modules(requiredBy: text, folder: folder.isEmpty ? "." : folder)
    }

    /// The modules `text` requires from `folder` (a plugin's), to journal with its run.
    static func modules(requiredBy text: [UInt8], folder: String) -> [QueuedFile] {
        RequiredModules.find(in: text, folder: folder).map { QueuedFile(name: $0.path, contents: Data($0.contents)) }
    }
}
