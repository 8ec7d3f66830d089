/// SQLiteJournalStore.swift: the journal's default store — SQLite through GRDB, in WAL
/// mode, shared safely by every `roster` process of a user (busy waits, short write
/// transactions). Changes reach it from each attempt's change log, in batches.
import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// A journal in one SQLite file.
public final class SQLiteJournalStore: JournalStore {
    /// The file.
    public let path: String
    /// Change logs live beside the database file.
    public var changeLogFolder: String { path + ".changes" }
    public var logsChangesLocally: Bool { true }
    /// One connection, not a pool of readers: a `roster` process reads little while it
    /// writes, and opening a pool cost every start about 5 million instructions (GRDB checks
    /// the file's size through Foundation before it switches to WAL).
    private let database: DatabaseQueue

    /// `$XDG_STATE_HOME/roster/journal.sqlite`, else `~/.local/state/roster/journal.sqlite`.
    public static func defaultPath(environment: [String: String]) -> String {
        defaultPath { environment[$0] }
    }

    /// The default path from this process's environment (read variable by variable:
    /// `ProcessInfo.environment` builds the whole dictionary, a sizeable part of a start).
    public static func defaultPath() -> String {
        defaultPath { getenv($0).map { String(cString: $0) } }
    }

    private static func defaultPath(variable: (String) -> String?) -> String {
        let state = variable("XDG_STATE_HOME").flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? ((variable("HOME") ?? NSHomeDirectory()) + "/.local/state")
        return state + "/roster/journal.sqlite"
    }

