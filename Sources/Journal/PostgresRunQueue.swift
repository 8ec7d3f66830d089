/// PostgresRunQueue.swift: the run queue in the PostgreSQL journal — for workers on many
/// hosts. A claim takes the oldest runnable row with `FOR UPDATE SKIP LOCKED` (as river, Oban
/// and graphile-worker do): workers claiming at once each get a different run, and none
/// waits on another's lock.
import Foundation
import PostgresNIO

extension PostgresJournalStore {
    public func submit(_ run: NewRun, files: QueuedFiles, notBefore: Date, tick: ScheduleTick?) throws(JournalError) -> Int64? {
        try transaction { db in
            if let tick {
                // Workers seeing the same tick at once: one enqueues it, the others find it there.
                try db.run("SELECT pg_advisory_xact_lock(hashtext(\(tick.schedule)))")
                let tickTime = tick.tick.timeIntervalSince1970
                if try !db.run("SELECT 1 AS found FROM queue WHERE schedule = \(tick.schedule) AND tick = \(tickTime)").isEmpty { return nil }
            }
            let now = Date().timeIntervalSince1970
            let id = try Self.insert(run, at: now, outcome: queuedOutcome, attempts: 0, in: db)
            try db.run("""
                INSERT INTO queue (run_id, state, not_before, submitted_at, files, schedule, tick)
                VALUES (\(id), 'queued', \(notBefore.timeIntervalSince1970), \(now), \(SQLiteJournalStore.json(files)),
                        \(tick?.schedule), \(tick?.tick.timeIntervalSince1970))
                """)
            return id
        }
    }

    public func claim(worker: String, lease: Double) throws(JournalError) -> QueueClaim? {
        try statement { db in
            let now = Date().timeIntervalSince1970
            return try db.run("""
                UPDATE queue SET state = 'running', worker = \(worker), lease_until = \(now + lease), claims = claims + 1
                WHERE run_id = (SELECT run_id FROM queue
                                WHERE ((state = 'queued' AND not_before <= \(now)) OR (state = 'running' AND lease_until < \(now)))
                                  AND cancelled_at IS NULL
                                ORDER BY not_before, run_id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING run_id, claims
                """).first.map { QueueClaim(runID: try $0["run_id"].decode(Int64.self), claims: try $0["claims"].decode(Int.self)) }
        }
    }

    public func cancel(runID: Int64) throws(JournalError) -> QueueCancel {
        try transaction { db in
            // Locked: a worker claiming it at this moment claims it first, or not at all.
            guard let entry = try db.run("SELECT * FROM queue WHERE run_id = \(runID) FOR UPDATE").first.map(Self.queueEntry) else {
                return .notQueued
            }
            let now = Date().timeIntervalSince1970
            switch QueueCancel.decide(entry, now: now) {
            case .withdrawn:
                try Self.endCancelled(runID, exitCode: 130, at: now, in: db)
                return .withdrawn
            case .requested(let worker):
                try db.run("UPDATE queue SET cancelled_at = \(now) WHERE run_id = \(runID)")
                return .requested(worker: worker)
            case let decided:
                return decided
            }
        }
    }

    public func cancellations(worker: String) throws(JournalError) -> Set<Int64> {
        try statement { db in
            Set(try db.run("""
                SELECT run_id FROM queue WHERE worker = \(worker) AND state = 'running' AND cancelled_at IS NOT NULL
                """).map { try $0["run_id"].decode(Int64.self) })
        }
    }

    public func completeCancelled(runID: Int64, worker: String, exitCode: Int) throws(JournalError) {
        try transaction { db in
            guard try !db.run("""
                SELECT 1 AS held FROM queue WHERE run_id = \(runID) AND worker = \(worker) AND state = 'running' FOR UPDATE
                """).isEmpty else { return }
            try Self.endCancelled(runID, exitCode: exitCode, at: Date().timeIntervalSince1970, in: db)
        }
    }

    /// Ends queued run `runID` as cancelled, in the queue and in the journal.
    private static func endCancelled(_ runID: Int64, exitCode: Int, at now: Double, in db: Transaction) throws {
        try db.run("""
            UPDATE queue SET state = 'done', exit_code = \(exitCode), finished_at = \(now), lease_until = NULL,
                             cancelled_at = COALESCE(cancelled_at, \(now))
            WHERE run_id = \(runID)
            """)
        try db.run("UPDATE runs SET outcome = \(cancelledOutcome), exit_code = \(exitCode), ended_at = \(now) WHERE id = \(runID)")
    }

    public func renew(_ worker: WorkerRecord, lease: Double) throws(JournalError) -> Set<Int64> {
        try transaction { db in
            let now = Date().timeIntervalSince1970
            try db.run("""
                INSERT INTO workers (name, host, pid, concurrency, started_at, heartbeat, stopping)
                VALUES (\(worker.name), \(worker.host), \(worker.pid), \(worker.concurrency), \(worker.startedAt.timeIntervalSince1970), \(now),
                        \(worker.stopping))
                ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid, concurrency = excluded.concurrency,
                    heartbeat = excluded.heartbeat, stopping = excluded.stopping
                """)
            // A cancelled run whose worker died before it could stop it ends here, cancelled:
            // no worker claims it again.
            for row in try db.run("""
                SELECT run_id FROM queue WHERE state = 'running' AND lease_until < \(now) AND cancelled_at IS NOT NULL FOR UPDATE SKIP LOCKED
                """) {
                try Self.endCancelled(try row["run_id"].decode(Int64.self), exitCode: 130, at: now, in: db)
            }
            return Set(try db.run("""
                UPDATE queue SET lease_until = \(now + lease) WHERE worker = \(worker.name) AND state = 'running' RETURNING run_id
                """).map { try $0["run_id"].decode(Int64.self) })
        }
    }

