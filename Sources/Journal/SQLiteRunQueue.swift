/// SQLiteRunQueue.swift: the run queue in the SQLite journal — for workers on one host. A
/// claim is one immediate transaction: SQLite lets one writer in at a time, so two workers
/// never take the same run.
import Foundation
import GRDB

extension SQLiteJournalStore {
    public func submit(_ run: NewRun, files: QueuedFiles, notBefore: Date, tick: ScheduleTick?) throws(JournalError) -> Int64? {
        try write { db in
            if let tick, try Bool.fetchOne(db, sql: "SELECT 1 FROM queue WHERE schedule = ? AND tick = ?",
                                           arguments: [tick.schedule, tick.tick.timeIntervalSince1970]) == true {
                return nil
            }
            let now = Date().timeIntervalSince1970
            let id = try Self.insert(run, at: now, outcome: queuedOutcome, attempts: 0, in: db)
            try db.execute(sql: """
                INSERT INTO queue (run_id, state, not_before, submitted_at, files, schedule, tick) VALUES (?, 'queued', ?, ?, ?, ?, ?)
                """, arguments: [id, notBefore.timeIntervalSince1970, now, Self.json(files), tick?.schedule, tick?.tick.timeIntervalSince1970])
            return id
        }
    }

    public func claim(worker: String, lease: Double) throws(JournalError) -> QueueClaim? {
        try write { db in
            let now = Date().timeIntervalSince1970
            guard let row = try Row.fetchOne(db, sql: """
                UPDATE queue SET state = 'running', worker = ?, lease_until = ?, claims = claims + 1
                WHERE run_id = (SELECT run_id FROM queue
                                WHERE ((state = 'queued' AND not_before <= ?) OR (state = 'running' AND lease_until < ?)) AND cancelled_at IS NULL
                                ORDER BY not_before, run_id LIMIT 1)
                RETURNING run_id, claims
                """, arguments: [worker, now + lease, now, now]) else { return nil }
            return try QueueClaim(runID: row.decode(forColumn: "run_id"), claims: row.decode(forColumn: "claims"))
        }
    }

    public func cancel(runID: Int64) throws(JournalError) -> QueueCancel {
        try write { db in
            guard let entry = try Row.fetchOne(db, sql: "SELECT * FROM queue WHERE run_id = ?", arguments: [runID]).map(Self.queueEntry) else {
                return .notQueued
            }
            let now = Date().timeIntervalSince1970
            switch QueueCancel.decide(entry, now: now) {
            case .withdrawn:
                try Self.endCancelled(runID, exitCode: 130, at: now, in: db)
                return .withdrawn
            case .requested(let worker):
                try db.execute(sql: "UPDATE queue SET cancelled_at = ? WHERE run_id = ?", arguments: [now, runID])
                return .requested(worker: worker)
            case let decided:
                return decided
            }
        }
    }

    public func cancellations(worker: String) throws(JournalError) -> Set<Int64> {
        try read { db in
            Set(try Int64.fetchAll(db, sql: "SELECT run_id FROM queue WHERE worker = ? AND state = 'running' AND cancelled_at IS NOT NULL",
                                   arguments: [worker]))
        }
    }

