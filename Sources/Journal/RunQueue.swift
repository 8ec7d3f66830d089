/// RunQueue.swift: runs waiting for a worker, kept beside the journal: `roster submit` queues
/// one (its run journaled at once, as `queued`), a worker claims it with a lease it renews,
/// and a run whose worker is gone (lease expired) is claimed again and resumed from the
/// journal. Schedules enqueue each tick once (a unique key), whichever worker sees it first.
import Foundation

/// The files a queued run reads, kept with it: the worker's host has no copy of the
/// submitter's. (Secrets never go here: a worker uses its own roster.toml.)
public struct QueuedFiles: Codable, Sendable, Equatable {
    /// `--input` files, in order, by the name the script knows them by.
    public var inputs: [QueuedFile]
    /// The CSV of a run row by row (`--each`).
    public var each: QueuedFile?
    /// The modules the script `require`s from its folder, by their path there
    /// (`lib/util.lua`); nil for a run queued before they were kept.
    public var modules: [QueuedFile]?

    public init(inputs: [QueuedFile] = [], each: QueuedFile? = nil, modules: [QueuedFile]? = nil) {
        self.inputs = inputs
        self.each = each
        self.modules = modules
    }
}

/// One file of a queued run.
public struct QueuedFile: Codable, Sendable, Equatable {
    public var name: String
    public var contents: Data

    public init(name: String, contents: Data) {
        self.name = name
        self.contents = contents
    }
}

/// A scheduled run's tick: the schedule's name and the minute it is for. The queue holds at
/// most one run per tick.
public struct ScheduleTick: Sendable, Equatable {
    public var schedule: String
    public var tick: Date

    public init(schedule: String, tick: Date) {
        self.schedule = schedule
        self.tick = tick
    }
}

/// Where a queued run stands.
public enum QueueState: String, Sendable {
    /// Waiting for a worker (or for its time, `--at`).
    case queued
    /// Held by a worker, under a lease.
    case running
    /// Ended (its exit code kept).
    case done
}

/// A run in the queue.
public struct QueueEntry: Sendable {
    public var runID: Int64
    public var state: QueueState
    public var notBefore: Date
    public var submittedAt: Date
    /// The worker holding it (or that last held it).
    public var worker: String?
    public var leaseUntil: Date?
    /// How many times a worker claimed it (more than once: a worker was lost or released it).
    public var claims: Int
    public var exitCode: Int?
    public var finishedAt: Date?
    public var schedule: String?
    /// When `roster cancel` withdrew it, or asked its worker to stop it.
    public var cancelledAt: Date?

    public init(runID: Int64, state: QueueState, notBefore: Date, submittedAt: Date, worker: String?, leaseUntil: Date?, claims: Int,
                exitCode: Int?, finishedAt: Date?, schedule: String?, cancelledAt: Date? = nil) {
        self.runID = runID
        self.state = state
        self.notBefore = notBefore
        self.submittedAt = submittedAt
        self.worker = worker
        self.leaseUntil = leaseUntil
        self.claims = claims
        self.exitCode = exitCode
        self.finishedAt = finishedAt
        self.schedule = schedule
        self.cancelledAt = cancelledAt
    }
}

/// What `RunQueue.cancel` found, and did.
public enum QueueCancel: Sendable, Equatable {
    /// It was waiting (queued, or held by a worker whose lease lapsed): it ended, cancelled,
    /// and no worker will start or resume it.
    case withdrawn
    /// `worker` runs it: it is asked to stop, and does at the worker's next look.
    case requested(worker: String)
    /// Its worker was asked before.
    case alreadyRequested(worker: String)
    /// It had ended: nothing to cancel.
    case ended
    /// The run was not queued (`roster run`, not `roster submit`).
    case notQueued

    /// What cancelling `entry` comes to at `now`, before it is done: `.withdrawn` for a run
    /// no live worker holds, `.requested` for one a worker runs.
    static func decide(_ entry: QueueEntry, now: Double) -> QueueCancel {
        switch entry.state {
        case .done:
            return .ended
        case .queued:
            return .withdrawn
        case .running:
            let worker = entry.worker ?? "?"
            if let lease = entry.leaseUntil, lease.timeIntervalSince1970 < now { return .withdrawn }
            return entry.cancelledAt == nil ? .requested(worker: worker) : .alreadyRequested(worker: worker)
        }
    }
}

/// A queued run a worker has claimed.
public struct QueueClaim: Sendable {
    public var runID: Int64
    /// 1 for its first claim; more when an earlier worker was lost or let it go.
    public var claims: Int
}

