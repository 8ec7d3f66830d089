/// JournalRecords.swift: what the journal keeps — runs, their attempts, and every change
/// they sent — as plain values (no Lua, no vendor types: names, JSON text, states).
import Foundation

/// Where a change stands.
public enum ChangeState: String, Sendable, Codable, CaseIterable {
    /// Committed before the request was sent; no answer yet (a killed run leaves this).
    case sending
    case succeeded
    /// The vendor refused it, or it certainly never reached the vendor.
    case failed
    /// Sent, then cut (a drop, a timeout, a stop): whether it took effect is not known.
    case unknown
    /// Done in an earlier attempt of the same run: answered from the journal, not sent.
    case replayed
    /// A dry run's change: planned, not sent.
    case planned
}

/// What starts a run, as journaled.
public struct NewRun: Sendable {
    /// `run`, `plugin`, `repl`.
    public var kind: String
    public var user: String
    public var host: String
    /// The script's path as given (or `plugin/workflow`, or `(repl)`).
    public var script: String
    /// The script's text, kept so that `roster resume` runs exactly it.
    public var scriptText: String
    public var plugin: String?
    public var pluginVersion: String?
    public var workflow: String?
    public var arguments: [String: String]
    public var inputs: [JournalInput]
    public var tenant: String
    public var configFile: String?
    /// Seeds `math.random`, so that a resumed attempt draws the same numbers.
    public var seed: Int64
    public var dryRun: Bool
    /// A run row by row: the CSV and how its rows were run.
    public var each: EachSource?
    /// The Unix time `os.time()` answers in every attempt, so that a name or date a script
    /// builds from it is the same on a resume: when the run first started (for an apply, its
    /// plan's dry run's). Nil until a queued run starts (or for a run journaled before it
    /// was kept).
    public var clock: Int64?
    /// The modules the script `require`s from its folder, by their path there, as they were
    /// when the run started: a resume (or an apply) runs them, not what the folder holds
    /// since. Nil for a run journaled before they were kept (its folder is read again).
    public var modules: [QueuedFile]?
    /// Where each vendor was reached when the run started, and as which account, by vendor
    /// (no secret in it): a resume finishes the run there. Nil until a queued run starts (or
    /// for a run journaled before they were kept).
    public var targets: [String: String]?
    /// The limits the run was given (`--timeout`, `--memory-limit`, `--instruction-limit`,
    /// `--max-changes`): its resumes keep them unless told otherwise.
    public var limits: RunLimits?

    public init(kind: String, user: String, host: String, script: String, scriptText: String, plugin: String? = nil,
                pluginVersion: String? = nil, workflow: String? = nil, arguments: [String: String], inputs: [JournalInput],
                tenant: String, configFile: String?, seed: Int64, dryRun: Bool, each: EachSource? = nil, clock: Int64? = nil,
                modules: [QueuedFile]? = nil, targets: [String: String]? = nil, limits: RunLimits? = nil) {
        self.targets = targets
        self.limits = limits
        self.each = each
        self.clock = clock
        self.modules = modules
        self.kind = kind
        self.user = user
        self.host = host
        self.script = script
        self.scriptText = scriptText
        self.plugin = plugin
        self.pluginVersion = pluginVersion
        self.workflow = workflow
        self.arguments = arguments
        self.inputs = inputs
        self.tenant = tenant
        self.configFile = configFile
        self.seed = seed
        self.dryRun = dryRun
    }
}

/// The limits a run was given on its command line; nil: the command's default.
public struct RunLimits: Codable, Sendable, Equatable {
    /// Seconds.
    public var timeout: Double?
    public var memoryMegabytes: Int?
    public var instructions: Int64?
    public var maxChanges: Int?

    enum CodingKeys: String, CodingKey {
        case timeout, instructions
        case memoryMegabytes = "memory_mb"
        case maxChanges = "max_changes"
    }

    public init(timeout: Double? = nil, memoryMegabytes: Int? = nil, instructions: Int64? = nil, maxChanges: Int? = nil) {
        self.timeout = timeout
        self.memoryMegabytes = memoryMegabytes
        self.instructions = instructions
        self.maxChanges = maxChanges
    }

    /// Nil when no limit was given.
    public var given: RunLimits? { self == RunLimits() ? nil : self }
}

/// An `--input` file as journaled: its name as given, where it was read, its digest.
public struct JournalInput: Sendable, Codable, Equatable {
    public var name: String
    public var path: String
    public var sha256: String
    /// Its bytes, kept when they cannot be read again from `path` (a pipe, `/dev/stdin`):
    /// resume and apply read them here instead.
    public var contents: Data?

