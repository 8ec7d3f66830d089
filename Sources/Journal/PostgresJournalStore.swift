/// PostgresJournalStore.swift: the journal in PostgreSQL (postgres-nio), chosen by
/// `journal = "postgres://user@host:port/db"`: one journal shared by many processes on many
/// hosts. The same tables as SQLite's, created and migrated by Roster; each method one short
/// transaction on one connection, made again when the server closed it (a restart).
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// A journal in a PostgreSQL database.
public final class PostgresJournalStore: JournalStore, @unchecked Sendable {
    /// `postgres://user@host:port/db`, without a password.
    public let path: String
    public let changeLogFolder: String
    public var logsChangesLocally: Bool { false }
    /// The connection, replaced when the server closed it (under `lock`).
    private(set) var connection: PostgresConnection
    /// How to connect again.
    private let configuration: PostgresConnection.Configuration
    /// One transaction at a time on the connection.
    private let lock = NSLock()
    let logger = Logger(label: "roster.journal")

    /// 1 made the tables; 2 added the run queue, its workers, and the host of a rate slot; 3 a
    /// run's pinned clock; 4 the modules a run's script required; 5 whether a run got past its
    /// gate; 6 where a run's vendors were reached and the limits it was given; 7 a queued run's
    /// cancellation; 8 the line a run (and each attempt) ended on.
    static let schemaVersion = 8

    /// Whether `location` names a PostgreSQL journal.
    public static func isURL(_ location: String) -> Bool { location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") }

    /// `url` as a store opened from it names itself (its `path`): `postgres://USER@HOST[:PORT]/DB`,
    /// the user filled in, no password; nil when it names no host.
    public static func canonical(_ url: String) -> String? {
        guard let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty else { return nil }
        var shown = URLComponents()
        shown.scheme = "postgres"
        shown.user = parts.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        shown.host = host
        shown.port = parts.port
        shown.path = "/" + (parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path)
        return shown.string
    }

    /// Connects to the database `url` names (its password, if any, from `password`), and
    /// creates or upgrades its tables. Change logs go in `logFolder`; `recovery` says what a
    /// failure to store what killed runs left in them means.
    public static func open(url: String, password: String?, logFolder: String,
                            recovery: ChangeLog.Recovery = .required) throws(JournalError) -> PostgresJournalStore {
        guard let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty else {
            throw JournalError("'\(JournalLocation.shown(url))' is not a PostgreSQL address: write postgres://USER@HOST:PORT/DATABASE")
        }
        if let port = parts.port, !(1...65_535).contains(port) {
            throw JournalError("'\(JournalLocation.shown(url))' has port \(port), which is not from 1 to 65535: write postgres://USER@HOST:PORT/DATABASE")
        }
        let user = parts.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        let database = parts.path.hasPrefix("/") ? String(parts.path.dropFirst()) : parts.path
        let path = canonical(url) ?? url
        // An IPv6 address comes bracketed from the URL; the connection wants it bare.
        let address = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let configuration = PostgresConnection.Configuration(host: address, port: parts.port ?? 5432, username: user,
                                                            password: password ?? parts.password, database: database.isEmpty ? nil : database,
                                                            tls: try PostgresTLS.mode(parts, shown: JournalLocation.shown(url)))
        let connection = try connect(configuration, path: path)
        try? FileManager.default.createDirectory(atPath: logFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let store = PostgresJournalStore(path: path, changeLogFolder: logFolder, connection: connection, configuration: configuration)
        try store.createSchema()
        try ChangeLog.recover(into: store, recovery)
        return store
    }

    /// A connection to the journal's database, set up for it.
    private static func connect(_ configuration: PostgresConnection.Configuration, path: String) throws(JournalError) -> PostgresConnection {
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1,
                                                        logger: Logger(label: "roster.journal")).wait()
        } catch {
            throw JournalError("cannot reach the journal \(path): \(Self.describe(error))")
        }
        // A commit returns once the server has it, without waiting for its disk: the same
        // durability as the SQLite journal's (synchronous = NORMAL) — a killed Roster process
        // loses nothing, a crash of the database's machine may lose its last moments — at a
        // fraction of the cost of a flush per change.
        do {
            _ = try connection.query("SET synchronous_commit = off", logger: Logger(label: "roster.journal")).wait()
        } catch {
            try? connection.close().wait()
            throw JournalError("the journal \(path) could not be used: \(Self.describe(error))")
        }
        return connection
    }

    private init(path: String, changeLogFolder: String, connection: PostgresConnection, configuration: PostgresConnection.Configuration) {
        self.path = path
        self.changeLogFolder = changeLogFolder
        self.connection = connection
        self.configuration = configuration
    }

