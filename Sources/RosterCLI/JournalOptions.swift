/// JournalOptions.swift: `--journal PATH`, and what a journaled run records of who ran what.
import ArgumentParser
import Crypto
import Engine
import Foundation
import Vendors
import Journal
import Synchronization
import LuaHost

/// Where runs are journaled.
struct JournalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The journal: a file, or postgres://USER@HOST:PORT/DB (default: roster.toml's journal, else $XDG_STATE_HOME/roster/journal.sqlite).",
                               valueName: "PATH|URL"))
    var journal: String?

    /// The journal: `--journal`, else the configuration's `journal` (the run's, for a
    /// run; else the one a run would find), else the user's default file; with the
    /// configuration's `journal_password` for a PostgreSQL one.
    /// A roster.toml found that cannot be read is one line and exit 2, not a silent turn to
    /// another journal (a `submit` queued where no worker looks, `runs` listing other runs).
    func location(for connection: VendorConnection?) throws -> (String, SecretReference?) {
        if let connection { return (journal ?? connection.journal ?? SQLiteJournalStore.defaultPath(), connection.journalPassword) }
        let found: RosterConfiguration?
        do {
            found = try ConfigurationLocation.find(explicit: nil).map { try RosterConfiguration.load(path: $0) }
        } catch {
            // With --journal, the file was read only for the journal's password.
            if let journal { return (journal, nil) }
            Diagnostics.error("roster: \(error) (the journal is named there; --journal PATH|URL names it instead)")
            throw ExitCode(ExitStatus.usage)
        }
        return (journal ?? found?.journal ?? SQLiteJournalStore.defaultPath(), found?.journalPassword)
    }

    /// The files of the journal a command with `configuration` (a roster.toml's path)
    /// opens, which no output may name (`ReadFile.ofJournal`); a configuration that cannot
    /// be read is left to the command to report.
    func files(configuration: String?) -> [ReadFile] {
        let named = journal ?? configuration.flatMap { try? RosterConfiguration.load(path: $0) }?.journal
        return ReadFile.ofJournal(named ?? SQLiteJournalStore.defaultPath())
    }

    /// `roster ARGUMENTS`, with `--journal` when the same command run here without it would
    /// open another journal than `store`: the commands a run's last line suggests must lead
    /// to that run, not to the one with the same number in the user's default journal.
    static func command(_ arguments: String, reaching store: JournalStore) -> String {
        func same(_ location: String) -> Bool {
            if PostgresJournalStore.isURL(location) || PostgresJournalStore.isURL(store.path) {
                return PostgresJournalStore.canonical(location) == PostgresJournalStore.canonical(store.path)
            }
            return URL(fileURLWithPath: location).standardizedFileURL.path == URL(fileURLWithPath: store.path).standardizedFileURL.path
        }
        return "roster \(arguments)" + (plainLocation.map(same) == true ? "" : " --journal \(Diagnostics.shellWord(store.path))")
    }

    /// The journal a command run here without options opens; nil when a roster.toml here
    /// cannot be read (then only --journal reaches one). Read once: a run's last lines ask
    /// for it twice, and a worker for each run it ends.
    private static let plainLocation: String? = {
        do {
            return try ConfigurationLocation.find(explicit: nil).map { try RosterConfiguration.load(path: $0) }?.journal
                ?? SQLiteJournalStore.defaultPath()
        } catch {
            return nil
        }
    }()

    /// Run `id` and its changes, from the journal; a run not there (or a journal that
    /// cannot be read) is one line on stderr and exit 2.
    func run(_ id: Int64) throws -> (JournalStore, JournalRun, [JournalChange]) {
        let (store, found) = try find(id)
        var changes: [JournalChange] = []
        try Self.changes(of: id, in: store) { changes.append($0) }
        return (store, found, changes)
    }

    /// The journal a command that only reads opens, with where it is; no store when it is a
    /// file not made yet (reading it would create an empty journal there). `toShow`: the
    /// command only shows what the journal holds (`runs`, `runs show`, `audit`), so a change
    /// log the journal cannot take yet (its disk is full) is a warning, not the end: the
    /// admin sees the runs as they stand when they most need to.
    func openForReading(toShow: Bool = false) throws -> (store: JournalStore?, location: String) {
        let (location, password) = try self.location(for: nil)
        guard PostgresJournalStore.isURL(location) || FileManager.default.fileExists(atPath: location) else { return (nil, location) }
        let recovery: ChangeLog.Recovery = toShow ? .whenPossible { error in
            Diagnostics.error("roster: warning: what killed or stopped runs left in their change logs is not in the journal yet (\(error)); "
                + "those runs are shown as the journal has them until there is room")
        } : .required
        return (try Self.open(location, password: password, recovery: recovery), location)
    }

    /// Run `id`, from the journal, as `run` finds it, without its changes (`toShow`: as
    /// `openForReading` takes it).
    func find(_ id: Int64, toShow: Bool = false) throws -> (JournalStore, JournalRun) {
        let (opened, location) = try openForReading(toShow: toShow)
        guard let store = opened else {
            Diagnostics.error("roster: no run \(id) in \(location) (roster runs lists them)")
            throw ExitCode(ExitStatus.usage)
        }
        let found: JournalRun?
        do throws(JournalError) {
            found = try store.run(id)
        } catch {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        guard let found else {
            Diagnostics.error("roster: no run \(id) in \(store.path) (roster runs lists them)")
            throw ExitCode(ExitStatus.usage)
        }
        return (store, found)
    }

    /// Hands run `id`'s changes to `each` as they are read; a journal that cannot be read
    /// is one line on stderr and exit 2.
    static func changes(of id: Int64, in store: JournalStore, each: (JournalChange) -> Void) throws {
        do throws(JournalError) {
            try store.changes(runID: id, each: each)
        } catch {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// Opens the journal; a failure is one line on stderr and exit 2.
    func open(for connection: VendorConnection? = nil) throws -> JournalStore {
        let (location, password) = try self.location(for: connection)
        return try Self.open(location, password: password)
    }

    /// Opens the journal `configuration` names (or `--journal`, or the user's default).
    func open(configuration: RosterConfiguration?) throws -> JournalStore {
        try Self.open(journal ?? configuration?.journal ?? SQLiteJournalStore.defaultPath(), password: configuration?.journalPassword)
    }

    private static func open(_ location: String, password: SecretReference?, recovery: ChangeLog.Recovery = .required) throws -> JournalStore {
        if let early = EarlyJournal.take(location) { return early }
        do {
            guard PostgresJournalStore.isURL(location) else { return try SQLiteJournalStore.open(path: location, recovery: recovery) }
            let secret = try password?.resolve(environment: ProcessInfo.processInfo.environment)
            // This host's change logs for that database, beside the user's own journal.
            let logs = UserFile.folder(of: SQLiteJournalStore.defaultPath()) + "/changes-"
                + SHA256.hash(data: Data(location.utf8)).prefix(6).hexText
            return try PostgresJournalStore.open(url: location, password: secret?.reveal(), logFolder: logs, recovery: recovery)
        } catch {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}

/// The user's default journal, opened on the main thread (so on the second core) while the
/// arguments are parsed: start-up otherwise runs on one thread, and the journal's open
/// (about a millisecond) then costs a run nothing. Only for `roster run` without
/// `--journal`, and only when the journal already exists (nothing is created early).
/// `JournalOptions.open` takes it if the run uses that journal, and drops it if the
/// configuration names another.
enum EarlyJournal {
    private struct Opening: @unchecked Sendable {
        let path: String
        // Set once by the opening thread, read after `done` is signalled.
        var store: SQLiteJournalStore?
    }

    private static let opening = Mutex<Opening?>(nil)
    private static let done = DispatchSemaphore(value: 0)

    /// The early open `arguments` (after the program's name) call for: a `run` that will use
    /// the default journal. Its `open` must follow, on the thread that opens it.
    static func start(for arguments: [String]) -> Open? {
        guard arguments.first == "run", !arguments.contains(where: { $0 == "--journal" || $0.hasPrefix("--journal=") }) else { return nil }
        let path = SQLiteJournalStore.defaultPath()
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        opening.withLock { $0 = Opening(path: path) }
        return Open(path: path)
    }

    /// An early open to do. On the main thread, idle while the command runs on the
    /// concurrency pool: a thread of its own would bring its own malloc arena (about 0.8 MB
    /// more at peak).
    struct Open {
        let path: String

        func open() {
            // A failure is left to the ordinary open, which reports it.
            let store = try? SQLiteJournalStore.open(path: path)
            opening.withLock { $0?.store = store }
            done.signal()
        }
    }

    /// The journal at `location` if it was opened early (waiting for that open to end).
    /// Any early open is over when this returns, whichever journal the run uses.
    static func take(_ location: String) -> SQLiteJournalStore? {
        guard let path = opening.withLock({ $0?.path }) else { return nil }
        done.wait()
        let store = opening.withLock { opening in
            defer { opening = nil }
            return opening?.store
        }
        return path == location ? store : nil
    }
}

extension JournalInput {
    /// The input read again from where the run read it (or as the journal kept it, when it
    /// came from a pipe), up to `limit` bytes (the memory the script has to hold it);
    /// `changed` when its bytes are not those journaled.
    func readAgain(atMost limit: Int) throws(UserFileError) -> (input: ScriptInput, changed: Bool) {
        let bytes: Data
        if let contents { bytes = contents } else { bytes = try UserFile.contents(path, atMost: limit) }
        let read = ScriptInput(name: name, contents: Array(bytes))
        return (read, read.sha256 != sha256)
    }
}

extension JournalRun {
    /// The journaled script text, with the modules journaled with it; a module it names only
    /// at run time (`require(args.kind)`) is found in its folder. Its errors name it as a run
    /// from the current folder would (`fails.lua:3:`).
    var script: LuaScript {
        let directory = UserFile.folder(of: run.script)
        var script = LuaScript(name: UserFile.shownPath(run.script), source: Array(run.scriptText.utf8), directory: directory.isEmpty ? "." : directory)
        script.keep(run.modules)
        return script
    }
}

extension LuaScript {
    /// Runs `modules` (journaled or queued with the script) in place of its folder's copies.
    mutating func keep(_ modules: [QueuedFile]?) {
        for module in modules ?? [] { keptModules[module.name] = Array(module.contents) }
    }

    /// This script with `modules` kept (`keep`).
    func keeping(_ modules: [QueuedFile]?) -> LuaScript {
        var script = self
        script.keep(modules)
        return script
    }
}

extension NewRun {
    /// The user a run is journaled as: `$USER`, else `$LOGNAME`, else the account's name.
    static var currentUser: String {
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        return variable("USER") ?? variable("LOGNAME") ?? NSUserName()
    }

    /// A run of `script` as this process makes it: the OS user and host, a fresh random seed.
    static func here(kind: String, script: String, text: [UInt8], arguments: [String: String], inputs: [ScriptInput],
                     connection: VendorConnection, dryRun: Bool, plugin: (name: String, version: String, workflow: String, folder: String)? = nil) -> NewRun {
        NewRun(
            kind: kind, user: currentUser, host: ProcessInfo.processInfo.hostName,
            script: UserFile.absolutePath(script), scriptText: String(decoding: text, as: UTF8.self),
            plugin: plugin?.name, pluginVersion: plugin?.version, workflow: plugin?.workflow, arguments: arguments,
            inputs: inputs.map { input in
                JournalInput(name: input.name, path: UserFile.absolutePath(input.name), sha256: input.sha256,
                             contents: UserFile.canBeReadAgain(input.name) ? nil : Data(input.contents))
            },
            tenant: connection.tenant.name, configFile: connection.configurationFile,
            seed: Int64.random(in: 1...Int64(Int32.max)), dryRun: dryRun,
            // A script's (or a workflow's) modules, kept as they are now: its resume runs these,
            // whatever the folder holds then (a plugin upgraded in between, say).
            modules: plugin.map { QueuedFile.modules(requiredBy: text, folder: $0.folder) }
                ?? (kind == "run" ? QueuedFile.modules(requiredBy: text, script: script) : nil),
            targets: connection.journaledTargets)
    }
}

extension VendorConnection {
    /// The vendors a journaled run (or a plan) used again: its configuration file, or the
    /// built-in emulator when it had none. A configuration error is one line and exit 2.
    /// `owner`: the run or plan (`run 4`) whose tenant this is; `journaled`: whether the
    /// configuration is the one it used (not one named with --config, which `overridable`
    /// commands take), for the one line a file no longer there, or a tenant no longer in it,
    /// gives.
    static func reopen(configuration: String?, tenant: String, of owner: String, journaled: Bool, overridable: Bool = true,
                       http: VendorHTTP = .shared) async throws -> VendorConnection {
        let orConfig = overridable ? ", or name the one to use now with --config FILE" : ""
        if let configuration, journaled, !FileManager.default.fileExists(atPath: configuration) {
            Diagnostics.error("roster: \(owner) used the configuration \(configuration), which is not there any more; put it back" + orConfig)
            throw ExitCode(ExitStatus.usage)
        }
        do {
            return try await VendorConnection.open(configuration: configuration, tenant: tenant, useEmulator: configuration == nil, http: http) {
                Diagnostics.error($0)
            }
        } catch let error as ConfigurationError {
            // Its changes belong to that tenant's accounts: another tenant is no substitute
            // (and these commands take no --tenant).
            if let configuration, let found = try? RosterConfiguration.load(path: configuration), found.tenants[tenant] == nil {
                let elsewhere = "name a configuration that has it with --config FILE"
                let fix = !journaled ? elsewhere : overridable ? "add it back, or " + elsewhere : "add it back"
                Diagnostics.error("roster: \(owner) was made for tenant '\(tenant)', which \(configuration) " + (journaled ? "no longer has" : "does not have")
                                  + " (its tenants: \(found.tenants.keys.sorted().joined(separator: ", "))); " + fix)
                throw ExitCode(ExitStatus.usage)
            }
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}

extension VendorConnection {
    /// The vendors of this host's own configuration (a worker's: `--config`, else the one
    /// `roster run` would find, else the built-in emulator). A configuration error is one
    /// line and exit 2.
    static func thisHost(configuration: String?, tenant: String?, http: VendorHTTP = .shared) async throws -> VendorConnection {
        do {
            return try await VendorConnection.open(configuration: configuration, tenant: tenant, useEmulator: false, http: http) { Diagnostics.error($0) }
        } catch let error as ConfigurationError {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}

extension ScriptInput {
    /// The contents' SHA-256, hex.
    var sha256: String { SHA256.hash(data: contents).hexText }
}

extension RunJournal {
    /// Journals how the attempt ended (`finish`); when the journal could not keep it (a full
    /// disk, a database gone), says where it waits, or that it is lost, in one line.
    func end(outcome: String, exitCode: Int32, error: String? = nil) {
        if let unstored = finish(outcome: outcome, exitCode: exitCode, error: error) { Diagnostics.error("roster: " + unstored) }
    }
}