    public func completeCancelled(runID: Int64, worker: String, exitCode: Int) throws(JournalError) {
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM queue WHERE run_id = ? AND worker = ? AND state = 'running'",
                                    arguments: [runID, worker]) == true else { return }
            try Self.endCancelled(runID, exitCode: exitCode, at: Date().timeIntervalSince1970, in: db)
        }
    }

    /// Ends queued run `runID` as cancelled, in the queue and in the journal.
    private static func endCancelled(_ runID: Int64, exitCode: Int, at now: Double, in db: Database) throws {
        try db.execute(sql: """
            UPDATE queue SET state = 'done', exit_code = ?, finished_at = ?, lease_until = NULL, cancelled_at = COALESCE(cancelled_at, ?)
            WHERE run_id = ?
            """, arguments: [exitCode, now, now, runID])
        try db.execute(sql: "UPDATE runs SET outcome = ?, exit_code = ?, ended_at = ? WHERE id = ?",
                       arguments: [cancelledOutcome, exitCode, now, runID])
    }

    public func renew(_ worker: WorkerRecord, lease: Double) throws(JournalError) -> Set<Int64> {
        try write { db in
            let now = Date().timeIntervalSince1970
            try db.execute(sql: """
                INSERT INTO workers (name, host, pid, concurrency, started_at, heartbeat, stopping) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid, concurrency = excluded.concurrency,
                    heartbeat = excluded.heartbeat, stopping = excluded.stopping
                """, arguments: [worker.name, worker.host, worker.pid, worker.concurrency, worker.startedAt.timeIntervalSince1970, now,
                                 worker.stopping])
            // A cancelled run whose worker died before it could stop it ends here, cancelled:
            // no worker claims it again.
            for runID in try Int64.fetchAll(db, sql: """
                SELECT run_id FROM queue WHERE state = 'running' AND lease_until < ? AND cancelled_at IS NOT NULL
                """, arguments: [now]) {
                try Self.endCancelled(runID, exitCode: 130, at: now, in: db)
            }
            try db.execute(sql: "UPDATE queue SET lease_until = ? WHERE worker = ? AND state = 'running'", arguments: [now + lease, worker.name])
            return Set(try Int64.fetchAll(db, sql: "SELECT run_id FROM queue WHERE worker = ? AND state = 'running'", arguments: [worker.name]))
        }
    }

    public func complete(runID: Int64, worker: String, exitCode: Int) throws(JournalError) {
        try write { db in
            try db.execute(sql: """
                UPDATE queue SET state = 'done', exit_code = ?, finished_at = ?, lease_until = NULL
                WHERE run_id = ? AND worker = ? AND state = 'running'
                """, arguments: [exitCode, Date().timeIntervalSince1970, runID, worker])
        }
    }

    public func release(runID: Int64, worker: String) throws(JournalError) {
        try write { db in
            try db.execute(sql: "UPDATE queue SET state = 'queued', lease_until = NULL WHERE run_id = ? AND worker = ? AND state = 'running'",
                           arguments: [runID, worker])
        }
    }

    public func recordScript(runID: Int64, text: String, pluginVersion: String?, modules: [QueuedFile]?) throws(JournalError) {
        try write { db in
            try db.execute(sql: """
                UPDATE runs SET script_text = ?, script_sha256 = ?, plugin_version = ?, modules = ? WHERE id = ? AND script_text = ''
                """, arguments: [text, Self.sha256(Array(text.utf8)), pluginVersion, modules.map(Self.json), runID])
        }
    }

    public func recordTenant(runID: Int64, tenant: String) throws(JournalError) {
        try write { db in try db.execute(sql: "UPDATE runs SET tenant = ? WHERE id = ? AND tenant = ''", arguments: [tenant, runID]) }
    }

    public func recordTargets(runID: Int64, targets: [String: String]) throws(JournalError) {
        try write { db in
            try db.execute(sql: "UPDATE runs SET targets = ? WHERE id = ? AND targets IS NULL", arguments: [Self.json(targets), runID])
        }
    }

    public func queuedFiles(runID: Int64) throws(JournalError) -> QueuedFiles? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT files FROM queue WHERE run_id = ?", arguments: [runID])
                .map { Self.decode(QueuedFiles.self, $0, default: QueuedFiles()) }
        }
    }

    public func queueEntry(runID: Int64) throws(JournalError) -> QueueEntry? {
        try read { db in try Row.fetchOne(db, sql: "SELECT * FROM queue WHERE run_id = ?", arguments: [runID]).map(Self.queueEntry) }
    }

    public func queueEntries(states: [QueueState]) throws(JournalError) -> [QueueEntry] {
        try read { db in
            let marks = states.map { _ in "?" }.joined(separator: ", ")
            return try Row.decodeAll(db, sql: "SELECT * FROM queue WHERE state IN (\(marks)) ORDER BY not_before, run_id",
                                     arguments: StatementArguments(states.map(\.rawValue)), Self.queueEntry)
        }
    }

    public func queueDepth() throws(JournalError) -> QueueDepth {
        try read { db in
            let now = Date().timeIntervalSince1970
            let row = try Row.fetchOne(db, sql: """
                SELECT COALESCE(SUM(state = 'queued' AND not_before <= ?), 0) AS queued, COALESCE(SUM(state = 'running'), 0) AS running
                FROM queue WHERE state != 'done'
                """, arguments: [now])
            return try QueueDepth(queued: row?.decode(forColumn: "queued") ?? 0, running: row?.decode(forColumn: "running") ?? 0)
        }
    }

    public func workers(since: Date) throws(JournalError) -> [WorkerRecord] {
        try read { db in
            try Row.decodeAll(db, sql: "SELECT * FROM workers WHERE heartbeat >= ? ORDER BY name", arguments: [since.timeIntervalSince1970]) { row in
                try WorkerRecord(name: row.decode(forColumn: "name"), host: row.decode(forColumn: "host"), pid: row.decode(forColumn: "pid"), concurrency: row.decode(forColumn: "concurrency"),
                             startedAt: Date(timeIntervalSince1970: row.decode(forColumn: "started_at")), heartbeat: Date(timeIntervalSince1970: row.decode(forColumn: "heartbeat")),
                             stopping: row.decode(forColumn: "stopping"))
            }
        }
    }

    public func removeWorker(_ name: String) throws(JournalError) {
        try write { db in try db.execute(sql: "DELETE FROM workers WHERE name = ?", arguments: [name]) }
    }

    static func queueEntry(_ row: Row) throws -> QueueEntry {
        try QueueEntry(runID: row.decode(forColumn: "run_id"), state: QueueState(rawValue: row.decode(forColumn: "state")) ?? .queued,
                   notBefore: Date(timeIntervalSince1970: row.decode(forColumn: "not_before")), submittedAt: Date(timeIntervalSince1970: row.decode(forColumn: "submitted_at")),
                   worker: row.decode(forColumn: "worker"), leaseUntil: (row.decode(forColumn: "lease_until") as Double?).map(Date.init(timeIntervalSince1970:)),
                   claims: row.decode(forColumn: "claims"), exitCode: row.decode(forColumn: "exit_code"),
                   finishedAt: (row.decode(forColumn: "finished_at") as Double?).map(Date.init(timeIntervalSince1970:)), schedule: row.decode(forColumn: "schedule"),
                   cancelledAt: (row.decode(forColumn: "cancelled_at") as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