    public func complete(runID: Int64, worker: String, exitCode: Int) throws(JournalError) {
        try statement { db in
            try db.run("""
                UPDATE queue SET state = 'done', exit_code = \(exitCode), finished_at = \(Date().timeIntervalSince1970), lease_until = NULL
                WHERE run_id = \(runID) AND worker = \(worker) AND state = 'running'
                """)
        }
    }

    public func release(runID: Int64, worker: String) throws(JournalError) {
        try statement { db in
            try db.run("UPDATE queue SET state = 'queued', lease_until = NULL WHERE run_id = \(runID) AND worker = \(worker) AND state = 'running'")
        }
    }

    public func recordScript(runID: Int64, text: String, pluginVersion: String?, modules: [QueuedFile]?) throws(JournalError) {
        try statement { db in
            try db.run("""
                UPDATE runs SET script_text = \(text), script_sha256 = \(SQLiteJournalStore.sha256(Array(text.utf8))), plugin_version = \(pluginVersion),
                                modules = \(modules.map(SQLiteJournalStore.json))
                WHERE id = \(runID) AND script_text = ''
                """)
        }
    }

    public func recordTenant(runID: Int64, tenant: String) throws(JournalError) {
        try statement { db in try db.run("UPDATE runs SET tenant = \(tenant) WHERE id = \(runID) AND tenant = ''") }
    }

    public func recordTargets(runID: Int64, targets: [String: String]) throws(JournalError) {
        try statement { db in
            try db.run("UPDATE runs SET targets = \(SQLiteJournalStore.json(targets)) WHERE id = \(runID) AND targets IS NULL")
        }
    }

    public func queuedFiles(runID: Int64) throws(JournalError) -> QueuedFiles? {
        try statement { db in
            try db.run("SELECT files FROM queue WHERE run_id = \(runID)").first.map {
                SQLiteJournalStore.decode(QueuedFiles.self, try $0["files"].decode(String.self), default: QueuedFiles())
            }
        }
    }

    public func queueEntry(runID: Int64) throws(JournalError) -> QueueEntry? {
        try statement { db in try db.run("SELECT * FROM queue WHERE run_id = \(runID)").first.map(Self.queueEntry) }
    }

    public func queueEntries(states: [QueueState]) throws(JournalError) -> [QueueEntry] {
        try statement { db in
            try db.run("SELECT * FROM queue WHERE state = ANY(\(states.map(\.rawValue))) ORDER BY not_before, run_id").map(Self.queueEntry)
        }
    }

    public func queueDepth() throws(JournalError) -> QueueDepth {
        try statement { db in
            let now = Date().timeIntervalSince1970
            let row = try db.run("""
                SELECT COUNT(*) FILTER (WHERE state = 'queued' AND not_before <= \(now)) AS queued,
                       COUNT(*) FILTER (WHERE state = 'running') AS running
                FROM queue WHERE state != 'done'
                """)[0]
            return QueueDepth(queued: try row["queued"].decode(Int.self), running: try row["running"].decode(Int.self))
        }
    }

    public func workers(since: Date) throws(JournalError) -> [WorkerRecord] {
        try statement { db in
            try db.run("SELECT * FROM workers WHERE heartbeat >= \(since.timeIntervalSince1970) ORDER BY name").map { row in
                WorkerRecord(name: try row["name"].decode(String.self), host: try row["host"].decode(String.self), pid: try row["pid"].decode(Int.self),
                             concurrency: try row["concurrency"].decode(Int.self),
                             startedAt: Date(timeIntervalSince1970: try row["started_at"].decode(Double.self)),
                             heartbeat: Date(timeIntervalSince1970: try row["heartbeat"].decode(Double.self)),
                             stopping: try row["stopping"].decode(Bool.self))
            }
        }
    }

    public func removeWorker(_ name: String) throws(JournalError) {
        try statement { db in try db.run("DELETE FROM workers WHERE name = \(name)") }
    }

    static func queueEntry(_ row: PostgresRandomAccessRow) throws -> QueueEntry {
        QueueEntry(runID: try row["run_id"].decode(Int64.self), state: QueueState(rawValue: try row["state"].decode(String.self)) ?? .queued,
                   notBefore: Date(timeIntervalSince1970: try row["not_before"].decode(Double.self)),
                   submittedAt: Date(timeIntervalSince1970: try row["submitted_at"].decode(Double.self)),
                   worker: try row["worker"].decode(String?.self),
                   leaseUntil: try row["lease_until"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
                   claims: try row["claims"].decode(Int.self), exitCode: try row["exit_code"].decode(Int?.self),
                   finishedAt: try row["finished_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
                   schedule: try row["schedule"].decode(String?.self),
                   cancelledAt: try row["cancelled_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)))
    }
}
