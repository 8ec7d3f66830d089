/// PluginCommand.swift: `roster plugin list | info | run | test`.
import ArgumentParser
import Bindings
import Engine
import Foundation
import Journal
import LuaHost

/// Per-customer plugins: workflows with a manifest saying what they may touch.
struct PluginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin",
        abstract: "List, inspect, run, test, sign and install plugins (plugins/NAME/plugin.toml).",
        discussion: """
            Plugins are found in --plugins DIR, else ./plugins, else ~/.config/roster/plugins. A folder with a roster-plugins.lock (written by roster plugin install) is an installed one: only plugins signed by a trusted publisher and unmodified run from it. A folder without one is a development folder: its unsigned plugins run, with a warning.
            """,
        subcommands: [List.self, Info.self, Run.self, Test.self, Keygen.self, Pack.self, Install.self, Remove.self])

    /// `--plugins DIR`, shared by the subcommands.
    struct Location: ParsableArguments {
        @Option(help: ArgumentHelp("The folder holding the plugins.", valueName: "DIR"))
        var plugins: String?

        func catalog() throws -> PluginCatalog {
            guard let catalog = PluginCatalog.locate(explicit: plugins) else {
                Diagnostics.error(plugins.map { "roster: --plugins \($0): " + (FileManager.default.fileExists(atPath: $0) ? "it is a file, not a folder" : "no such folder") }
                    ?? "roster: no plugins folder (./plugins or ~/.config/roster/plugins); pass --plugins DIR")
                throw ExitCode(ExitStatus.usage)
            }
            return catalog
        }

        func manifest(_ name: String) throws -> PluginManifest {
            do {
                return try catalog().manifest(name)
            } catch let error as ConfigurationError {
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
        }

        /// Plugin `name`, to run: from an installed folder only when signed by a publisher
        /// in `trusted` and unmodified (else exit 4); from a development folder, an
        /// unsigned one with a warning line.
        func runnable(_ name: String, trusted: [TrustedPublisher]?) throws -> PluginManifest {
            let catalog = try catalog()
            let manifest = try self.manifest(name)
            try catalog.requireRunnable(name, trusted: trusted)
            return manifest
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The plugins: name, version, workflows.")
        @OptionGroup var location: Location

        @Option(help: ArgumentHelp("The configuration whose trusted_publishers apply.", valueName: "FILE")) var config: String?

        func run() throws {
            let catalog = try location.catalog()
            let trusted = PluginCatalog.trustedPublishers(configuration: config)
            var broken = false
            for name in catalog.names {
                do {
                    let manifest = try catalog.manifest(name)
                    let (status, publisher, why) = catalog.status(of: name, trusted: trusted)
                    print("\(manifest.name) \(manifest.version)  \(status.rawValue)" + (publisher.map { " by \($0)" } ?? "")
                          + (status == .signed || why == nil || status == .unsigned ? "" : " (\(why!))") + "  \(manifest.description)")
                    print("  workflows: " + manifest.workflows.map(\.name).joined(separator: ", "))
                } catch {
                    broken = true
                    Diagnostics.error("roster: \(error)")
                }
            }
            if catalog.names.isEmpty { print("no plugins in \(catalog.folder.path)") }
            if broken { throw ExitCode(ExitStatus.usage) }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "A plugin's workflows, parameters and permissions.")
        @OptionGroup var location: Location
        @Argument(help: "The plugin.") var name: String

        func run() throws {
            let manifest = try location.manifest(name)
            print("\(manifest.name) \(manifest.version): \(manifest.description)")
            print("needs Roster \(manifest.requirement)")
            print("workflows:")
            for workflow in manifest.workflows {
                print("  \(workflow.name)  \(workflow.description)  (\(workflow.entry))")
                for parameter in workflow.parameters {
                    var line = "    --arg \(parameter.name)=\(parameter.type.rawValue.uppercased())"
                    line += parameter.required ? "  (required)" : parameter.defaultValue.map { "  (default \(Self.text($0)))" } ?? "  (optional)"
                    if !parameter.doc.isEmpty { line += "  \(parameter.doc)" }
                    print(line)
                }
            }
            print("permissions: " + manifest.permissions.entries.joined(separator: ", "))
            print("  may call: " + manifest.permissions.operations.sorted().joined(separator: ", "))
        }

        static func text(_ value: LuaValue) -> String {
            switch value {
            case .string(let string): "\"\(string.text)\""
            case .integer(let number): String(number)
            case .number(let number): String(number)
            case .boolean(let flag): String(flag)
            default: value.typeName
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Run a plugin's workflow in its sandbox.",
            discussion: "Exit codes as for roster run, and 4 when the workflow calls an operation its manifest does not permit.")
        @OptionGroup var location: Location
        @Argument(help: "The plugin.") var name: String
        @Argument(help: "The workflow.") var workflow: String
        @OptionGroup var vendors: VendorOptions
        @Option(name: .customLong("arg"), help: ArgumentHelp("A workflow parameter (checked against the manifest).", valueName: "KEY=VALUE"))
        var arguments: [String] = []
        @Flag(name: .customLong("dry-run"), help: "Send no change: reads run, writes are planned.") var dryRun = false
        @Flag(help: "Do not ask before destructive changes.") var yes = false
        @Flag(help: "Print one JSON document instead of the workflow's output.") var json = false
        @Option(name: .customLong("plan-out"), help: PlanOutOption.help)
        var planOut: String?
        @OptionGroup var limits: LimitOptions
        @OptionGroup var maxChanges: MaxChangesOption
        @OptionGroup var journalOptions: JournalOptions
        @Flag(help: "Show a traceback with script errors.") var verbose = false

        func validate() throws {
            _ = try ArgumentPairs.parse(arguments)
            try PlanOutOption.check(planOut, dryRun: dryRun)
        }

        func run() async throws {
            ProcessStopSignals.arm() // Ctrl-C while it starts stops the run before its first call
            if planOut != nil {
                let configuration = try? ConfigurationLocation.find(explicit: vendors.config)
                try Diagnostics.checkWritable("--plan-out", planOut, reads: ReadFile.ofRun(script: nil, each: nil, inputs: [], configuration: configuration)
                                              + journalOptions.files(configuration: configuration))
            }
            // The configuration's trusted publishers check the plugin before anything starts.
            let manifest = try location.runnable(name, trusted: PluginCatalog.trustedPublishers(configuration: vendors.config))
            guard let workflow = manifest.workflow(named: self.workflow) else {
                Diagnostics.error("roster: plugin \(name) has no workflow '\(self.workflow)'; it has " + manifest.workflows.map(\.name).joined(separator: ", "))
                throw ExitCode(ExitStatus.usage)
            }
            let pairs = try ArgumentPairs.parse(arguments)
            let parameters: LuaTable
            var script: LuaScript
            do {
                parameters = try workflow.parameters(from: pairs, plugin: manifest.name)
                script = try manifest.script(workflow)
            } catch {
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            try RunSupervisor.refuseUncompilable(script, json: json, dryRun: dryRun)
            let connection = try await vendors.open()
            guard manifest.isFor(tenant: connection.tenant.name) else {
                await connection.close()
                Diagnostics.error("roster: plugin \(name) is for tenant\(manifest.tenants!.count == 1 ? "" : "s") \(manifest.tenants!.joined(separator: ", ")), not '\(connection.tenant.name)'")
                throw ExitCode(ExitStatus.permission)
            }
            let journal: RunJournal
            do {
                let store = try journalOptions.open(for: connection)
                var run = NewRun.here(kind: "plugin", script: manifest.folder.path, text: script.source, arguments: pairs,
                                      inputs: [], connection: connection, dryRun: dryRun,
                                      plugin: (manifest.name, manifest.version.description, workflow.name, manifest.folder.path))
                var given = limits.given
                given.maxChanges = maxChanges.limit
                run.limits = given.given
                journal = try RunJournal.start(run, in: store)
                // This attempt runs the workflow's modules as journaled, as a resume will.
                script.keep(run.modules)
            } catch let error as JournalError {
                await connection.close()
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.usage)
            } catch {
                await connection.close()
                throw error
            }
            let settings: LuaTable
            let sealed = SealedSecrets()
            do {
                settings = try manifest.settingsTable(connection.pluginSettings[manifest.name], tenant: connection.tenant.name, sealing: sealed)
            } catch {
                await connection.close()
                journal.end(outcome: "refused: settings", exitCode: ExitStatus.usage, error: "\(error)")
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            let runner = manifest.runner(workflow, parameters: parameters, settings: settings, sealedSecrets: sealed, tenant: connection.tenant,
                                         limits: limits.limits(), http: connection.http)
            try await RunSupervisor(dryRun: dryRun, yes: yes, json: json, verbose: verbose, planOut: planOut, maxChanges: maxChanges.limit)
                .perform(runner, script, arguments: [:], inputs: [], connection: connection, journal: journal)
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Run a plugin's tests/*.lua, each against a fresh built-in emulator.",
            discussion: "A test that hits a limit fails with the limit's message; the others still run.")
        @OptionGroup var location: Location
        @Argument(help: "The plugin.") var name: String
        @OptionGroup var limits: LimitOptions

        func run() async throws {
            let manifest = try location.runnable(name, trusted: nil)
            let runner = PluginTestRunner(manifest: manifest, limits: limits.limits(), exitCodes: ExitStatus.forWorkflows)
            guard !runner.files.isEmpty else {
                Diagnostics.error("roster: plugin \(name) has no tests (tests/*.lua)")
                throw ExitCode(ExitStatus.usage)
            }
            let results = await runner.run { result in
                if let failure = result.failure {
                    print("FAIL  \(result.file): \(result.name): \(failure)")
                } else {
                    print("ok    \(result.file): \(result.name)")
                }
            }
            let failed = results.filter { $0.failure != nil }.count
            print("\(results.count - failed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(ExitStatus.scriptError) }
        }
    }
}

extension PluginCatalog {
    /// The publishers whose plugins run from an installed folder: those of the roster.toml
    /// found (`explicit`, else where a run looks for one). Nil without one (the built-in
    /// emulator's demo setting), when an installed plugin must still be signed and
    /// unmodified, by any publisher. Every command that runs a plugin (`plugin run`, the
    /// `apply` of its plan, its `resume`) and `plugin list` and `plan show` judge it by
    /// this. A configuration that does not load counts as none: the command's own opening
    /// of it says why, before anything runs.
    static func trustedPublishers(configuration explicit: String?) -> [TrustedPublisher]? {
        (try? ConfigurationLocation.find(explicit: explicit)).flatMap { $0 }.flatMap { try? RosterConfiguration.load(path: $0).trustedPublishers }
    }

    /// Refuses plugin `name` where it may not run (exit 4, one line): in an installed folder,
    /// anything but signed by a trusted publisher and unmodified since. In a development
    /// folder (no lock file) an unsigned plugin runs, with a warning.
    func requireRunnable(_ name: String, trusted: [TrustedPublisher]?) throws {
        let (status, _, why) = status(of: name, trusted: trusted)
        guard status != .signed else { return }
        if isInstalled {
            Diagnostics.error("roster: plugin \(name) is \(status.rawValue) (\(why ?? "not signed")); \(folder.path) is an installed folder, where only signed, unmodified plugins run: reinstall it with roster plugin install")
            throw ExitCode(ExitStatus.permission)
        }
        Diagnostics.error("roster: warning: plugin \(name) is \(status.rawValue) (a development folder: no \(PluginLock.fileName)); installed plugins must be signed")
    }
}