    public init(name: String, path: String, sha256: String, contents: Data? = nil) {
        self.name = name
        self.path = path
        self.sha256 = sha256
        self.contents = contents
    }
}

/// The CSV of a run row by row (`roster run SCRIPT --each FILE`) and how its rows run.
public struct EachSource: Sendable, Codable, Equatable {
    /// The file as given, and where it was read.
    public var name: String
    public var path: String
    /// The column that names a row in reports.
    public var keyColumn: String
    /// Rows at once, and failures after which no new row starts (nil: none).
    public var parallel: Int
    public var maxFailures: Int?
    /// The CSV itself, kept when it cannot be read again from `path` (a pipe, a process
    /// substitution, `/dev/stdin`): resume and apply read its rows here instead.
    public var contents: String?

    public init(name: String, path: String, keyColumn: String, parallel: Int, maxFailures: Int?, contents: String? = nil) {
        self.name = name
        self.path = path
        self.keyColumn = keyColumn
        self.parallel = parallel
        self.maxFailures = maxFailures
        self.contents = contents
    }
}

/// How a row ended.
public enum RowState: String, Sendable, Codable {
    case succeeded
    case failed
}

/// A row of an `--each` run, as it ended in one attempt.
public struct JournalRow: Sendable, Equatable {
    public var runID: Int64
    /// The line the row starts on (the header is line 1).
    public var number: Int
    public var attempt: Int
    /// The row's value in the key column.
    public var key: String
    /// A digest of the row's fields: a row that succeeded must not change before a resume.
    public var sha256: String
    public var state: RowState
    public var error: String?
    /// Changes made (or replayed) by the row.
    public var changes: Int
    public var finishedAt: Date

    public init(runID: Int64, number: Int, attempt: Int, key: String, sha256: String, state: RowState, error: String?, changes: Int,
                finishedAt: Date = Date()) {
        self.runID = runID
        self.number = number
        self.attempt = attempt
        self.key = key
        self.sha256 = sha256
        self.state = state
        self.error = error
        self.changes = changes
        self.finishedAt = finishedAt
    }
}

/// A journaled run.
public struct JournalRun: Sendable {
    public var id: Int64
    public var run: NewRun
    public var scriptSHA256: String
    public var startedAt: Date
    public var endedAt: Date?
    /// `success`, `script error`, a limit's kind, `interrupted`, or nil while it runs (or
    /// when it was killed).
    public var outcome: String?
    public var exitCode: Int?
    /// The line its last attempt ended on, when it failed (`a.lua:3: encore.get_user: HTTP 401: ...`):
    /// what a worker's or a schedule's run said where nobody read it.
    public var error: String? = nil
    public var attempts: Int
    /// Whether the run got past its gate (its confirmation, `max_changes`) in an attempt:
    /// its changes were agreed to, and a resume does not ask again.
    public var admitted = false
    /// Vendor reads its attempts made (counted, not stored; a killed attempt's are not known).
    public var reads: Int
}

/// A run in the list (`roster runs`): the run and how many of its changes stand where.
public struct RunSummary: Sendable {
    public var run: JournalRun
    public var done: Int
    public var failed: Int
    /// Changes journaled `unknown`: sent, and no answer came.
    public var unknown: Int
    /// Changes journaled as being sent and not yet answered: in flight while the run runs,
    /// unknown once its process is gone (a resume checks them).
    public var sending: Int
    public var planned: Int
}

/// One change a run sent (or planned, or replayed).
public struct JournalChange: Sendable {
    public var id: Int64
    public var runID: Int64
    public var attempt: Int
    public var sequence: Int
    public var vendor: String
    public var operation: String
    public var effect: String
    /// The idempotency key: vendor, operation and the identifying arguments.
    public var key: String
    /// How many changes of this run had the same key before this one.
    public var occurrence: Int
    /// The arguments as JSON, redacted as the operation declares.
    public var arguments: String
    public var state: ChangeState
    /// The vendor answered "already in that state".
    public var already: Bool
    /// The answer as JSON (what a replay gives the script).
    public var result: String?
    public var error: String?
    /// The vendor certainly did not apply it (a refusal, or it never left).
    public var notApplied: Bool
    public var startedAt: Date
    public var finishedAt: Date?
    public var durationMilliseconds: Double?
    /// The change an earlier attempt made, when this one was replayed from it.
    public var replayedFrom: Int64?
    /// The run's tenant and user (filled in by audit queries).
    public var tenant: String?
    public var user: String?
    /// For a toggle: the target's state read just before it was sent (JSON), which tells a
    /// resume whether a change of unknown outcome took effect.
    public var stateBefore: String?