/// A worker, as it registers itself and renews its heartbeat.
public struct WorkerRecord: Sendable, Equatable {
    public var name: String
    public var host: String
    public var pid: Int
    public var concurrency: Int
    public var startedAt: Date
    public var heartbeat: Date
    /// Stopping (SIGTERM): claims nothing new.
    public var stopping: Bool

    public init(name: String, host: String, pid: Int, concurrency: Int, startedAt: Date, heartbeat: Date, stopping: Bool) {
        self.name = name
        self.host = host
        self.pid = pid
        self.concurrency = concurrency
        self.startedAt = startedAt
        self.heartbeat = heartbeat
        self.stopping = stopping
    }
}

/// How many runs wait, and how many run.
public struct QueueDepth: Sendable, Equatable {
    public var queued: Int
    public var running: Int

    public init(queued: Int, running: Int) {
        self.queued = queued
        self.running = running
    }
}

/// The queue's operations, which both journal stores provide (SQLite: the workers of one
/// host; PostgreSQL: workers on many hosts, claims with `FOR UPDATE SKIP LOCKED`).
public protocol RunQueue: Sendable {
    /// Journals `run` as queued (no attempt yet) and queues it, runnable from `notBefore`;
    /// returns its id, or nil when `tick`'s run is queued already (another worker saw it first).
    func submit(_ run: NewRun, files: QueuedFiles, notBefore: Date, tick: ScheduleTick?) throws(JournalError) -> Int64?
    /// The oldest runnable run — queued and due, or held under a lease that expired — now
    /// held by `worker` for `lease` seconds; nil when there is none.
    func claim(worker: String, lease: Double) throws(JournalError) -> QueueClaim?
    /// Renews `worker`'s heartbeat and the leases of the runs it holds; returns the ids of
    /// the runs it still holds (one missing was taken by another worker after its lease expired).
    func renew(_ worker: WorkerRecord, lease: Double) throws(JournalError) -> Set<Int64>
    /// Run `runID` ended with `exitCode` on `worker`.
    func complete(runID: Int64, worker: String, exitCode: Int) throws(JournalError)
    /// Run `runID` goes back to the queue (its worker stops, or its attempt was cut): the
    /// next worker resumes it.
    func release(runID: Int64, worker: String) throws(JournalError)
    /// Cancels run `runID` (`roster cancel`): one waiting ends at once, journaled with the
    /// outcome `cancelled` and exit 130; one a worker runs is marked for its worker to stop.
    /// A claim never takes a cancelled run.
    func cancel(runID: Int64) throws(JournalError) -> QueueCancel
    /// The runs `worker` holds whose cancel was asked for.
    func cancellations(worker: String) throws(JournalError) -> Set<Int64>
    /// Run `runID`, cancelled while `worker` held it, stopped (or never started there): it
    /// ends with `exitCode`, journaled as `cancelled`.
    func completeCancelled(runID: Int64, worker: String, exitCode: Int) throws(JournalError)
    /// A queued plugin run's script, as the first worker to start it found it installed
    /// (kept once: a later claim resumes with the same text).
    func recordScript(runID: Int64, text: String, pluginVersion: String?, modules: [QueuedFile]?) throws(JournalError)
    /// The tenant a run queued without one ran in (the worker's default), so that
    /// `roster runs --tenant` finds it.
    func recordTenant(runID: Int64, tenant: String) throws(JournalError)
    /// Where a queued run's vendors are reached, journaled when a worker first starts it
    /// (kept as it is after that: its resumes must reach the same).
    func recordTargets(runID: Int64, targets: [String: String]) throws(JournalError)
    /// The files queued with run `runID`.
    func queuedFiles(runID: Int64) throws(JournalError) -> QueuedFiles?
    func queueEntry(runID: Int64) throws(JournalError) -> QueueEntry?
    /// Runs held by workers or waiting, oldest first.
    func queueEntries(states: [QueueState]) throws(JournalError) -> [QueueEntry]
    func queueDepth() throws(JournalError) -> QueueDepth
    /// Workers whose heartbeat is newer than `since`.
    func workers(since: Date) throws(JournalError) -> [WorkerRecord]
    /// A worker that stopped cleanly leaves the list.
    func removeWorker(_ name: String) throws(JournalError)
}

/// The outcome a queued run is journaled with until a worker starts it.
public let queuedOutcome = "queued"
/// The outcome of a queued run `roster cancel` withdrew or stopped.
public let cancelledOutcome = "cancelled"