    /// Opens (or creates, mode 0600 in a 0700 folder) the journal at `path`, storing what
    /// killed runs left in their change logs first (`recovery` says what a failure to means).
    public static func open(path: String, recovery: ChangeLog.Recovery = .required) throws(JournalError) -> SQLiteJournalStore {
        // `mysql://…` is a mistake, not a folder named `mysql:`.
        if path.contains("://") {
            throw JournalError("'\(JournalLocation.shown(path))' is not a journal Roster can use: give a file path, or postgres://USER@HOST:PORT/DATABASE")
        }
        do {
            let url = URL(fileURLWithPath: path)
            let folder = url.deletingLastPathComponent()
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                throw JournalError("cannot open the journal \(path): it is a folder; name a file in it (\(url.appendingPathComponent("journal.sqlite").path))")
            }
            if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) {
                guard isFolder.boolValue else { throw JournalError("cannot open the journal \(path): \(folder.path) is a file, not a folder") }
            } else if let failure = Self.makeFolders(folder.path) {
                throw JournalError("cannot open the journal \(path): cannot make the folder \(failure.folder) (\(failure.reason))")
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(Double(busyTimeoutMilliseconds) / 1000)
            configuration.label = "roster.journal"
            configuration.prepareDatabase { db in
                // Readers and a writer at once, across the user's processes (switched once,
                // by whichever process creates the journal).
                if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                }
                // Durable against a killed process (the WAL is written before the commit
                // returns); a power cut may lose the last moments, never corrupt the file.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // Checkpoints are the batches': they cut the log back once it passes half a
                // megabyte (`trimWriteAheadLog`, on the batch thread). SQLite's own, at 4,000
                // pages, only catch a log that other processes' reads kept from being trimmed;
                // after each checkpoint the log is cut to this size.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 4000")
                try db.execute(sql: "PRAGMA journal_size_limit = \(Self.writeAheadLogLimit)")
            }
            if !FileManager.default.fileExists(atPath: path) { try Self.create(path: path, configuration: configuration) }
            let database = try Self.openDatabase(path: path, configuration: configuration)
            try Self.createSchema(database)
            let store = SQLiteJournalStore(path: path, database: database)
            // What killed runs logged and did not store yet.
            try ChangeLog.recover(into: store, recovery)
            return store
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("cannot open the journal \(path): \(Self.describe(error))" + Self.damageAdvice(error))
        }
    }

    /// What to do about a journal file SQLite finds damaged (or not a database at all): a
    /// damaged file keeps what is intact, so it is kept, and runs go to a new one.
    static func damageAdvice(_ error: any Error) -> String {
        if error is RowDecodingError { return damageAdvice(DatabaseError(resultCode: .SQLITE_CORRUPT)) }
        guard let error = error as? DatabaseError else { return "" }
        switch error.resultCode {
        case .SQLITE_CORRUPT: return "; the file is damaged: move it aside and keep it (sqlite3's .dump reads back what is intact), and journal into a new file (--journal PATH)"
        case .SQLITE_NOTADB: return "; it is not a journal: name the journal's file with --journal, or move this file aside"
        default: return ""
        }
    }

    /// A new journal, made whole (in WAL mode, with its tables) under a temporary name and
    /// then linked into place: a process that opens the journal never finds it half made.
    /// (Processes starting together on a new journal raced on its first pages: "disk I/O
    /// error".) Of several processes making it at once, the first to link it wins; the
    /// others open that one.
    private static func create(path: String, configuration: Configuration) throws {
        let temporary = path + ".new-" + UUID().uuidString.lowercased()
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw JournalError("cannot create the journal \(path) (check the folder's permissions, or pass --journal PATH)")
        }
        defer { for suffix in ["", "-wal", "-shm"] { unlink(temporary + suffix) } }
        let database = try DatabaseQueue(path: temporary, configuration: configuration)
        try createSchema(database)
        // Its only connection: closing folds the write-ahead log into the file.
        try database.close()
        guard link(temporary, path) == 0 || errno == EEXIST else {
            throw JournalError("cannot create the journal \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The connection to `path`. Processes opening a new journal at the same moment contend
    /// for the switch to WAL, which SQLite refuses at once rather than waiting (busy, or
    /// the rollback journal it would delete already deleted by another): that is tried
    /// again for a few seconds.
    private static func openDatabase(path: String, configuration: Configuration) throws -> DatabaseQueue {
        var attempt = 0
        while true {
            do {
                return try DatabaseQueue(path: path, configuration: configuration)
            } catch let error as DatabaseError
                        where (error.resultCode == .SQLITE_BUSY || error.extendedResultCode == .SQLITE_IOERR_DELETE_NOENT) && attempt < 50 {
                attempt += 1
                usleep(useconds_t(20_000 + Int.random(in: 0..<80_000)))
            }
        }
    }

    /// The write-ahead log's size an attempt leaves at most (when no other process is using
    /// the journal): every process that opens the journal first reads all of it (SQLite
    /// rebuilds its index), so a log left to grow to 16 MB added about 8 ms to every start.
    static let writeAheadLogLimit = 1 << 20

    /// How long a write waits for another process's (a journal shared by a user's processes).
    static let busyTimeoutMilliseconds = 30_000

    private init(path: String, database: DatabaseQueue) {
        self.path = path
        self.database = database
    }

    /// Makes `path` and the folders above it that are missing (mode 0700); the first that
    /// cannot be made, and the system's reason, on failure.
    static func makeFolders(_ path: String) -> (folder: String, reason: String)? {
        var made = ""
        for component in path.split(separator: "/") {
            made += "/" + component
            if mkdir(made, 0o700) != 0, errno != EEXIST {
                return (made, String(cString: strerror(errno)).lowercased())
            }
        }
        return nil
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        // Its own text quotes the whole row: not for a message.
        if error is RowDecodingError { return "database disk image is malformed (a row holds what Roster never wrote there)" }
        // Foundation's own text says only "The operation could not be completed": the
        // system's reason is in the underlying error.
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code))).lowercased()
        }
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))).lowercased() }
        return error.localizedDescription
    }

    /// The schema's version (`PRAGMA user_version`): 1 made the tables, 2 added the state a
    /// toggle found before it was sent, 3 the rate slots every process shares, 4 runs row by
    /// row (`--each`) and their rows, 5 saved plans and the runs that applied them, 6 changes
    /// found by their place in their run (a change log's import), 7 the run queue and its
    /// workers, 8 a run's pinned clock, 9 the modules a run's script required, 10 whether a run
    /// got past its gate, 11 where a run's vendors were reached and the limits it was given, 12 a
    /// queued run's cancellation, 13 the line a run (and each attempt) ended on.
    static let schemaVersion = 13

    /// Creates or upgrades the tables once, whichever of several processes opening the
    /// journal at the same moment gets there first (an immediate transaction: the others
    /// wait, then find it done).
    private static func createSchema(_ database: DatabaseQueue) throws {
        try database.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                guard version < schemaVersion else { return .commit }
                if version < 1 { try createTables(db) }
                if version < 2 { try db.execute(sql: "ALTER TABLE changes ADD COLUMN state_before TEXT") }
                if version < 3 {
                    // A request holds its slot from before it is sent until its answer
                    // (answered_at), then a window longer.
                    try db.execute(sql: """
                        CREATE TABLE IF NOT EXISTS rate_slots (
                            id INTEGER PRIMARY KEY, account TEXT NOT NULL, pid INTEGER NOT NULL,
                            taken_at REAL NOT NULL, answered_at REAL);
                        CREATE INDEX IF NOT EXISTS rate_slots_by_account ON rate_slots(account);
                        """)
                }
                if version < 4 {
                    // `each`: the CSV and options of a run row by row (JSON). A row's outcome
                    // is written when it ends: a row without one never finished.
                    try db.execute(sql: """
                        ALTER TABLE runs ADD COLUMN each TEXT;
                        CREATE TABLE IF NOT EXISTS rows (
                            run_id INTEGER NOT NULL REFERENCES runs(id), number INTEGER NOT NULL, attempt INTEGER NOT NULL,
                            key TEXT NOT NULL, sha256 TEXT NOT NULL, state TEXT NOT NULL, error TEXT,
                            changes INTEGER NOT NULL, finished_at REAL NOT NULL,
                            PRIMARY KEY (run_id, number, attempt));
                        """)
                }
                if version < 5 {
                    // A plan is applied at most once: `applied_run` is set once, atomically.
                    try db.execute(sql: """
                        CREATE TABLE IF NOT EXISTS plans (
                            id TEXT PRIMARY KEY, run_id INTEGER NOT NULL, plan TEXT NOT NULL, created_at REAL NOT NULL,
                            applied_run INTEGER, applied_at REAL);
                        """)
                }
                if version < 6 {
                    // Its first column serves what changes_by_run did: one index less to keep per change.
                    try db.execute(sql: """
                        CREATE INDEX IF NOT EXISTS changes_by_place ON changes(run_id, attempt, sequence);
                        DROP INDEX IF EXISTS changes_by_run;
                        """)
                }
                if version < 7 {
                    // A queued run: its files, when it may start, who holds it until when.
                    // One run per schedule tick (NULLs, unscheduled runs, are all distinct).
                    try db.execute(sql: """
                        CREATE TABLE IF NOT EXISTS queue (
                            run_id INTEGER PRIMARY KEY REFERENCES runs(id), state TEXT NOT NULL, not_before REAL NOT NULL,
                            submitted_at REAL NOT NULL, files TEXT NOT NULL, worker TEXT, lease_until REAL,
                            claims INTEGER NOT NULL DEFAULT 0, exit_code INTEGER, finished_at REAL, schedule TEXT, tick REAL,
                            UNIQUE (schedule, tick));
                        CREATE INDEX IF NOT EXISTS queue_by_state ON queue(state, not_before);
                        CREATE TABLE IF NOT EXISTS workers (
                            name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, concurrency INTEGER NOT NULL,
                            started_at REAL NOT NULL, heartbeat REAL NOT NULL, stopping INTEGER NOT NULL DEFAULT 0);
                        """)
                }
                if version < 8 { try db.execute(sql: "ALTER TABLE runs ADD COLUMN clock INTEGER") }
                if version < 9 { try db.execute(sql: "ALTER TABLE runs ADD COLUMN modules TEXT") }
                if version < 10 { try db.execute(sql: "ALTER TABLE runs ADD COLUMN admitted INTEGER NOT NULL DEFAULT 0") }
                if version < 11 { try db.execute(sql: "ALTER TABLE runs ADD COLUMN targets TEXT; ALTER TABLE runs ADD COLUMN limits TEXT") }
                if version < 12 { try db.execute(sql: "ALTER TABLE queue ADD COLUMN cancelled_at REAL") }
                if version < 13 { try db.execute(sql: "ALTER TABLE runs ADD COLUMN error TEXT; ALTER TABLE attempts ADD COLUMN error TEXT") }
                try db.execute(sql: "PRAGMA user_version = \(schemaVersion)")
                return .commit
            }
        }
    }

    /// The tables of version 1.
    private static func createTables(_ db: Database) throws {
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL, user TEXT NOT NULL, host TEXT NOT NULL,
                        script TEXT NOT NULL, script_text TEXT NOT NULL, script_sha256 TEXT NOT NULL,
                        plugin TEXT, plugin_version TEXT, workflow TEXT,
                        arguments TEXT NOT NULL, inputs TEXT NOT NULL,
                        tenant TEXT NOT NULL, config_file TEXT, seed INTEGER NOT NULL, dry_run INTEGER NOT NULL,
                        started_at REAL NOT NULL, ended_at REAL, outcome TEXT, exit_code INTEGER,
                        attempts INTEGER NOT NULL DEFAULT 1);
                    CREATE TABLE IF NOT EXISTS attempts (
                        run_id INTEGER NOT NULL REFERENCES runs(id), number INTEGER NOT NULL, pid INTEGER NOT NULL,
                        started_at REAL NOT NULL, ended_at REAL, outcome TEXT, exit_code INTEGER, reads INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (run_id, number));
                    CREATE TABLE IF NOT EXISTS changes (
                        id INTEGER PRIMARY KEY,
                        run_id INTEGER NOT NULL REFERENCES runs(id), attempt INTEGER NOT NULL, sequence INTEGER NOT NULL,
                        vendor TEXT NOT NULL, operation TEXT NOT NULL, effect TEXT NOT NULL,
                        key TEXT NOT NULL, occurrence INTEGER NOT NULL, arguments TEXT NOT NULL,
                        state TEXT NOT NULL, already INTEGER NOT NULL DEFAULT 0, result TEXT, error TEXT,
                        not_applied INTEGER NOT NULL DEFAULT 0,
                        started_at REAL NOT NULL, finished_at REAL, duration_ms REAL, replayed_from INTEGER);
                    CREATE INDEX IF NOT EXISTS runs_by_time ON runs(started_at);
                    """)
    }

    // MARK: - Writing

    /// Journals a new run and its first attempt; returns the run's id.
    public func startRun(_ run: NewRun) throws(JournalError) -> Int64 {
        try write { db in
            let now = Date().timeIntervalSince1970
            let id = try Self.insert(run, at: now, in: db)
            try db.execute(sql: "INSERT INTO attempts (run_id, number, pid, started_at) VALUES (?, 1, ?, ?)",
                           arguments: [id, Int(ProcessInfo.processInfo.processIdentifier), now])
            return id
        }
    }

    /// Inserts `run` (with no attempt, and `outcome` if given); returns its id.
    static func insert(_ run: NewRun, at now: Double, outcome: String? = nil, attempts: Int = 1, in db: Database) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO runs (kind, user, host, script, script_text, script_sha256, plugin, plugin_version, workflow,
                              arguments, inputs, tenant, config_file, seed, dry_run, started_at, each, outcome, attempts, clock, modules,
                              targets, limits)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                run.kind, run.user, run.host, run.script, run.scriptText, Self.sha256(Array(run.scriptText.utf8)),
                run.plugin, run.pluginVersion, run.workflow, Self.json(run.arguments), Self.json(run.inputs),
                run.tenant, run.configFile, run.seed, run.dryRun, now, run.each.map(Self.json), outcome, attempts, run.clock,
                run.modules.map(Self.json), run.targets.map(Self.json), run.limits.map(Self.json),
            ])
        return db.lastInsertedRowID
    }

    public func admitRun(_ runID: Int64) throws(JournalError) {
        try write { db in try db.execute(sql: "UPDATE runs SET admitted = 1 WHERE id = ?", arguments: [runID]) }
    }

    /// Starts the next attempt of `runID` (a resume); returns its number.
    public func startAttempt(runID: Int64, now: Int64) throws(JournalError) -> (number: Int, clock: Int64) {
        try write { db in
            try db.execute(sql: """
                UPDATE runs SET attempts = attempts + 1, ended_at = NULL, outcome = NULL, exit_code = NULL, error = NULL, clock = COALESCE(clock, ?)
                WHERE id = ?
                """, arguments: [now, runID])
            let row = try Row.fetchOne(db, sql: "SELECT attempts, clock FROM runs WHERE id = ?", arguments: [runID])
            let number: Int = try row?.decode(forColumn: "attempts") ?? 1
            try db.execute(sql: "INSERT INTO attempts (run_id, number, pid, started_at) VALUES (?, ?, ?, ?)",
                           arguments: [runID, number, Int(ProcessInfo.processInfo.processIdentifier), Date().timeIntervalSince1970])
            return (number, try row?.decode(forColumn: "clock") ?? now)
        }
    }

    /// Commits `operations` in one transaction; returns each insert's row id (0 for an
    /// outcome, or for a change already stored). With `idempotent`, a change already
    /// stored (by its run, attempt and sequence) is not stored again: a change log left by a
    /// killed process may have been stored in part.
    @discardableResult
    public func commit(_ operations: [JournalOperation], idempotent: Bool) throws(JournalError) -> [Int64] {
        try commit(records: LogRecord.records(of: operations), idempotent: idempotent)
    }

    /// Commits the operations of change-log records, their texts bound where they lie in
    /// `records` (a bulk run stores thousands of changes; none is copied into a String).
    @discardableResult
    public func commit(records: [UInt8], idempotent: Bool) throws(JournalError) -> [Int64] {
        var reader = LogRecord.Reader(bytes: records)
        var views: [LogRecord.View] = []
        var outcomes = 0
        while let view = reader.next() {
            views.append(view)
            if view.isOutcome { outcomes += 1 }
        }
        var batch = JournalBatch<Range<Int>>(outcomes: views.lazy.filter(\.isOutcome).map { view in
            (view.place, .init(state: view.state, already: view.already, result: view.result, error: view.error,
                               notApplied: view.notApplied, time: view.time))
        }, count: outcomes)
        // Prepared once per connection: a bulk run writes thousands of these. VALUES unless
        // a row may already be there: a single-row insert needs no statement journal, and
        // SQLite runs it in two thirds of the steps of a SELECT. Rows that cannot be there
        // yet go in groups (`rowsPerInsert`): one statement's fixed work for many rows.
        let update = """
            UPDATE changes SET state = ?, already = ?, result = ?, error = ?, not_applied = ?, finished_at = ?,
                               duration_ms = (? - started_at) * 1000
            WHERE run_id = ? AND attempt = ? AND sequence = ?
            """
        // Trimmed by the batches that pass half the limit, off the calls' path: an attempt's
        // end then rarely finds the log past the limit and waits for a checkpoint's syncs.
        defer { trimWriteAheadLog(past: Self.writeAheadLogLimit / 2) }
        return try write { db in
            try records.withUnsafeBytes { text in
                // Looked up once per group, not per row (the lookup hashes the SQL's text).
                var updating: Statement?
                var inserting: [Int: Statement] = [:]
                // The texts bound are `records`': none may outlive this call.
                defer {
                    if let updating { sqlite3_clear_bindings(updating.sqliteStatement) }
                    for statement in inserting.values { sqlite3_clear_bindings(statement.sqliteStatement) }
                }
                func statement(inserting rows: Int) throws -> Statement {
                    if let statement = inserting[rows] { return statement }
                    let statement = try db.cachedStatement(sql: idempotent ? Self.insertChangeIfAbsent : Self.insertChanges(rows))
                    inserting[rows] = statement
                    return statement
                }
                func bind(_ view: LogRecord.View, _ values: JournalBatch<Range<Int>>.ChangeRow, into row: inout RawBinding) {
                    let place = view.place
                    row.bind(place.runID); row.bind(place.attempt); row.bind(place.sequence)
                    row.bind(text: view.vendor); row.bind(text: view.operation); row.bind(text: view.effect); row.bind(text: view.key)
                    row.bind(view.occurrence); row.bind(text: view.arguments); row.bind(values.end.state.rawValue)
                    row.bind(values.end.already); row.bind(text: values.end.result); row.bind(text: values.end.error); row.bind(values.end.notApplied); row.bind(values.startedAt)
                    row.bind(values.finishedAt); row.bind(values.durationMilliseconds); row.bind(view.replayedFrom); row.bind(text: view.stateBefore)
                }
                var ids = [Int64](repeating: 0, count: views.count)
                // Inserts not yet made: their positions in `views`, and their rows.
                var waiting: [(position: Int, values: JournalBatch<Range<Int>>.ChangeRow)] = []
                waiting.reserveCapacity(Self.rowsPerInsert)
                /// Inserts the waiting rows, `rows` at a time (fewer, one by one), in order.
                func insertWaiting() throws {
                    var start = 0
                    while start < waiting.count {
                        let left = waiting.count - start
                        let rows = left >= Self.rowsPerInsert ? Self.rowsPerInsert : left >= 8 ? 8 : 1
                        var binding = RawBinding(try statement(inserting: rows), in: db, text: text)
                        for (position, values) in waiting[start..<(start + rows)] { bind(views[position], values, into: &binding) }
                        try binding.step()
                        // New rows take the ids after the largest, in order (the transaction
                        // holds the journal: no other writer comes between).
                        // SQLite's own counter: GRDB's checks the connection's thread first.
                        guard let connection = db.sqliteConnection else { break }
                        let last = sqlite3_last_insert_rowid(connection)
                        for (offset, waited) in waiting[start..<(start + rows)].enumerated() { ids[waited.position] = last - Int64(rows - 1 - offset) }
                        start += rows
                    }
                    waiting.removeAll(keepingCapacity: true)
                }
                for (position, view) in views.enumerated() {
                    let place = view.place
                    if let written = view.rowOrEnd {
                        // After the changes before it (a row's end, an attempt's end), in order.
                        try insertWaiting()
                        switch written {
                        case .row(let row): try Self.store(row, in: db)
                        case .end(let end): try Self.store(end, in: db)
                        default: break
                        }
                        continue
                    }
                    if view.isOutcome {
                        guard !batch.isFolded(place) else { continue }
                        // Its row may be among those waiting (one not sent, replayed): in first.
                        try insertWaiting()
                        let statement = try updating ?? db.cachedStatement(sql: update)
                        updating = statement
                        var row = RawBinding(statement, in: db, text: text)
                        row.bind(view.state.rawValue); row.bind(view.already); row.bind(text: view.result); row.bind(text: view.error)
                        row.bind(view.notApplied); row.bind(view.time); row.bind(view.time)
                        row.bind(place.runID); row.bind(place.attempt); row.bind(place.sequence)
                        try row.step()
                        continue
                    }
                    let values = batch.row(place, state: view.state, replayedAlready: view.replayedFrom != nil && view.already,
                                           replayedResult: view.replayedFrom == nil ? nil : view.result, at: view.time)
                    if idempotent {
                        var row = RawBinding(try statement(inserting: 1), in: db, text: text)
                        bind(view, values, into: &row)
                        try row.step()
                        // Not stored (an import of a log stored in part): its outcome is an update.
                        guard let connection = db.sqliteConnection, sqlite3_changes(connection) > 0 else { continue }
                        batch.stored(place, values)
                        ids[position] = sqlite3_last_insert_rowid(connection)
                    } else {
                        // Certain to be stored (or the whole group fails): its outcome, later
                        // in the group, is folded in now.
                        batch.stored(place, values)
                        waiting.append((position, values))
                        if waiting.count == Self.rowsPerInsert { try insertWaiting() }
                    }
                }
                try insertWaiting()
                return ids
            }
        }
    }

    private static let changeColumns = """
        INSERT INTO changes (run_id, attempt, sequence, vendor, operation, effect, key, occurrence, arguments, state,
                             already, result, error, not_applied, started_at, finished_at, duration_ms, replayed_from, state_before)
        """
    /// A change, unless it is stored already (an import of a log stored in part).
    private static let insertChangeIfAbsent = changeColumns + """
        SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
        WHERE NOT EXISTS (SELECT 1 FROM changes WHERE run_id = ?1 AND attempt = ?2 AND sequence = ?3)
        """
    /// Changes in groups of 1, 8 and `rowsPerInsert`, their SQL made once.
    private static let insertChangesSQL = Dictionary(uniqueKeysWithValues: [1, 8, rowsPerInsert].map { rows in
        (rows, changeColumns + " VALUES " + repeatElement("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", "))
    })
    private static func insertChanges(_ rows: Int) -> String { insertChangesSQL[rows] ?? insertChangesSQL[1]! }

    /// How many new changes one INSERT stores (or 8, or 1, for the last few of a group):
    /// SQLite's fixed work per statement (about a third of a single row's) is paid once for them.
    static let rowsPerInsert = 32

    /// Every change of the attempt still `sending` becomes `unknown` with `reason` (the run
    /// ends without waiting for them).
    public func abandonInFlight(runID: Int64, attempt: Int, reason: String) throws(JournalError) {
        try write { db in
            try db.execute(sql: "UPDATE changes SET state = 'unknown', error = ?, finished_at = ? WHERE run_id = ? AND attempt = ? AND state = 'sending'",
                           arguments: [reason, Date().timeIntervalSince1970, runID, attempt])
        }
    }

    /// How the attempt (and so the run, for now) ended.
    public func finishAttempt(_ end: AttemptEnd) throws(JournalError) {
        try write { db in try Self.store(end, in: db) }
        trimWriteAheadLog(past: Self.writeAheadLogLimit)
    }

    /// Stores how an attempt ended. The run takes the attempt's outcome only while the
    /// attempt is its latest: an end stored late (from a change log, once the disk had
    /// room) must not overwrite a resume's.
    static func store(_ end: AttemptEnd, in db: Database) throws {
        let time = end.endedAt.timeIntervalSince1970
        try db.execute(sql: "UPDATE attempts SET ended_at = ?, outcome = ?, exit_code = ?, reads = ?, error = ? WHERE run_id = ? AND number = ?",
                       arguments: [time, end.outcome, end.exitCode, end.reads, end.error, end.runID, end.attempt])
        try db.execute(sql: "UPDATE runs SET ended_at = ?, outcome = ?, exit_code = ?, error = ? WHERE id = ? AND attempts = ?",
                       arguments: [time, end.outcome, end.exitCode, end.error, end.runID, end.attempt])
    }

    /// Folds the write-ahead log into the journal and empties it, once it has grown past
    /// `size`. Only when nothing else uses the journal at that moment: it does not wait for
    /// other processes (they trim it when their own attempts end).
    func trimWriteAheadLog(past size: Int) {
        var log = stat()
        guard stat(path + "-wal", &log) == 0, log.st_size > size else { return }
        try? database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA busy_timeout = 0")
            defer { try? db.execute(sql: "PRAGMA busy_timeout = \(Self.busyTimeoutMilliseconds)") }
            try db.checkpoint(.truncate)
        }
    }

    // MARK: - Rows

    /// How row `number` of an `--each` run ended in `attempt`.
    public func finishRow(_ row: JournalRow) throws(JournalError) {
        try write { db in try Self.store(row, in: db) }
    }

    static func store(_ row: JournalRow, in db: Database) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO rows (run_id, number, attempt, key, sha256, state, error, changes, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [row.runID, row.number, row.attempt, row.key, row.sha256, row.state.rawValue, row.error, row.changes,
                             row.finishedAt.timeIntervalSince1970])
    }

    /// The rows of `runID` as they last ended (a row that never ended is absent).
    public func rows(runID: Int64) throws(JournalError) -> [JournalRow] {
        try read { db in
            try Row.decodeAll(db, sql: """
                SELECT * FROM rows r WHERE run_id = ?
                  AND attempt = (SELECT MAX(attempt) FROM rows WHERE run_id = r.run_id AND number = r.number)
                ORDER BY number
                """, arguments: [runID]) { row in
                let state: String = try row.decode(forColumn: "state")
                let finished: Double = try row.decode(forColumn: "finished_at")
                return try JournalRow(runID: row.decode(forColumn: "run_id"), number: row.decode(forColumn: "number"), attempt: row.decode(forColumn: "attempt"), key: row.decode(forColumn: "key"), sha256: row.decode(forColumn: "sha256"),
                                  state: RowState(rawValue: state) ?? .failed, error: row.decode(forColumn: "error"), changes: row.decode(forColumn: "changes"),
                                  finishedAt: Date(timeIntervalSince1970: finished))
            }
        }
    }

    // MARK: - Plans

    /// Keeps a saved plan (its JSON holds no secret), made by dry run `runID`.
    public func savePlan(id: String, runID: Int64, json: String) throws(JournalError) {
        try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO plans (id, run_id, plan, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [id, runID, json, Date().timeIntervalSince1970])
        }
    }

    /// The run that applied plan `id`, if one did.
    public func planApplication(id: String) throws(JournalError) -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT applied_run FROM plans WHERE id = ?", arguments: [id]) }
    }

    /// Plan `id` as it was kept when it was made (its JSON), if it was.
    public func savedPlan(id: String) throws(JournalError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT plan FROM plans WHERE id = ?", arguments: [id]) }
    }

    /// Marks plan `id` as applied by `runID`, unless a run applied it already: that run's
    /// id is returned and nothing changes. One transaction: two applies at once cannot both
    /// claim it.
    public func claimPlan(id: String, runID: Int64, json: String, madeBy madeRun: Int64) throws(JournalError) -> Int64? {
        try write { db in
            if let earlier = try Int64.fetchOne(db, sql: "SELECT applied_run FROM plans WHERE id = ?", arguments: [id]) { return earlier }
            let now = Date().timeIntervalSince1970
            try db.execute(sql: "INSERT OR IGNORE INTO plans (id, run_id, plan, created_at) VALUES (?, ?, ?, ?)", arguments: [id, madeRun, json, now])
            try db.execute(sql: "UPDATE plans SET applied_run = ?, applied_at = ? WHERE id = ? AND applied_run IS NULL", arguments: [runID, now, id])
            return nil
        }
    }

    /// The plan run `runID` applies (its JSON), if it is an apply.
    public func plan(appliedBy runID: Int64) throws(JournalError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT plan FROM plans WHERE applied_run = ?", arguments: [runID]) }
    }

    // MARK: - Rate slots

    /// A slot for `account` if fewer than `limit` of its requests are in flight or were
    /// answered less than `window` seconds ago (in any process); else the seconds until the
    /// earliest frees. Slots of processes that are gone are let go.
    public func takeRateSlot(account: String, limit: Int, window: Double) throws(JournalError) -> RateSlotGrant {
        try write { db in
            let now = Date().timeIntervalSince1970
            try db.execute(sql: "DELETE FROM rate_slots WHERE account = ? AND answered_at < ?", arguments: [account, now - window])
            var held = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rate_slots WHERE account = ?", arguments: [account]) ?? 0
            if held >= limit {
                // A process killed mid-request never answers: its slots free a window after it is gone.
                let mine = Int(ProcessInfo.processInfo.processIdentifier)
                let pids = try Int.fetchAll(db, sql: "SELECT DISTINCT pid FROM rate_slots WHERE account = ? AND answered_at IS NULL AND pid != ?",
                                            arguments: [account, mine])
                for pid in pids where kill(pid_t(pid), 0) != 0 && errno == ESRCH {
                    try db.execute(sql: "UPDATE rate_slots SET answered_at = ? WHERE account = ? AND pid = ? AND answered_at IS NULL",
                                   arguments: [now, account, pid])
                }
                held = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rate_slots WHERE account = ?", arguments: [account]) ?? 0
            }
            guard held >= limit else {
                try db.execute(sql: "INSERT INTO rate_slots (account, pid, taken_at) VALUES (?, ?, ?)",
                               arguments: [account, Int(ProcessInfo.processInfo.processIdentifier), now])
                return .slot(db.lastInsertedRowID)
            }
            let earliest = try Double.fetchOne(db, sql: "SELECT MIN(answered_at) FROM rate_slots WHERE account = ?", arguments: [account])
            return .wait(seconds: earliest.map { max(0, $0 + window - now) } ?? 0.02)
        }
    }

    /// The request in `slot` has its answer: its window runs from now.
    public func releaseRateSlot(_ slot: Int64) throws(JournalError) {
        try write { db in
            try db.execute(sql: "UPDATE rate_slots SET answered_at = ? WHERE id = ?", arguments: [Date().timeIntervalSince1970, slot])
        }
    }

    // MARK: - Reading

    public func run(_ id: Int64) throws(JournalError) -> JournalRun? {
        let found = try read { db in try Row.fetchOne(db, sql: "SELECT runs.*, \(RunColumns.reads) FROM runs WHERE id = ?", arguments: [id]).map(Self.run) }
        if found == nil { try checkIntact() }
        return found
    }

    /// Throws when SQLite's check of the whole file finds it damaged. A damaged page can
    /// hide a run rather than fail its lookup, so a run not found is checked for before
    /// it is called missing (this reads every page: it is for such rare answers only).
    func checkIntact() throws(JournalError) {
        let problem = try read { db in try String.fetchOne(db, sql: "PRAGMA quick_check(1)") }
        guard let problem, problem != "ok" else { return }
        // One line: its first names the database ("*** in database main ***").
        let detail = problem.split(separator: "\n").filter { !$0.hasPrefix("***") }.joined(separator: "; ")
        throw JournalError("the journal \(path) could not be read: database disk image is malformed (\(detail))"
            + Self.damageAdvice(DatabaseError(resultCode: .SQLITE_CORRUPT)))
    }

    /// Runs, newest first.
    public func runs(tenant: String?, since: Date?, undoing: Int64?, unsuccessful: Bool, before: Int64?, limit: Int) throws(JournalError) -> [RunSummary] {
        try read { db in
            // Each change counts once, as its latest row (a resumed attempt replays or retries it).
            let latest = "FROM changes c WHERE c.id IN (SELECT MAX(id) FROM changes WHERE run_id = runs.id GROUP BY key, occurrence)"
            var sql = """
                SELECT \(Self.listedColumns), \(RunColumns.reads),
                  (SELECT COUNT(*) \(latest) AND c.state IN ('succeeded', 'replayed')) AS done_count,
                  (SELECT COUNT(*) \(latest) AND c.state = 'failed') AS failed_count,
                  (SELECT COUNT(*) \(latest) AND c.state = 'unknown') AS unknown_count,
                  (SELECT COUNT(*) \(latest) AND c.state = 'sending') AS sending_count,
                  (SELECT COUNT(*) \(latest) AND c.state = 'planned') AS planned_count
                FROM runs WHERE 1 = 1
                """
            var arguments: [any DatabaseValueConvertible] = []
            if let tenant { sql += " AND tenant = ?"; arguments.append(tenant) }
            if let since { sql += " AND started_at >= ?"; arguments.append(since.timeIntervalSince1970) }
            if let undoing { sql += " AND kind = 'undo' AND json_extract(arguments, '$.run') = ?"; arguments.append(String(undoing)) }
            if unsuccessful { sql += " AND (outcome IS NULL OR outcome != 'success')" }
            if let before { sql += " AND id < ?"; arguments.append(before) }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments.append(limit)
            return try Row.decodeAll(db, sql: sql, arguments: StatementArguments(arguments)) { row in
                try RunSummary(run: Self.run(row), done: row.decode(forColumn: "done_count"), failed: row.decode(forColumn: "failed_count"),
                           unknown: row.decode(forColumn: "unknown_count"), sending: row.decode(forColumn: "sending_count"), planned: row.decode(forColumn: "planned_count"))
            }
        }
    }

    /// `RunColumns.listed` in SQLite's JSON functions.
    private static let listedColumns = RunColumns.listed(
        user: "user",
        inputs: "(SELECT json_group_array(json_remove(value, '$.contents')) FROM json_each(runs.inputs))",
        each: "CASE WHEN json_type(each) = 'object' THEN json_remove(each, '$.contents') ELSE each END")

    /// A run's changes, in the order they were made (attempt by attempt).
    public func changes(runID: Int64, each: (JournalChange) -> Void) throws(JournalError) {
        try read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM changes WHERE run_id = ? ORDER BY attempt, sequence, id", arguments: [runID])
            while let row = try rows.next() { each(try Self.change(row)) }
        }
    }

    /// Every change sent (not planned, not replayed), oldest first: the audit trail.
    public func audit(since: Date?, until: Date?, tenant: String?, vendor: String?, each: (JournalChange) -> Void) throws(JournalError) {
        try read { db in
            var sql = """
                SELECT changes.*, runs.tenant AS run_tenant, runs.user AS run_user FROM changes JOIN runs ON runs.id = changes.run_id
                WHERE changes.state NOT IN ('planned', 'replayed')
                """
            var arguments: [any DatabaseValueConvertible] = []
            if let since { sql += " AND changes.started_at >= ?"; arguments.append(since.timeIntervalSince1970) }
            if let until { sql += " AND changes.started_at < ?"; arguments.append(until.timeIntervalSince1970) }
            if let tenant { sql += " AND runs.tenant = ?"; arguments.append(tenant) }
            if let vendor { sql += " AND changes.vendor = ?"; arguments.append(vendor) }
            sql += " ORDER BY changes.id" // ids grow with time: no index on time to keep up per change
            // A cursor, in one read transaction: one row in memory at a time, and writers
            // (WAL) go on meanwhile.
            let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
            while let row = try rows.next() {
                var change = try Self.change(row)
                change.tenant = try row.decode(forColumn: "run_tenant")
                change.user = try row.decode(forColumn: "run_user")
                each(change)
            }
        }
    }

    // MARK: - Pruning

    public func pruneSurvey(before cutoff: Date, tenant: String?) throws(JournalError) -> PruneSurvey {
        try read { db in
            let latest = "FROM changes c WHERE c.id IN (SELECT MAX(id) FROM changes WHERE run_id = runs.id GROUP BY key, occurrence)"
            let runs = try Row.decodeAll(db, sql: """
                SELECT runs.id, runs.outcome IS NOT NULL AS ended,
                  (SELECT COUNT(*) \(latest) AND c.state IN ('unknown', 'sending')) AS unanswered,
                  EXISTS (SELECT 1 FROM queue WHERE queue.run_id = runs.id AND queue.state IN ('queued', 'running')) AS queued,
                  (SELECT COUNT(*) FROM changes WHERE run_id = runs.id) AS change_rows
                FROM runs WHERE started_at < ? AND (? IS NULL OR tenant = ?) ORDER BY id
                """, arguments: [cutoff.timeIntervalSince1970, tenant, tenant]) { row in
                try PruneSurvey.OldRun(id: row.decode(forColumn: "id"), ended: row.decode(forColumn: "ended"), unanswered: row.decode(forColumn: "unanswered"), queued: row.decode(forColumn: "queued"), changes: row.decode(forColumn: "change_rows"))
            }
            let undos = try Row.decodeAll(db, sql: """
                SELECT undo.id, target.id AS target FROM runs undo JOIN runs target ON target.id = CAST(json_extract(undo.arguments, '$.run') AS INTEGER)
                WHERE undo.kind = 'undo'
                """) { try PruneSurvey.Link(run: $0.decode(forColumn: "id"), of: $0.decode(forColumn: "target")) }
            let applications = try Row.decodeAll(db, sql: """
                SELECT plans.applied_run, plans.run_id FROM plans
                WHERE plans.applied_run IN (SELECT id FROM runs) AND plans.run_id IN (SELECT id FROM runs)
                """) { try PruneSurvey.Link(run: $0.decode(forColumn: "applied_run"), of: $0.decode(forColumn: "run_id")) }
            return PruneSurvey(runs: runs, undos: undos, applications: applications)
        }
    }

    public func deleteRuns(_ ids: [Int64]) throws(JournalError) -> Int {
        guard !ids.isEmpty else { return 0 }
        return try write { db in
            let list = ids.map(String.init).joined(separator: ",")
            try db.execute(sql: "DELETE FROM changes WHERE run_id IN (\(list))")
            let changes = db.changesCount
            try db.execute(sql: """
                DELETE FROM rows WHERE run_id IN (\(list));
                DELETE FROM attempts WHERE run_id IN (\(list));
                DELETE FROM queue WHERE run_id IN (\(list));
                DELETE FROM plans WHERE run_id IN (\(list));
                DELETE FROM runs WHERE id IN (\(list));
                """)
            return changes
        }
    }

    public func reclaimSpace() -> String? {
        let before = Self.fileSize(path)
        do {
            // The rewritten file goes through the write-ahead log: checkpointed and cut, so
            // that the space is given back now.
            try database.writeWithoutTransaction { db in try db.execute(sql: "VACUUM; PRAGMA wal_checkpoint(TRUNCATE)") }
        } catch {
            return "\(path) keeps its size (\(Self.megabytes(before))): it could not be compacted now (\(Self.describe(error))); "
                + "new runs reuse the space deleted ones held"
        }
        return "\(path) went from \(Self.megabytes(before)) to \(Self.megabytes(Self.fileSize(path)))"
    }

    private static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    private static func megabytes(_ bytes: Int64) -> String {
        let tenths = (bytes * 10 + (1 << 19)) >> 20
        return "\(tenths / 10).\(tenths % 10) MB"
    }

    // MARK: -

    /// A cached statement bound and run with SQLite's C API: GRDB's argument arrays box every
    /// value, and this runs for every change a run makes.
    private struct RawBinding {
        let handle: OpaquePointer
        let db: Database
        var index: Int32 = 0

        /// Where `bind(text:)` ranges lie.
        let text: UnsafeRawBufferPointer

        init(_ statement: Statement, in db: Database, text: UnsafeRawBufferPointer) {
            handle = statement.sqliteStatement
            self.db = db
            self.text = text
            sqlite3_reset(handle)
        }

        mutating func bind(_ value: Int64?) {
            index += 1
            if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
        }

        mutating func bind(_ value: Int) { bind(Int64(value)) }
        mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }

        mutating func bind(_ value: Double?) {
            index += 1
            if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
        }

        mutating func bind(_ value: String?) {
            index += 1
            guard var value else { sqlite3_bind_null(handle, index); return }
            // Copied by SQLite (SQLITE_TRANSIENT), from the string's own bytes: no C string is made.
            let index = index
            value.withUTF8 { utf8 in
                // An empty string's bytes may have no address, and a null one would bind NULL.
                let empty: StaticString = ""
                let bytes = UnsafeRawPointer(utf8.baseAddress ?? empty.utf8Start).assumingMemoryBound(to: CChar.self)
                sqlite3_bind_text(handle, index, bytes, Int32(utf8.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            }
        }

        /// The text at `range` of `text`, bound where it lies (SQLITE_STATIC: `text` outlives the statement's use of it).
        mutating func bind(text range: Range<Int>?) {
            index += 1
            guard let range, let base = text.baseAddress else { sqlite3_bind_null(handle, index); return }
            sqlite3_bind_text(handle, index, (base + range.lowerBound).assumingMemoryBound(to: CChar.self), Int32(range.count), nil)
        }

        func step() throws {
            let code = sqlite3_step(handle)
            sqlite3_reset(handle)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do {
            return try database.write(body)
        } catch {
            throw JournalError("the journal \(path) could not be written: \(Self.describe(error))" + Self.damageAdvice(error))
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw JournalError("the journal \(path) could not be read: \(Self.describe(error))" + Self.damageAdvice(error))
        }
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        // Not String(format:): its C varargs cost a first-use type lookup at every start.
        SHA256.hash(data: bytes).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?, default value: T) -> T {
        guard let text, let decoded = try? JSONDecoder().decode(type, from: Data(text.utf8)) else { return value }
        return decoded
    }

    static func run(_ row: Row) throws -> JournalRun {
        let started: Double = try row.decode(forColumn: "started_at")
        let ended: Double? = try row.decode(forColumn: "ended_at")
        return try JournalRun(
            id: row.decode(forColumn: "id"),
            run: NewRun(kind: row.decode(forColumn: "kind"), user: row.decode(forColumn: "user"), host: row.decode(forColumn: "host"), script: row.decode(forColumn: "script"), scriptText: row.decode(forColumn: "script_text"),
                        plugin: row.decode(forColumn: "plugin"), pluginVersion: row.decode(forColumn: "plugin_version"), workflow: row.decode(forColumn: "workflow"),
                        arguments: decode([String: String].self, row.decode(forColumn: "arguments"), default: [:]),
                        inputs: decode([JournalInput].self, row.decode(forColumn: "inputs"), default: []),
                        tenant: row.decode(forColumn: "tenant"), configFile: row.decode(forColumn: "config_file"), seed: row.decode(forColumn: "seed"), dryRun: row.decode(forColumn: "dry_run"),
                        each: decode(EachSource?.self, row.decode(forColumn: "each"), default: nil), clock: row.decode(forColumn: "clock"),
                        modules: decode([QueuedFile]?.self, row.decode(forColumn: "modules"), default: nil),
                        targets: decode([String: String]?.self, row.decode(forColumn: "targets"), default: nil),
                        limits: decode(RunLimits?.self, row.decode(forColumn: "limits"), default: nil)),
            scriptSHA256: row.decode(forColumn: "script_sha256"), startedAt: Date(timeIntervalSince1970: started),
            endedAt: ended.map(Date.init(timeIntervalSince1970:)), outcome: row.decode(forColumn: "outcome"), exitCode: row.decode(forColumn: "exit_code"), error: row.decode(forColumn: "error"),
            attempts: row.decode(forColumn: "attempts"), admitted: (row.decode(forColumn: "admitted") as Bool?) ?? false, reads: row.decode(forColumn: "reads"))
    }

    static func change(_ row: Row) throws -> JournalChange {
        let started: Double = try row.decode(forColumn: "started_at")
        let finished: Double? = try row.decode(forColumn: "finished_at")
        let state: String = try row.decode(forColumn: "state")
        return try JournalChange(
            id: row.decode(forColumn: "id"), runID: row.decode(forColumn: "run_id"), attempt: row.decode(forColumn: "attempt"), sequence: row.decode(forColumn: "sequence"), vendor: row.decode(forColumn: "vendor"),
            operation: row.decode(forColumn: "operation"), effect: row.decode(forColumn: "effect"), key: row.decode(forColumn: "key"), occurrence: row.decode(forColumn: "occurrence"),
            arguments: row.decode(forColumn: "arguments"), state: ChangeState(rawValue: state) ?? .unknown, already: row.decode(forColumn: "already"),
            result: row.decode(forColumn: "result"), error: row.decode(forColumn: "error"), notApplied: row.decode(forColumn: "not_applied"),
            startedAt: Date(timeIntervalSince1970: started), finishedAt: finished.map(Date.init(timeIntervalSince1970:)),
            durationMilliseconds: row.decode(forColumn: "duration_ms"), replayedFrom: row.decode(forColumn: "replayed_from"), stateBefore: row.decode(forColumn: "state_before"))
    }
}

extension Row {
    /// Decodes each row of `sql` as it is stepped. A row `fetchAll` copies looks a column up by
    /// lowercasing every column name, once per lookup; a cursor's row uses the statement's own
    /// index of names (`roster runs` over 50,000 runs: about a fifth less CPU).
    static func decodeAll<T>(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments(),
                             _ decode: (Row) throws -> T) throws -> [T] {
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        var decoded: [T] = []
        while let row = try rows.next() { decoded.append(try decode(row)) }
        return decoded
    }
}
