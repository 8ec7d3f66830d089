/// WorkerCommand.swift: `roster worker` — claims queued runs and runs each as its own
/// `roster resume --queued` process, with this host's roster.toml and secrets; renews its
/// leases; enqueues the configuration's schedules; stops cleanly on SIGTERM.
import ArgumentParser
import Engine
import Foundation
import Journal
import LuaHost

/// Runs queued runs as they come.
struct WorkerCommand: AsyncParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run queued runs (roster submit) and scheduled ones ([schedules.NAME]) as they come.",
        discussion: """
            A worker claims the oldest runnable run in the journal's queue (a PostgreSQL journal for workers on several hosts), runs it with this host's roster.toml, secrets and plugins, journals it, and claims the next. It holds each run under a lease it renews; if the worker dies, the lease expires and another worker resumes the run from the journal, so that every change is made once. Rate budgets are shared by every worker through the journal.

            SIGTERM or SIGINT: no new claims; running runs get --drain seconds to finish, then stop cleanly and go back to the queue for another worker. A second signal stops them at once.

            Schedules in roster.toml ([schedules.NAME] script, cron, tenant, args) are queued by whichever worker sees a tick first, once per tick.
            """)

    @Option(parsing: .unconditional, help: ArgumentHelp("Runs at once.", valueName: "N")) var concurrency = 2
    @Option(help: ArgumentHelp("This worker's name (default: HOST-PID).", valueName: "NAME")) var name: String?
    @Option(help: ArgumentHelp("This host's configuration (default: ./roster.toml, then ~/.config/roster/roster.toml).", valueName: "FILE"))
    var config: String?
    @Option(help: ArgumentHelp("The plugins folder for plugin workflows (default: ./plugins, then ~/.config/roster/plugins).", valueName: "DIR"))
    var plugins: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds a claim lasts without renewal: a dead worker's runs are resumed by another this long after.", valueName: "SEC"))
    var lease: Double = 30
    @Option(parsing: .unconditional, help: ArgumentHelp("After SIGTERM: seconds running runs have to finish before they stop and go back to the queue.", valueName: "SEC"))
    var drain: Double = 30
    @Option(name: .customLong("run-timeout"), parsing: .unconditional, help: ArgumentHelp("Wall-clock limit of a run submitted without --timeout.", valueName: "SEC"))
    var runTimeout: Double = 3600
    @Option(name: .customLong("metrics-port"), parsing: .unconditional, help: ArgumentHelp("Serve Prometheus metrics on this port (/metrics).", valueName: "PORT"))
    var metricsPort: Int?
    @Option(name: .customLong("metrics-address"), help: ArgumentHelp("The address metrics are served on.", valueName: "ADDRESS"))
    var metricsAddress = "127.0.0.1"
    @Flag(name: .customLong("exit-when-idle"), help: "Exit once nothing is queued or running (for batch jobs and tests).")
    var exitWhenIdle = false
    @OptionGroup var journalOptions: JournalOptions

    func validate() throws {
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256, got \(concurrency)") }
        guard lease >= 1, lease <= 3600 else { throw ValidationError("--lease must be from 1 to 3600 seconds, got \(Diagnostics.number(lease))") }
        // No longer than the longest run: past it a drain waits for nothing, and far past it
        // the seconds no longer fit the deadline they become (1e300 trapped at SIGTERM).
        guard drain >= 0, drain <= 86_400 * 7 else { throw ValidationError("--drain must be from 0 to 604800 seconds, got \(Diagnostics.number(drain))") }
        if let name {
            // The name is journaled with each claim and shown by `roster workers`, one line each.
            guard !name.isEmpty, name.count <= 200, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control
                || $0.properties.generalCategory == .lineSeparator || $0.properties.generalCategory == .paragraphSeparator }) else {
                throw ValidationError("--name must be 1 to 200 characters on one line, got '\(QuotedText.shown(name))'")
            }
        }
        guard runTimeout > 0, runTimeout <= 86_400 * 7 else { throw ValidationError("--run-timeout must be more than 0 and at most 604800 seconds") }
        if let metricsPort, !(0...65_535).contains(metricsPort) { throw ValidationError("--metrics-port must be from 0 (any free port) to 65535, got \(metricsPort)") }
    }

    func run() async throws {
        // This host's configuration: its journal, its schedules (its secrets stay with the runs).
        let configurationFile: String?
        let configuration: RosterConfiguration?
        do {
            configurationFile = try ConfigurationLocation.find(explicit: config)
            configuration = try configurationFile.map { try RosterConfiguration.load(path: $0) }
        } catch let error as ConfigurationError {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let location = journalOptions.journal ?? configuration?.journal ?? SQLiteJournalStore.defaultPath()
        var options = journalOptions
        options.journal = location
        let store = try options.open(configuration: configuration)
        let worker = Worker(
            store: store,
            record: WorkerRecord(name: name ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())", host: ProcessInfo.processInfo.hostName,
                                 pid: Int(getpid()), concurrency: concurrency, startedAt: Date(), heartbeat: Date(), stopping: false),
            settings: Worker.Settings(journal: location, configuration: configurationFile, plugins: plugins, lease: lease, drain: drain,
                                      runTimeout: runTimeout, exitWhenIdle: exitWhenIdle, journalKeep: configuration?.journalKeep),
            schedules: configuration?.schedules ?? [])
        var server: MetricsServer?
        if let metricsPort {
            do {
                server = try await MetricsServer.start(worker.metrics, address: metricsAddress, port: metricsPort)
            } catch {
                Diagnostics.error("roster: cannot serve metrics on \(metricsAddress):\(metricsPort): \(ListenFailure.describe(error, port: metricsPort))")
                throw ExitCode(ExitStatus.usage)
            }
        }
        await worker.run()
        await server?.stop()
    }
}