    deinit { try? connection.close().wait() }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            // A connection that failed says why in its underlying error (refused, no such host).
            if error.code == .connectionError, let underlying = error.underlying { return "could not connect (\(describe(underlying)))" }
            // The client's own refusals, in words (its codes read like `authMechanismRequiresPassword`).
            switch error.code {
            case .authMechanismRequiresPassword: return "the server asks for a password, and none was given (journal_password in roster.toml, or postgres://USER:PASSWORD@HOST/DATABASE)"
            case .unsupportedAuthMechanism: return "the server asks for an authentication method Roster does not speak (it speaks scram-sha-256, md5 and password)"
            case .saslError: return "the password exchange (SCRAM) failed"
            case .sslUnsupported: return "the server does not accept TLS, which the address asks for"
            case .serverClosedConnection: return "the server closed the connection"
            default: break
            }
            if let underlying = error.underlying { return "\(error.code): \(describe(underlying))" }
            return "\(error.code)"
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if error is NIOSSLError {
            // BoringSSL's words are an error stack; the one that matters has a plain meaning.
            if "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
                return "its TLS certificate is not trusted (sslrootcert names the root to check it against; sslmode=require encrypts without checking)"
            }
            return "the TLS handshake failed (\("\(error)".prefix(120)))"
        }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first { return describe(first.error) }
            return error.dnsAError != nil || error.dnsAAAAError != nil ? "its host name did not resolve" : "no address to connect to"
        }
        return "\(error)"
    }

    // MARK: - Queries

    /// A transaction: the queries `body` runs, all or none (`atomic: false`: a single
    /// statement, atomic by itself, sent without BEGIN and COMMIT).
    @discardableResult
    func transaction<T>(atomic: Bool = true, _ body: (Transaction) throws -> T) throws(JournalError) -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try attempt(atomic: atomic, body)
        } catch let closed as ClosedJournalConnection where closed.beforeAnything {
            // A server that restarted (or dropped the connection) closed it, and nothing of
            // this transaction reached it: connect again and send it, once. A server still
            // down is this call's error.
            connection = try Self.connect(configuration, path: path)
        } catch {
            throw Self.failure(error, path: path)
        }
        do {
            return try attempt(atomic: atomic, body)
        } catch {
            throw Self.failure(error, path: path)
        }
    }

    /// `body` in a transaction on the current connection; its error as thrown.
    private func attempt<T>(atomic: Bool, _ body: (Transaction) throws -> T) throws -> T {
        let transaction = Transaction(connection: connection, logger: logger)
        do {
            if atomic { try transaction.run("BEGIN") }
            let value = try body(transaction)
            if atomic { try transaction.run("COMMIT") }
            return value
        } catch {
            if atomic, !(error is ClosedJournalConnection) { _ = try? transaction.run("ROLLBACK") }
            throw error
        }
    }

    /// What the body itself refused says so as it is; anything else names the journal.
    private static func failure(_ error: any Error, path: String) -> JournalError {
        if let refusal = error as? JournalError { return refusal }
        return JournalError("the journal \(path) could not be used: \(describe(error))")
    }

    /// One statement on its own (PostgreSQL makes it atomic): no BEGIN and COMMIT, each a
    /// round trip to the server.
    @discardableResult
    func statement<T>(_ body: (Transaction) throws -> T) throws(JournalError) -> T {
        try transaction(atomic: false, body)
    }

    /// Queries within one transaction.
    final class Transaction {
        let connection: PostgresConnection
        let logger: Logger
        /// Queries handed to the connection so far.
        private var sent = 0

        init(connection: PostgresConnection, logger: Logger) {
            self.connection = connection
            self.logger = logger
        }

        /// The query's rows. Written from the connection's own event loop, where nothing can
        /// close the connection between the look at it and the write: postgres-nio drops a
        /// query written to a closed connection without an answer (its write carries no
        /// promise), and a wait for it never ended (a worker stood still for good).
        @discardableResult
        func run(_ query: PostgresQuery) throws -> [PostgresRandomAccessRow] {
            let connection = self.connection, logger = self.logger, first = sent == 0
            sent += 1
            return try connection.eventLoop.flatSubmit { () -> EventLoopFuture<PostgresQueryResult> in
                guard !connection.isClosed else {
                    return connection.eventLoop.makeFailedFuture(ClosedJournalConnection(beforeAnything: first))
                }
                return connection.query(query, logger: logger)
            }.wait().rows.map { $0.makeRandomAccess() }
        }
    }

    /// The connection was found closed as a query was about to be written (so it was not).
    struct ClosedJournalConnection: Error, CustomStringConvertible {
        /// Nothing of the transaction had been sent.
        let beforeAnything: Bool
        var description: String { "the server closed the connection" }
    }

    private func createSchema() throws(JournalError) {
        try transaction { db in
            // Several processes opening a new journal at once: one creates it, the others wait.
            try db.run("SELECT pg_advisory_xact_lock(7263011)")
            try db.run("CREATE TABLE IF NOT EXISTS roster_schema (version INTEGER NOT NULL)")
            let version = try db.run("SELECT version FROM roster_schema").first.map { try $0["version"].decode(Int.self) } ?? 0
            guard version < Self.schemaVersion else { return }
            if version < 1 { try Self.createTables(db) }
            if version < 2 {
                try db.run("ALTER TABLE rate_slots ADD COLUMN IF NOT EXISTS host TEXT")
                try db.run("""
                    CREATE TABLE IF NOT EXISTS queue (
                        run_id BIGINT PRIMARY KEY REFERENCES runs(id), state TEXT NOT NULL, not_before DOUBLE PRECISION NOT NULL,
                        submitted_at DOUBLE PRECISION NOT NULL, files TEXT NOT NULL, worker TEXT, lease_until DOUBLE PRECISION,
                        claims INTEGER NOT NULL DEFAULT 0, exit_code INTEGER, finished_at DOUBLE PRECISION, schedule TEXT,
                        tick DOUBLE PRECISION, UNIQUE (schedule, tick))
                    """)
                try db.run("CREATE INDEX IF NOT EXISTS queue_by_state ON queue(state, not_before)")
                try db.run("""
                    CREATE TABLE IF NOT EXISTS workers (
                        name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, concurrency INTEGER NOT NULL,
                        started_at DOUBLE PRECISION NOT NULL, heartbeat DOUBLE PRECISION NOT NULL, stopping BOOLEAN NOT NULL DEFAULT FALSE)
                    """)
            }
            if version < 3 { try db.run("ALTER TABLE runs ADD COLUMN IF NOT EXISTS clock BIGINT") }
            if version < 4 { try db.run("ALTER TABLE runs ADD COLUMN IF NOT EXISTS modules TEXT") }
            if version < 5 { try db.run("ALTER TABLE runs ADD COLUMN IF NOT EXISTS admitted BOOLEAN NOT NULL DEFAULT FALSE") }
            if version < 6 {
                try db.run("ALTER TABLE runs ADD COLUMN IF NOT EXISTS targets TEXT")
                try db.run("ALTER TABLE runs ADD COLUMN IF NOT EXISTS limits TEXT")
            }
            if version < 7 { try db.run("ALTER TABLE queue ADD COLUMN IF NOT EXISTS cancelled_at DOUBLE PRECISION") }
            if version < 8 {
                try db.run("ALTER TABLE runs ADD COLUMN IF NOT EXISTS error TEXT")
                try db.run("ALTER TABLE attempts ADD COLUMN IF NOT EXISTS error TEXT")
            }
            try db.run("DELETE FROM roster_schema")
            try db.run("INSERT INTO roster_schema (version) VALUES (\(Self.schemaVersion))")
        }
    }

    /// The tables of version 1.
    private static func createTables(_ db: Transaction) throws {
        try db.run("""
            CREATE TABLE IF NOT EXISTS runs (
                id BIGSERIAL PRIMARY KEY,
                kind TEXT NOT NULL, "user" TEXT NOT NULL, host TEXT NOT NULL,
                script TEXT NOT NULL, script_text TEXT NOT NULL, script_sha256 TEXT NOT NULL,
                plugin TEXT, plugin_version TEXT, workflow TEXT,
                arguments TEXT NOT NULL, inputs TEXT NOT NULL,
                tenant TEXT NOT NULL, config_file TEXT, seed BIGINT NOT NULL, dry_run BOOLEAN NOT NULL,
                started_at DOUBLE PRECISION NOT NULL, ended_at DOUBLE PRECISION, outcome TEXT, exit_code INTEGER,
                attempts INTEGER NOT NULL DEFAULT 1, each TEXT)
            """)
        try db.run("CREATE INDEX IF NOT EXISTS runs_by_time ON runs(started_at)")
        try db.run("""
            CREATE TABLE IF NOT EXISTS attempts (
                run_id BIGINT NOT NULL REFERENCES runs(id), number INTEGER NOT NULL, pid INTEGER NOT NULL,
                started_at DOUBLE PRECISION NOT NULL, ended_at DOUBLE PRECISION, outcome TEXT, exit_code INTEGER,
                reads INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, number))
            """)
        try db.run("""
            CREATE TABLE IF NOT EXISTS changes (
                id BIGSERIAL PRIMARY KEY,
                run_id BIGINT NOT NULL REFERENCES runs(id), attempt INTEGER NOT NULL, sequence INTEGER NOT NULL,
                vendor TEXT NOT NULL, operation TEXT NOT NULL, effect TEXT NOT NULL,
                key TEXT NOT NULL, occurrence INTEGER NOT NULL, arguments TEXT NOT NULL,
                state TEXT NOT NULL, already BOOLEAN NOT NULL DEFAULT FALSE, result TEXT, error TEXT,
                not_applied BOOLEAN NOT NULL DEFAULT FALSE,
                started_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION, duration_ms DOUBLE PRECISION,
                replayed_from BIGINT, state_before TEXT,
                UNIQUE (run_id, attempt, sequence))
            """)
        try db.run("""
            CREATE TABLE IF NOT EXISTS rows (
                run_id BIGINT NOT NULL REFERENCES runs(id), number INTEGER NOT NULL, attempt INTEGER NOT NULL,
                key TEXT NOT NULL, sha256 TEXT NOT NULL, state TEXT NOT NULL, error TEXT,
                changes INTEGER NOT NULL, finished_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (run_id, number, attempt))
            """)
        try db.run("""
            CREATE TABLE IF NOT EXISTS rate_slots (
                id BIGSERIAL PRIMARY KEY, account TEXT NOT NULL, pid INTEGER NOT NULL,
                taken_at DOUBLE PRECISION NOT NULL, answered_at DOUBLE PRECISION)
            """)
        try db.run("CREATE INDEX IF NOT EXISTS rate_slots_by_account ON rate_slots(account)")
        try db.run("""
            CREATE TABLE IF NOT EXISTS plans (
                id TEXT PRIMARY KEY, run_id BIGINT NOT NULL, plan TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
                applied_run BIGINT, applied_at DOUBLE PRECISION)
            """)
    }

    // MARK: - Writing

    public func startRun(_ run: NewRun) throws(JournalError) -> Int64 {
        try transaction { db in
            let now = Date().timeIntervalSince1970
            let id = try Self.insert(run, at: now, in: db)
            try db.run("INSERT INTO attempts (run_id, number, pid, started_at) VALUES (\(id), 1, \(Int(ProcessInfo.processInfo.processIdentifier)), \(now))")
            return id
        }
    }

    /// Inserts `run` (with no attempt, and `outcome` if given); returns its id.
    static func insert(_ run: NewRun, at now: Double, outcome: String? = nil, attempts: Int = 1, in db: Transaction) throws -> Int64 {
        try db.run("""
            INSERT INTO runs (kind, "user", host, script, script_text, script_sha256, plugin, plugin_version, workflow,
                              arguments, inputs, tenant, config_file, seed, dry_run, started_at, each, outcome, attempts, clock, modules,
                              targets, limits)
            VALUES (\(run.kind), \(run.user), \(run.host), \(run.script), \(run.scriptText),
                    \(SQLiteJournalStore.sha256(Array(run.scriptText.utf8))), \(run.plugin), \(run.pluginVersion), \(run.workflow),
                    \(SQLiteJournalStore.json(run.arguments)), \(SQLiteJournalStore.json(run.inputs)), \(run.tenant), \(run.configFile),
                    \(run.seed), \(run.dryRun), \(now), \(run.each.map(SQLiteJournalStore.json)), \(outcome), \(attempts), \(run.clock),
                    \(run.modules.map(SQLiteJournalStore.json)), \(run.targets.map(SQLiteJournalStore.json)),
                    \(run.limits.map(SQLiteJournalStore.json)))
            RETURNING id
            """)[0]["id"].decode(Int64.self)
    }

    public func admitRun(_ runID: Int64) throws(JournalError) {
        try statement { db in try db.run("UPDATE runs SET admitted = TRUE WHERE id = \(runID)") }
    }

    public func startAttempt(runID: Int64, now: Int64) throws(JournalError) -> (number: Int, clock: Int64) {
        try transaction { db in
            let row = try db.run("""
                UPDATE runs SET attempts = attempts + 1, ended_at = NULL, outcome = NULL, exit_code = NULL, error = NULL, clock = COALESCE(clock, \(now))
                WHERE id = \(runID) RETURNING attempts, clock
                """).first
            let number = try row.map { try $0["attempts"].decode(Int.self) } ?? 1
            let clock = try row.map { try $0["clock"].decode(Int64.self) } ?? now
            try db.run("""
                INSERT INTO attempts (run_id, number, pid, started_at)
                VALUES (\(runID), \(number), \(Int(ProcessInfo.processInfo.processIdentifier)), \(Date().timeIntervalSince1970))
                """)
            return (number, clock)
        }
    }

    public func commit(_ operations: [JournalOperation], idempotent: Bool) throws(JournalError) -> [Int64] {
        var batch = JournalBatch(operations)
        // One statement (a change alone, as a run sends it) needs no transaction around it.
        return try transaction(atomic: operations.count > 1) { db in
            try operations.map { operation in
                switch operation {
                case .insert(let change, let place, let state, let replayedFrom, let at):
                    let values = batch.row(place, state: state, replayedFrom: replayedFrom, at: at)
                    // (run, attempt, sequence) is unique: a change logged twice is stored once.
                    // Fenced: stored only while its attempt is the run's latest. The run's row is
                    // share-locked for the statement, so a resume's next attempt (which updates
                    // it) starts either after this change is stored, and reads it, or before,
                    // and this change is refused and never sent.
                    let inserted = try db.run("""
                        WITH latest AS (SELECT id FROM runs WHERE id = \(place.runID) AND attempts = \(place.attempt) FOR SHARE)
                        INSERT INTO changes (run_id, attempt, sequence, vendor, operation, effect, key, occurrence, arguments, state,
                                             already, result, error, not_applied, started_at, finished_at, duration_ms, replayed_from, state_before)
                        SELECT \(place.runID), \(place.attempt), \(place.sequence), \(change.vendor), \(change.operation), \(change.effect),
                               \(change.key), \(change.occurrence), \(change.arguments), \(values.end.state.rawValue), \(values.end.already),
                               \(values.end.result), \(values.end.error), \(values.end.notApplied), \(values.startedAt), \(values.finishedAt),
                               \(values.durationMilliseconds), \(replayedFrom?.id), \(change.stateBefore)
                        FROM latest
                        ON CONFLICT (run_id, attempt, sequence) DO NOTHING
                        RETURNING id
                        """)
                    guard let row = inserted.first else {
                        let latest = try db.run("SELECT attempts FROM runs WHERE id = \(place.runID)").first
                        if let number = try latest.map({ try $0["attempts"].decode(Int.self) }), number != place.attempt {
                            throw JournalError("run \(place.runID) was taken up by attempt \(number) (roster resume, or a worker "
                                               + "that took the run over), so attempt \(place.attempt) stops sending")
                        }
                        return 0
                    }
                    batch.stored(place, values)
                    return try row["id"].decode(Int64.self)
                case .finish(let place, let state, let already, let result, let error, let notApplied, let at):
                    guard !batch.isFolded(place) else { return 0 }
                    let time = at.timeIntervalSince1970
                    try db.run("""
                        UPDATE changes SET state = \(state.rawValue), already = \(already), result = \(result), error = \(error),
                                           not_applied = \(notApplied), finished_at = \(time), duration_ms = (\(time) - started_at) * 1000
                        WHERE run_id = \(place.runID) AND attempt = \(place.attempt) AND sequence = \(place.sequence)
                        """)
                    return 0
                case .row(let row):
                    try Self.store(row, in: db)
                    return 0
                case .end(let end):
                    try Self.store(end, in: db)
                    return 0
                }
            }
        }
    }

    public func abandonInFlight(runID: Int64, attempt: Int, reason: String) throws(JournalError) {
        try transaction { db in
            try db.run("""
                UPDATE changes SET state = 'unknown', error = \(reason), finished_at = \(Date().timeIntervalSince1970)
                WHERE run_id = \(runID) AND attempt = \(attempt) AND state = 'sending'
                """)
        }
    }

    public func finishAttempt(_ end: AttemptEnd) throws(JournalError) {
        try transaction { db in try Self.store(end, in: db) }
    }

    /// Stores how an attempt ended; the run takes its outcome only while the attempt is its
    /// latest (a worker that took the run over has its own).
    static func store(_ end: AttemptEnd, in db: Transaction) throws {
        let time = end.endedAt.timeIntervalSince1970
        try db.run("""
            UPDATE attempts SET ended_at = \(time), outcome = \(end.outcome), exit_code = \(end.exitCode), reads = \(end.reads), error = \(end.error)
            WHERE run_id = \(end.runID) AND number = \(end.attempt)
            """)
        try db.run("""
            UPDATE runs SET ended_at = \(time), outcome = \(end.outcome), exit_code = \(end.exitCode), error = \(end.error)
            WHERE id = \(end.runID) AND attempts = \(end.attempt)
            """)
    }

    public func finishRow(_ row: JournalRow) throws(JournalError) {
        try transaction { db in try Self.store(row, in: db) }
    }

    static func store(_ row: JournalRow, in db: Transaction) throws {
        try db.run("""
            INSERT INTO rows (run_id, number, attempt, key, sha256, state, error, changes, finished_at)
            VALUES (\(row.runID), \(row.number), \(row.attempt), \(row.key), \(row.sha256), \(row.state.rawValue), \(row.error),
                    \(row.changes), \(row.finishedAt.timeIntervalSince1970))
            ON CONFLICT (run_id, number, attempt) DO UPDATE SET key = EXCLUDED.key, sha256 = EXCLUDED.sha256, state = EXCLUDED.state,
                error = EXCLUDED.error, changes = EXCLUDED.changes, finished_at = EXCLUDED.finished_at
            """)
    }

    public func rows(runID: Int64) throws(JournalError) -> [JournalRow] {
        try transaction { db in
            try db.run("""
                SELECT * FROM rows r WHERE run_id = \(runID)
                  AND attempt = (SELECT MAX(attempt) FROM rows WHERE run_id = r.run_id AND number = r.number)
                ORDER BY number
                """).map { row in
                JournalRow(runID: try row["run_id"].decode(Int64.self), number: try row["number"].decode(Int.self),
                           attempt: try row["attempt"].decode(Int.self), key: try row["key"].decode(String.self),
                           sha256: try row["sha256"].decode(String.self),
                           state: RowState(rawValue: try row["state"].decode(String.self)) ?? .failed, error: try row["error"].decode(String?.self),
                           changes: try row["changes"].decode(Int.self),
                           finishedAt: Date(timeIntervalSince1970: try row["finished_at"].decode(Double.self)))
            }
        }
    }

    // MARK: - Plans

    public func savePlan(id: String, runID: Int64, json: String) throws(JournalError) {
        try transaction { db in
            try db.run("""
                INSERT INTO plans (id, run_id, plan, created_at) VALUES (\(id), \(runID), \(json), \(Date().timeIntervalSince1970))
                ON CONFLICT (id) DO NOTHING
                """)
        }
    }

    public func planApplication(id: String) throws(JournalError) -> Int64? {
        try statement { db in try db.run("SELECT applied_run FROM plans WHERE id = \(id)").first.flatMap { try $0["applied_run"].decode(Int64?.self) } }
    }

    public func savedPlan(id: String) throws(JournalError) -> String? {
        try statement { db in try db.run("SELECT plan FROM plans WHERE id = \(id)").first.map { try $0["plan"].decode(String.self) } }
    }

    public func claimPlan(id: String, runID: Int64, json: String, madeBy madeRun: Int64) throws(JournalError) -> Int64? {
        try transaction { db in
            let now = Date().timeIntervalSince1970
            try db.run("INSERT INTO plans (id, run_id, plan, created_at) VALUES (\(id), \(madeRun), \(json), \(now)) ON CONFLICT (id) DO NOTHING")
            // The row locked: two applies at once cannot both claim it.
            let earlier = try db.run("SELECT applied_run FROM plans WHERE id = \(id) FOR UPDATE").first.flatMap { try $0["applied_run"].decode(Int64?.self) }
            if let earlier { return earlier }
            try db.run("UPDATE plans SET applied_run = \(runID), applied_at = \(now) WHERE id = \(id)")
            return nil
        }
    }

    public func plan(appliedBy runID: Int64) throws(JournalError) -> String? {
        try statement { db in try db.run("SELECT plan FROM plans WHERE applied_run = \(runID)").first.map { try $0["plan"].decode(String.self) } }
    }

    // MARK: - Rate slots

    /// As SQLite's, across hosts: a slot never answered (its process died, on any host)
    /// counts until `abandoned` seconds after it was taken.
    public func takeRateSlot(account: String, limit: Int, window: Double) throws(JournalError) -> RateSlotGrant {
        try transaction { db in
            try db.run("SELECT pg_advisory_xact_lock(hashtext(\(account)))")
            let now = Date().timeIntervalSince1970
            try db.run("""
                DELETE FROM rate_slots WHERE account = \(account)
                  AND (answered_at < \(now - window) OR (answered_at IS NULL AND taken_at < \(now - Self.abandoned)))
                """)
            var held = try db.run("SELECT COUNT(*) AS held FROM rate_slots WHERE account = \(account)")[0]["held"].decode(Int.self)
            if held >= limit {
                // A process of this host killed mid-request never answers: its slots free a
                // window after it is gone (another host's, after `abandoned`).
                let mine = Int(ProcessInfo.processInfo.processIdentifier)
                let pids = try db.run("""
                    SELECT DISTINCT pid FROM rate_slots WHERE account = \(account) AND answered_at IS NULL AND host = \(Self.host) AND pid != \(mine)
                    """).map { try $0["pid"].decode(Int.self) }
                for pid in pids where kill(pid_t(pid), 0) != 0 && errno == ESRCH {
                    try db.run("""
                        UPDATE rate_slots SET answered_at = \(now) WHERE account = \(account) AND host = \(Self.host) AND pid = \(pid) AND answered_at IS NULL
                        """)
                }
                held = try db.run("SELECT COUNT(*) AS held FROM rate_slots WHERE account = \(account)")[0]["held"].decode(Int.self)
            }
            guard held >= limit else {
                let id = try db.run("""
                    INSERT INTO rate_slots (account, pid, host, taken_at)
                    VALUES (\(account), \(Int(ProcessInfo.processInfo.processIdentifier)), \(Self.host), \(now))
                    RETURNING id
                    """)[0]["id"].decode(Int64.self)
                return .slot(id)
            }
            let earliest = try db.run("SELECT MIN(answered_at) AS earliest FROM rate_slots WHERE account = \(account)")[0]["earliest"].decode(Double?.self)
            return .wait(seconds: earliest.map { max(0, $0 + window - now) } ?? 0.02)
        }
    }

    static let abandoned: Double = 600
    /// This host's name, as rate slots record it.
    static let host = ProcessInfo.processInfo.hostName

    public func releaseRateSlot(_ slot: Int64) throws(JournalError) {
        try statement { db in try db.run("UPDATE rate_slots SET answered_at = \(Date().timeIntervalSince1970) WHERE id = \(slot)") }
    }

    // MARK: - Reading

    public func run(_ id: Int64) throws(JournalError) -> JournalRun? {
        try statement { db in
            try db.run("SELECT runs.*, \(unescaped: RunColumns.reads) FROM runs WHERE id = \(id)").first.map(Self.run)
        }
    }

    public func runs(tenant: String?, since: Date?, undoing: Int64?, unsuccessful: Bool, before: Int64?, limit: Int) throws(JournalError) -> [RunSummary] {
        try statement { db in
            // Each change counts once, as its latest row (a resumed attempt replays or retries it).
            let latest = "FROM changes c WHERE c.id IN (SELECT MAX(id) FROM changes WHERE run_id = runs.id GROUP BY key, occurrence)"
            var query = PostgresQuery(unsafeSQL: """
                SELECT \(Self.listedColumns), \(RunColumns.reads),
                  (SELECT COUNT(*) \(latest) AND c.state IN ('succeeded', 'replayed')) AS done_count,
                  (SELECT COUNT(*) \(latest) AND c.state = 'failed') AS failed_count,
                  (SELECT COUNT(*) \(latest) AND c.state = 'unknown') AS unknown_count,
                  (SELECT COUNT(*) \(latest) AND c.state = 'sending') AS sending_count,
                  (SELECT COUNT(*) \(latest) AND c.state = 'planned') AS planned_count
                FROM runs WHERE ($1::TEXT IS NULL OR tenant = $1) AND ($2::DOUBLE PRECISION IS NULL OR started_at >= $2)
                  AND ($4::TEXT IS NULL OR (kind = 'undo' AND arguments::jsonb ->> 'run' = $4))
                  AND (NOT $5::BOOLEAN OR outcome IS NULL OR outcome <> 'success')
                  AND ($6::BIGINT IS NULL OR id < $6)
                ORDER BY id DESC LIMIT $3
                """)
            query.binds.append(tenant)
            query.binds.append(since?.timeIntervalSince1970)
            query.binds.append(limit)
            query.binds.append(undoing.map(String.init))
            query.binds.append(unsuccessful)
            query.binds.append(before)
            return try db.run(query).map { row in
                RunSummary(run: try Self.run(row), done: try row["done_count"].decode(Int.self), failed: try row["failed_count"].decode(Int.self),
                           unknown: try row["unknown_count"].decode(Int.self),
                           sending: try row["sending_count"].decode(Int.self), planned: try row["planned_count"].decode(Int.self))
            }
        }
    }

    /// `RunColumns.listed` in PostgreSQL's JSON operators (the columns hold JSON as text).
    private static let listedColumns = RunColumns.listed(
        user: "\"user\"",
        inputs: "COALESCE((SELECT jsonb_agg(element - 'contents') FROM jsonb_array_elements(CASE WHEN jsonb_typeof(inputs::jsonb) = 'array' THEN inputs::jsonb ELSE '[]'::jsonb END) AS element)::TEXT, '[]')",
        each: "CASE WHEN jsonb_typeof(each::jsonb) = 'object' THEN (each::jsonb - 'contents')::TEXT ELSE each END")

    public func changes(runID: Int64, each: (JournalChange) -> Void) throws(JournalError) {
        // Pages in one repeatable-read snapshot, as `audit` reads, a page in memory at a time.
        try transaction { db in
            try db.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            var after = (attempt: 0, sequence: 0, id: Int64(0))
            while true {
                let rows = try db.run("""
                    SELECT * FROM changes WHERE run_id = \(runID) AND (attempt, sequence, id) > (\(after.attempt), \(after.sequence), \(after.id))
                    ORDER BY attempt, sequence, id LIMIT \(Self.auditPage)
                    """)
                for row in rows {
                    let change = try Self.change(row)
                    after = (change.attempt, change.sequence, change.id)
                    each(change)
                }
                if rows.count < Self.auditPage { return }
            }
        }
    }

    public func audit(since: Date?, until: Date?, tenant: String?, vendor: String?, each: (JournalChange) -> Void) throws(JournalError) {
        // Pages by id within one repeatable-read transaction: one snapshot (a change whose
        // commit came late is not skipped between pages), a page in memory at a time.
        try transaction { db in
            try db.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            var after: Int64 = 0
            while true {
                var query = PostgresQuery(unsafeSQL: """
                    SELECT changes.*, runs.tenant AS run_tenant, runs."user" AS run_user FROM changes JOIN runs ON runs.id = changes.run_id
                    WHERE changes.state NOT IN ('planned', 'replayed') AND changes.id > $5
                      AND ($1::DOUBLE PRECISION IS NULL OR changes.started_at >= $1) AND ($2::DOUBLE PRECISION IS NULL OR changes.started_at < $2)
                      AND ($3::TEXT IS NULL OR runs.tenant = $3) AND ($4::TEXT IS NULL OR changes.vendor = $4)
                    ORDER BY changes.id LIMIT \(Self.auditPage)
                    """)
                query.binds.append(since?.timeIntervalSince1970)
                query.binds.append(until?.timeIntervalSince1970)
                query.binds.append(tenant)
                query.binds.append(vendor)
                query.binds.append(after)
                let rows = try db.run(query)
                for row in rows {
                    var change = try Self.change(row)
                    change.tenant = try row["run_tenant"].decode(String?.self)
                    change.user = try row["run_user"].decode(String?.self)
                    after = change.id
                    each(change)
                }
                if rows.count < Self.auditPage { return }
            }
        }
    }

    /// Changes read per page of the audit trail or of a run's changes.
    public static let auditPage = 2_000

    // MARK: - Pruning

    public func pruneSurvey(before cutoff: Date, tenant: String?) throws(JournalError) -> PruneSurvey {
        try statement { db in
            let latest = "FROM changes c WHERE c.id IN (SELECT MAX(id) FROM changes WHERE run_id = runs.id GROUP BY key, occurrence)"
            var query = PostgresQuery(unsafeSQL: """
                SELECT runs.id, runs.outcome IS NOT NULL AS ended,
                  (SELECT COUNT(*) \(latest) AND c.state IN ('unknown', 'sending')) AS unanswered,
                  EXISTS (SELECT 1 FROM queue WHERE queue.run_id = runs.id AND queue.state IN ('queued', 'running')) AS queued,
                  (SELECT COUNT(*) FROM changes WHERE run_id = runs.id) AS change_rows
                FROM runs WHERE started_at < $1 AND ($2::TEXT IS NULL OR tenant = $2) ORDER BY id
                """)
            query.binds.append(cutoff.timeIntervalSince1970)
            query.binds.append(tenant)
            let runs = try db.run(query).map { row in
                PruneSurvey.OldRun(id: try row["id"].decode(Int64.self), ended: try row["ended"].decode(Bool.self),
                                   unanswered: try row["unanswered"].decode(Int.self), queued: try row["queued"].decode(Bool.self),
                                   changes: try row["change_rows"].decode(Int.self))
            }
            let undos = try db.run("""
                SELECT undo.id, target.id AS target FROM runs undo JOIN runs target ON target.id = (undo.arguments::jsonb ->> 'run')::BIGINT
                WHERE undo.kind = 'undo'
                """).map { PruneSurvey.Link(run: try $0["id"].decode(Int64.self), of: try $0["target"].decode(Int64.self)) }
            let applications = try db.run("""
                SELECT plans.applied_run, plans.run_id FROM plans
                WHERE plans.applied_run IN (SELECT id FROM runs) AND plans.run_id IN (SELECT id FROM runs)
                """).map { PruneSurvey.Link(run: try $0["applied_run"].decode(Int64.self), of: try $0["run_id"].decode(Int64.self)) }
            return PruneSurvey(runs: runs, undos: undos, applications: applications)
        }
    }

    public func deleteRuns(_ ids: [Int64]) throws(JournalError) -> Int {
        guard !ids.isEmpty else { return 0 }
        return try transaction { db in
            var query = PostgresQuery(unsafeSQL: "WITH gone AS (DELETE FROM changes WHERE run_id = ANY($1) RETURNING 1) SELECT COUNT(*) AS n FROM gone")
            query.binds.append(ids)
            let changes = try db.run(query).first?["n"].decode(Int.self) ?? 0
            for table in ["rows", "attempts", "queue", "plans"] {
                var delete = PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE run_id = ANY($1)")
                delete.binds.append(ids)
                try db.run(delete)
            }
            var runs = PostgresQuery(unsafeSQL: "DELETE FROM runs WHERE id = ANY($1)")
            runs.binds.append(ids)
            try db.run(runs)
            return changes
        }
    }

    /// PostgreSQL's autovacuum gives the space back as it does for every table.
    public func reclaimSpace() -> String? { nil }

    static func run(_ row: PostgresRandomAccessRow) throws -> JournalRun {
        func text(_ column: String) throws -> String { try row[column].decode(String.self) }
        func optional(_ column: String) throws -> String? { try row[column].decode(String?.self) }
        return JournalRun(
            id: try row["id"].decode(Int64.self),
            run: NewRun(kind: try text("kind"), user: try text("user"), host: try text("host"), script: try text("script"),
                        scriptText: try text("script_text"), plugin: try optional("plugin"), pluginVersion: try optional("plugin_version"),
                        workflow: try optional("workflow"),
                        arguments: SQLiteJournalStore.decode([String: String].self, try text("arguments"), default: [:]),
                        inputs: SQLiteJournalStore.decode([JournalInput].self, try text("inputs"), default: []),
                        tenant: try text("tenant"), configFile: try optional("config_file"), seed: try row["seed"].decode(Int64.self),
                        dryRun: try row["dry_run"].decode(Bool.self),
                        each: SQLiteJournalStore.decode(EachSource?.self, try optional("each"), default: nil),
                        clock: try row["clock"].decode(Int64?.self),
                        modules: SQLiteJournalStore.decode([QueuedFile]?.self, try optional("modules"), default: nil),
                        targets: SQLiteJournalStore.decode([String: String]?.self, try optional("targets"), default: nil),
                        limits: SQLiteJournalStore.decode(RunLimits?.self, try optional("limits"), default: nil)),
            scriptSHA256: try text("script_sha256"), startedAt: Date(timeIntervalSince1970: try row["started_at"].decode(Double.self)),
            endedAt: try row["ended_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)), outcome: try optional("outcome"),
            exitCode: try row["exit_code"].decode(Int?.self), error: try optional("error"), attempts: try row["attempts"].decode(Int.self),
            admitted: try row["admitted"].decode(Bool?.self) ?? false, reads: try row["reads"].decode(Int.self))
    }

    static func change(_ row: PostgresRandomAccessRow) throws -> JournalChange {
        JournalChange(
            id: try row["id"].decode(Int64.self), runID: try row["run_id"].decode(Int64.self), attempt: try row["attempt"].decode(Int.self),
            sequence: try row["sequence"].decode(Int.self), vendor: try row["vendor"].decode(String.self),
            operation: try row["operation"].decode(String.self), effect: try row["effect"].decode(String.self),
            key: try row["key"].decode(String.self), occurrence: try row["occurrence"].decode(Int.self),
            arguments: try row["arguments"].decode(String.self),
            state: ChangeState(rawValue: try row["state"].decode(String.self)) ?? .unknown, already: try row["already"].decode(Bool.self),
            result: try row["result"].decode(String?.self), error: try row["error"].decode(String?.self),
            notApplied: try row["not_applied"].decode(Bool.self),
            startedAt: Date(timeIntervalSince1970: try row["started_at"].decode(Double.self)),
            finishedAt: try row["finished_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
            durationMilliseconds: try row["duration_ms"].decode(Double?.self), replayedFrom: try row["replayed_from"].decode(Int64?.self),
            stateBefore: try row["state_before"].decode(String?.self))
    }
}