    public init(id: Int64, runID: Int64, attempt: Int, sequence: Int, vendor: String, operation: String, effect: String, key: String,
                occurrence: Int, arguments: String, state: ChangeState, already: Bool, result: String?, error: String?,
                notApplied: Bool, startedAt: Date, finishedAt: Date?, durationMilliseconds: Double?, replayedFrom: Int64?,
                tenant: String? = nil, user: String? = nil, stateBefore: String? = nil) {
        self.id = id
        self.runID = runID
        self.attempt = attempt
        self.sequence = sequence
        self.vendor = vendor
        self.operation = operation
        self.effect = effect
        self.key = key
        self.occurrence = occurrence
        self.arguments = arguments
        self.state = state
        self.already = already
        self.result = result
        self.error = error
        self.notApplied = notApplied
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationMilliseconds = durationMilliseconds
        self.replayedFrom = replayedFrom
        self.tenant = tenant
        self.user = user
        self.stateBefore = stateBefore
    }
}

/// A change about to be sent, as the journal records it.
public struct NewChange: Sendable {
    public var vendor: String
    public var operation: String
    public var effect: String
    public var key: String
    public var occurrence: Int
    public var arguments: String
    /// For a toggle: the target's state, read just before it is sent (JSON).
    public var stateBefore: String?

    public init(vendor: String, operation: String, effect: String, key: String, occurrence: Int, arguments: String, stateBefore: String? = nil) {
        self.vendor = vendor
        self.operation = operation
        self.effect = effect
        self.key = key
        self.occurrence = occurrence
        self.arguments = arguments
        self.stateBefore = stateBefore
    }
}

/// What `takeRateSlot` answers: a slot, or how long until one frees.
public enum RateSlotGrant: Sendable, Equatable {
    case slot(Int64)
    case wait(seconds: Double)
}

/// Why the journal could not be used: one line naming the file.
public struct JournalError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The earlier change a replayed one was answered from: its row, and what it answered.
public struct ReplaySource: Sendable {
    public var id: Int64
    public var already: Bool
    public var result: String?

    public init(id: Int64, already: Bool, result: String?) {
        self.id = id
        self.already = already
        self.result = result
    }
}

extension JournalChange {
    /// This change, as what a replay of it is answered from.
    public var replaySource: ReplaySource { ReplaySource(id: id, already: already, result: result) }
}

/// A change by its place in its run: attempt and sequence (known before its row is stored).
public struct ChangeReference: Sendable, Hashable, Codable {
    public var runID: Int64
    public var attempt: Int
    public var sequence: Int

    public init(runID: Int64, attempt: Int, sequence: Int) {
        self.runID = runID
        self.attempt = attempt
        self.sequence = sequence
    }
}

/// One write to the journal (`JournalStore.commit`, `ChangeLog.append`), with when it
/// happened.
public enum JournalOperation: Sendable {
    /// A change's row: `sending` before it is sent, or `replayed`/`planned`.
    case insert(NewChange, ChangeReference, state: ChangeState, replayedFrom: ReplaySource?, at: Date)
    /// A change's outcome.
    case finish(ChangeReference, state: ChangeState, already: Bool, result: String?, error: String?, notApplied: Bool, at: Date)
    /// How a row of an `--each` run ended (logged when the database could not take it then).
    case row(JournalRow)
    /// How an attempt ended (logged when the database could not take it then).
    case end(AttemptEnd)
}

/// How one attempt of a run ended (and so the run, for now): `JournalStore.finishAttempt`.
public struct AttemptEnd: Sendable, Equatable {
    public var runID: Int64
    public var attempt: Int
    /// `success`, `failed`, `killed by a limit`, ... as `roster runs` lists it.
    public var outcome: String
    public var exitCode: Int
    /// The vendor reads the attempt made.
    public var reads: Int
    /// The one line the attempt ended on, when it failed (`a.lua:3: ...`).
    public var error: String?
    public var endedAt: Date

    public init(runID: Int64, attempt: Int, outcome: String, exitCode: Int, reads: Int, error: String?, endedAt: Date = Date()) {
        self.runID = runID
        self.attempt = attempt
        self.outcome = outcome
        self.exitCode = exitCode
        self.reads = reads
        self.error = error
        self.endedAt = endedAt
    }
}
