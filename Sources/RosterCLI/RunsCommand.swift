/// RunsCommand.swift: `roster runs` (the journal's runs, newest first), `roster runs show RUN`
/// (every change of one run) and `roster audit` (every change ever sent, for a SIEM).
import ArgumentParser
import Bindings
import Engine
import Foundation
import Journal
import Vendors

/// Lists journaled runs.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the journaled runs, newest first (roster runs show RUN for one run's changes).",
        subcommands: [List.self, Show.self, Prune.self],
        defaultSubcommand: List.self)

    /// How a run stands: its outcome once it has one (`queued` while it waits for a worker);
    /// before, whether a process on this host runs it now (it holds the run), or it stopped
    /// without ending (killed: `roster resume` finishes it), which a shared journal cannot
    /// tell from a run going on on another host.
    static func outcome(_ run: JournalRun, _ store: JournalStore) -> String {
        if let outcome = run.outcome { return outcome }
        if let process = store.processRunning(run.id) { return "running (process \(process))" }
        if let entry = liveQueueEntry(run, store), let worker = entry.worker {
            return "running on worker \(worker)" + (entry.cancelledAt == nil ? "" : " (cancelled: stopping)")
        }
        return store.logsChangesLocally ? "killed" : "running on another host, or killed"
    }

    /// Whether `run` is certainly running now: a process on this host holds it, or a worker
    /// holds its queue entry's live lease.
    static func isRunning(_ run: JournalRun, _ store: JournalStore) -> Bool {
        run.outcome == nil && (store.processRunning(run.id) != nil || liveQueueEntry(run, store) != nil)
    }

    /// The queue entry of `run` while a worker runs it: it renews its lease meanwhile, on whatever host.
    private static func liveQueueEntry(_ run: JournalRun, _ store: JournalStore) -> QueueEntry? {
        guard let entry = try? store.queueEntry(runID: run.id), entry.state == .running, entry.worker != nil,
              (entry.leaseUntil ?? .distantPast) > Date() else { return nil }
        return entry
    }

    /// `summary`'s changes as counted for the admin: a change being sent is in flight while
    /// a process on this host runs the run, and unknown otherwise (its process is gone, or
    /// may be: a resume checks it).
    static func counts(_ summary: RunSummary, _ store: JournalStore) -> RunEntry.Counts {
        let inFlight = summary.sending > 0 && summary.run.outcome == nil && store.processRunning(summary.run.id) != nil
        return RunEntry.Counts(done: summary.done, failed: summary.failed, unknown: summary.unknown + (inFlight ? 0 : summary.sending),
                               in_flight: inFlight ? summary.sending : 0, planned: summary.planned)
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the journaled runs, newest first.")

        @Option(help: ArgumentHelp("Only this tenant's runs.", valueName: "NAME")) var tenant: String?
        @Option(help: ArgumentHelp("Only runs since WHEN: 2026-11-29, 2026-11-29T10:00:00Z, or 30m, 12h, 7d ago.", valueName: "WHEN"))
        var since: String?
        @Flag(help: "Only runs that did not succeed: failed, refused, stopped or killed.") var failed = false
        @Option(help: ArgumentHelp("At most N runs, the newest.", valueName: "N")) var limit = 50
        @Flag(help: "One JSON document.") var json = false
        @OptionGroup var journalOptions: JournalOptions

        func validate() throws {
            _ = try since.map { try When.parse($0, option: "--since") }
            guard (1...1_000_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000000, got \(limit)") }
        }

        /// Runs read from the journal at a time: a long list (`--limit 100000`) holds one
        /// page of runs, not all of them (its JSON is written as it is read).
        static let pageSize = 500

        func run() throws {
            CommandOutput.isTheResult()
            let from = try since.map { try When.parse($0, option: "--since") }
            let (opened, location) = try journalOptions.openForReading(toShow: true)
            guard let store = opened else {
                if json { JSONOutput.Array().end() } else { print("no runs journaled in \(location)") }
                return
            }
            let document = json ? JSONOutput.Array() : nil
            var rows: [[String]] = []
            var shown = 0, more = false
            var before: Int64?
            paging: while true {
                // One more than is left to show: whether older runs were left out.
                let wanted = min(Self.pageSize, limit - shown + 1)
                let page: [RunSummary]
                do throws(JournalError) {
                    page = try store.runs(tenant: tenant, since: from, unsuccessful: failed, before: before, limit: wanted)
                } catch {
                    Diagnostics.error("roster: \(error)")
                    throw ExitCode(ExitStatus.usage)
                }
                for summary in page {
                    // A run without an outcome is running, or was killed: only the killed did not
                    // succeed (one that may run on another host is kept: it may have been killed).
                    if failed, RunsCommand.isRunning(summary.run, store) { continue }
                    guard shown < limit else {
                        more = true
                        break paging
                    }
                    shown += 1
                    if let document {
                        document.append(RunEntry(summary, counts: RunsCommand.counts(summary, store)))
                        CommandOutput.stopIfFailed()
                    } else {
                        rows.append(Self.row(summary, store))
                    }
                }
                guard page.count == wanted, let last = page.last else { break }
                before = last.run.id
            }
            // Said on stderr, so that --json stays one document.
            defer { if more { Diagnostics.error("roster: the newest \(limit) run\(limit == 1 ? "" : "s") shown; older ones: --limit N, or --since WHEN") } }
            if let document {
                document.end()
                return
            }
            guard !rows.isEmpty else {
                let filters = (failed ? " that did not succeed" : "") + (tenant.map { " of tenant '\($0)'" } ?? "") + (since.map { " since \($0)" } ?? "")
                print("no runs\(filters) journaled in \(store.path)")
                return
            }
            Table.print(["RUN", "STARTED", "USER", "SCRIPT", "TENANT", "OUTCOME", "CHANGES", "READS"], rows)
        }

        /// One run as a line of the table.
        private static func row(_ summary: RunSummary, _ store: JournalStore) -> [String] {
            let run = summary.run
            let counts = RunsCommand.counts(summary, store)
            let changes = run.run.dryRun ? "\(counts.planned) planned"
                : "\(counts.done) done, \(counts.failed) failed, \(counts.unknown) unknown" + (counts.in_flight > 0 ? ", \(counts.in_flight) in flight" : "")
            return [String(run.id), When.text(run.startedAt), run.run.user, run.run.plugin.map { "\($0) \(run.run.workflow ?? "")" } ?? run.run.script,
                    run.run.tenant.isEmpty ? "(default)" : run.run.tenant, RunsCommand.outcome(run, store) + (run.run.dryRun ? " (dry run)" : ""),
                    changes, String(run.reads)]
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Every change of one run: its state, time, duration and error.")

        @Argument(help: ArgumentHelp("The run's id (from roster runs).", valueName: "run")) var id: Int64
        @Flag(help: "One JSON document.") var json = false
        @Flag(help: "CSV, one change per line.") var csv = false
        @OptionGroup var journalOptions: JournalOptions

        func validate() throws {
            if json && csv { throw ValidationError("--json and --csv cannot be combined") }
        }

        func run() throws {
            CommandOutput.isTheResult()
            let (store, found) = try journalOptions.find(id, toShow: true)
            // A run row by row: how each row last ended.
            let rowOutcomes = found.run.each == nil ? [] : ((try? store.rows(runID: found.id)) ?? [])
            // Changes are written as they are read (a run of many rows may have more than fits
            // in memory); only the table, whose columns fit the widest cell, holds its lines.
            func eachChange(_ body: (JournalChange) -> Void) throws {
                try JournalOptions.changes(of: id, in: store) { change in
                    body(change)
                    CommandOutput.stopIfFailed()
                }
            }
            if json {
                // RunDetail's keys, in the order a whole document sorts them.
                let document = JSONOutput.Object()
                let changes = document.array("changes")
                try eachChange { changes.append(ChangeEntry($0)) }
                changes.close()
                if found.run.each != nil { document.value("rows", rowOutcomes.map(RowEntry.init)) }
                document.value("run", RunEntry(found))
                document.end()
            } else if csv {
                // The same columns as `roster audit`'s, which reads the run's tenant and user with each change.
                print(CSVOutput.header)
                try eachChange { change in
                    var change = change
                    change.tenant = found.run.tenant
                    change.user = found.run.user
                    print(CSVOutput.line(change))
                }
            } else {
                let script = found.run.plugin.map { "plugin \($0) \(found.run.pluginVersion ?? "") \(found.run.workflow ?? "")" } ?? found.run.script
                print("run \(found.id): \(script), tenant \(found.run.tenant.isEmpty ? "(the worker's default)" : found.run.tenant), by \(found.run.user)@\(found.run.host), \(When.text(found.startedAt))"
                      + ", \(found.attempts) attempt\(found.attempts == 1 ? "" : "s"), \(found.reads) read\(found.reads == 1 ? "" : "s")"
                      + ": \(RunsCommand.outcome(found, store))"
                      + (found.exitCode.map { " (exit \($0))" } ?? ""))
                // What it ended on: for a worker's or a schedule's run, nobody else saw it.
                if let error = found.error { print("error: " + error) }
                var rows: [[String]] = []
                try eachChange { change in
                    let text = "\(change.vendor).\(change.operation) \(change.arguments)" + (change.error.map { " -- \($0)" } ?? "")
                    rows.append([String(change.attempt), String(change.sequence), When.text(change.startedAt),
                                 change.state.rawValue + (change.already ? " (already)" : ""),
                                 change.durationMilliseconds.map { String(format: "%.0f ms", $0) } ?? "",
                                 text.count > 160 ? String(text.prefix(159)) + "…" : text])
                }
                if rows.isEmpty { print("no changes") } else { Table.print(["TRY", "#", "AT", "STATE", "TOOK", "CHANGE (--json for all of it)"], rows) }
                if let each = found.run.each {
                    let failed = rowOutcomes.filter { $0.state == .failed }
                    print("rows of \(each.name): \(rowOutcomes.count - failed.count) succeeded, \(failed.count) failed" + (failed.isEmpty ? "" : ":"))
                    for row in failed { print("  row \(row.number) \(row.key): \(row.error ?? "")") }
                }
            }
        }
    }
}

/// Exports every change ever sent.
struct AuditCommand: ParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "audit",
        abstract: "Every change ever sent (not planned, not replayed), oldest first, as JSON lines or CSV.")

    @Option(help: ArgumentHelp("From WHEN (2026-11-29, an ISO time, or 30m, 12h, 7d ago).", valueName: "WHEN")) var since: String?
    @Option(help: ArgumentHelp("Before WHEN.", valueName: "WHEN")) var until: String?
    @Option(help: ArgumentHelp("Only this tenant.", valueName: "NAME")) var tenant: String?
    @Option(help: ArgumentHelp("Only this vendor.", valueName: "NAME")) var vendor: String?
    @Option(help: ArgumentHelp("jsonl or csv.", valueName: "FORMAT")) var format = "jsonl"
    @OptionGroup var journalOptions: JournalOptions

    func validate() throws {
        guard ["jsonl", "csv"].contains(format) else { throw ValidationError("--format must be jsonl or csv, got '\(format)'") }
        // A misspelt vendor would list nothing, as if it had no changes.
        let vendors = VendorRegistry.standard.vendors.map(\.rawValue)
        if let vendor, !vendors.contains(vendor) {
            throw ValidationError("--vendor must be one of \(vendors.joined(separator: ", ")), got '\(vendor)'")
        }
        _ = try since.map { try When.parse($0, option: "--since") }
        _ = try until.map { try When.parse($0, option: "--until") }
    }

    func run() throws {
        CommandOutput.isTheResult()
        let from = try since.map { try When.parse($0, option: "--since") }
        let to = try until.map { try When.parse($0, option: "--until") }
        let (opened, _) = try journalOptions.openForReading(toShow: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if format == "csv" { print(CSVOutput.header) }
        // No journal yet: nothing was ever sent.
        guard let store = opened else { return }
        do throws(JournalError) {
            // Each change printed as it is read: a year's trail need not fit in memory.
            try store.audit(since: from, until: to, tenant: tenant, vendor: vendor) { change in
                if format == "csv" {
                    print(CSVOutput.line(change))
                } else {
                    print((try? encoder.encode(ChangeEntry(change))).map { String(decoding: $0, as: UTF8.self) } ?? "{}")
                }
                CommandOutput.stopIfFailed()
            }
        } catch {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}

/// A run as JSON.
struct RunEntry: Encodable {
    var id: Int64
    var kind: String
    var user: String
    var host: String
    var script: String
    var script_sha256: String
    var plugin: String?
    var plugin_version: String?
    var workflow: String?
    var arguments: [String: String]
    var inputs: [JournalInput]
    /// The modules journaled with the script (each its path and digest, not its text).
    var modules: [Module]?
    var tenant: String
    var config: String?
    /// Where each vendor was reached, and as which account (no secret): a resume goes there.
    var targets: [String: String]?
    /// The limits the run was given (its resumes keep them).
    var limits: RunLimits?
    var dry_run: Bool
    var started_at: String
    /// The time `os.time()` answers in every attempt (for an apply, its plan's dry run's);
    /// null until a queued run starts.
    var clock: String?
    var ended_at: String?
    var outcome: String?
    var exit_code: Int?
    /// The line the last attempt ended on, when it failed.
    var error: String?
    var attempts: Int
    /// Vendor reads, over its attempts.
    var reads: Int
    var changes: Counts?

    struct Module: Encodable {
        var path: String
        var sha256: String
    }

    struct Counts: Encodable {
        var done: Int
        var failed: Int
        var unknown: Int
        /// Being sent by the process running the run now.
        var in_flight: Int
        var planned: Int
    }

    init(_ run: JournalRun) {
        id = run.id
        kind = run.run.kind
        user = run.run.user
        host = run.run.host
        script = run.run.script
        script_sha256 = run.scriptSHA256
        plugin = run.run.plugin
        plugin_version = run.run.pluginVersion
        workflow = run.run.workflow
        arguments = run.run.arguments
        // Not the bytes the journal keeps of a piped input: its name and digest say which it was.
        inputs = run.run.inputs.map { JournalInput(name: $0.name, path: $0.path, sha256: $0.sha256) }
        modules = run.run.modules?.map { Module(path: $0.name, sha256: ScriptInput(name: $0.name, contents: Array($0.contents)).sha256) }
        tenant = run.run.tenant
        config = run.run.configFile
        targets = run.run.targets
        limits = run.run.limits
        dry_run = run.run.dryRun
        started_at = When.iso(run.startedAt)
        clock = run.run.clock.map { When.iso(Date(timeIntervalSince1970: TimeInterval($0))) }
        ended_at = run.endedAt.map(When.iso)
        outcome = run.outcome
        exit_code = run.exitCode
        error = run.error
        attempts = run.attempts
        reads = run.reads
    }

    init(_ summary: RunSummary, counts: Counts) {
        self.init(summary.run)
        changes = counts
    }
}

/// A run and its changes (and for a run row by row, how each row last ended), as JSON.
struct RunDetail: Encodable {
    var run: RunEntry
    var changes: [ChangeEntry]
    var rows: [RowEntry]?
}

/// A row of a run row by row, as it last ended.
struct RowEntry: Encodable {
    var row: Int
    var key: String
    var attempt: Int
    var outcome: String
    var changes: Int
    var error: String?

    init(_ row: JournalRow) {
        self.row = row.number
        key = row.key
        attempt = row.attempt
        outcome = row.state.rawValue
        changes = row.changes
        error = row.error
    }
}

/// A change as JSON (arguments and result as the JSON they are).
struct ChangeEntry: Encodable {
    var id: Int64
    var run: Int64
    var attempt: Int
    var sequence: Int
    var vendor: String
    var operation: String
    var effect: String
    var key: String
    var occurrence: Int
    var arguments: RawJSON
    var state: String
    var already: Bool
    var result: RawJSON?
    var error: String?
    var not_applied: Bool
    var started_at: String
    var finished_at: String?
    var duration_ms: Double?
    var replayed_from: Int64?
    /// A toggle's target state, read just before it was sent.
    var state_before: RawJSON?
    var tenant: String?
    var user: String?

    init(_ change: JournalChange) {
        id = change.id
        run = change.runID
        attempt = change.attempt
        sequence = change.sequence
        vendor = change.vendor
        operation = change.operation
        effect = change.effect
        key = change.key
        occurrence = change.occurrence
        arguments = RawJSON(change.arguments)
        state = change.state.rawValue
        already = change.already
        result = change.result.map(RawJSON.init)
        error = change.error
        not_applied = change.notApplied
        started_at = When.iso(change.startedAt)
        finished_at = change.finishedAt.map(When.iso)
        duration_ms = change.durationMilliseconds.map { ($0 * 1000).rounded() / 1000 }
        replayed_from = change.replayedFrom
        state_before = change.stateBefore.map(RawJSON.init)
        tenant = change.tenant
        user = change.user
    }
}

/// JSON text the journal holds, written into a document as JSON (not as a string).
struct RawJSON: Encodable {
    let value: JSONValue

    init(_ text: String) {
        value = JSONValue.parse(text) ?? .string(text)
    }

    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// Times as the command line reads and writes them.
enum When {
    /// `30m`, `12h`, `7d`, `1.5h` as seconds; nil when `text` is not one. Throws for a span
    /// past a hundred years (`ConfigurationSection.longestAge`, as `journal_keep`).
    private static func span(_ text: String, option: String) throws -> TimeInterval? {
        guard let last = text.last, let amount = Double(text.dropLast()), amount >= 0,
              let unit = ["s": 1.0, "m": 60, "h": 3600, "d": 86_400][String(last)] else { return nil }
        guard amount * unit <= ConfigurationSection.longestAge else {
            throw ValidationError("\(option): '\(text)' is more than a hundred years; give at most 36500d")
        }
        return amount * unit
    }

    /// `2026-11-29`, `2026-11-29T10:00:00Z`, or `30m`, `12h`, `7d` (ago).
    static func parse(_ text: String, option: String) throws -> Date {
        if let age = try span(text, option: option) { return Date().addingTimeInterval(-age) }
        if let stray = strayField(text) {
            throw ValidationError("\(option): '\(text)' names no such \(stray); give a time as 2026-11-29T22:00:00Z or a date as 2026-11-29")
        }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        // A date alone: the formatter would also take a date with anything after it.
        if text.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil, let date = day.date(from: text) { return date }
        throw ValidationError("\(option) expects a date (2026-11-29), an ISO time (2026-11-29T10:00:00Z) or an age (30m, 12h, 7d), got '\(text)'")
    }

    /// The field of an ISO date or time that a calendar does not have (`day` for 2026-02-29,
    /// `minute` for 23:60), or nil. The formatters do not say: they read 2026-02-30 as March
    /// 2nd, and a date followed by a time they cannot read (2026-12-31T23:60:00Z) as the date
    /// alone, so a typo ran a queued run 23 hours early.
    private static func strayField(_ text: String) -> String? {
        guard let match = text.wholeMatch(of: /(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:Z|[+-]\d{2}:?\d{2}))?/),
              let year = Int(match.1), let month = Int(match.2), let day = Int(match.3) else { return nil }
        guard (1...12).contains(month) else { return "month" }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return "day" }
        if let hour = match.4.flatMap({ Int($0) }), hour > 23 { return "hour" }
        if let minute = match.5.flatMap({ Int($0) }), minute > 59 { return "minute" }
        if let second = match.6.flatMap({ Int($0) }), second > 59 { return "second" }
        return nil
    }

    /// `2026-11-29T22:00:00Z`, `2026-11-29`, or `30s`, `10m`, `2h`, `1d` from now.
    static func parseFuture(_ text: String, option: String) throws -> Date {
        if let delay = try span(text, option: option) { return Date().addingTimeInterval(delay) }
        if let stray = strayField(text) {
            throw ValidationError("\(option): '\(text)' names no such \(stray); give a time as 2026-11-29T22:00:00Z or a date as 2026-11-29")
        }
        if let date = try? parse(text, option: option) { return date }
        throw ValidationError("\(option) expects an ISO time (2026-11-29T22:00:00Z), a date (2026-11-29) or a delay (30s, 10m, 2h), got '\(text)'")
    }

    /// `2026-11-29T10:00:00.123Z`: UTC to the nearest millisecond, as ISO 8601 writes it.
    /// Written out by hand: a date formatter costs a locale's worth of ICU set-up per call,
    /// which was most of what `roster audit` spent on each change.
    static func iso(_ date: Date) -> String {
        let (day, time, milliseconds) = utc(date)
        return day + "T" + time + "." + padded(milliseconds, 3) + "Z"
    }

    /// `2026-11-29 10:00:00` in UTC, for tables.
    static func text(_ date: Date) -> String {
        let (day, time, _) = utc(date)
        return day + " " + time
    }

    /// `date`'s UTC day (`2026-11-29`), time of day (`10:00:00`) and milliseconds.
    private static func utc(_ date: Date) -> (day: String, time: String, milliseconds: Int) {
        // Half a millisecond rounds up, toward the future, as the formatters round (a tie
        // before 1970 rounded away from zero read one millisecond earlier than they wrote).
        let total = Int64((date.timeIntervalSince1970 * 1000 + 0.5).rounded(.down))
        var seconds = time_t(total >= 0 ? total / 1000 : (total - 999) / 1000)
        let milliseconds = Int(total - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return (padded(Int(parts.tm_year) + 1900, 4) + "-" + padded(Int(parts.tm_mon) + 1, 2) + "-" + padded(Int(parts.tm_mday), 2),
                padded(Int(parts.tm_hour), 2) + ":" + padded(Int(parts.tm_min), 2) + ":" + padded(Int(parts.tm_sec), 2),
                milliseconds)
    }

    private static func padded(_ number: Int, _ width: Int) -> String {
        let digits = String(number)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// Columns padded to their widest cell.
enum Table {
    static func print(_ header: [String], _ rows: [[String]]) {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            let cells = row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
            RosterCLI.print(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
    }
}

/// One pretty JSON document on stdout.
enum JSONOutput {
    static func print(_ value: some Encodable) {
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        CommandOutput.write(String(decoding: data, as: UTF8.self) + "\n")
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }

    /// `text` (a pretty-printed value) indented `depth` levels after its first line, as it
    /// stands inside an enclosing document; an empty line stays empty, as the encoder leaves it.
    static func nested(_ text: String, depth: Int) -> String {
        let indent = String(repeating: "  ", count: depth)
        return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { index, line in index == 0 || line.isEmpty ? String(line) : indent + line }
            .joined(separator: "\n")
    }

    static func encoded(_ value: some Encodable) -> String {
        String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// A JSON array written element by element, as `print` writes a whole one: a long list
    /// is never held whole. At `depth` 1 it is a value of an `Object`.
    final class Array {
        private let depth: Int
        private var count = 0

        init(depth: Int = 0) {
            self.depth = depth
            write("[\n")
        }

        func append(_ element: some Encodable) {
            let indent = String(repeating: "  ", count: depth + 1)
            write((count == 0 ? "" : ",\n") + indent + JSONOutput.nested(JSONOutput.encoded(element), depth: depth + 1))
            count += 1
        }

        /// `]`, on its own line as the encoder puts it (`[`, an empty line, `]` for no elements).
        func close() { write("\n" + String(repeating: "  ", count: depth) + "]") }

        /// Closes a document that is this array.
        func end() {
            close()
            write("\n")
        }
    }

    /// A JSON object written value by value, as `print` writes a whole one; the caller gives
    /// the keys in sorted order, as `print` sorts them.
    final class Object {
        private var count = 0

        init() { write("{\n") }

        /// An array value, written element by element; `close` it before the next key.
        func array(_ key: String) -> Array {
            start(key)
            return Array(depth: 1)
        }

        func value(_ key: String, _ value: some Encodable) {
            start(key)
            write(JSONOutput.nested(JSONOutput.encoded(value), depth: 1))
        }

        func end() { write("\n}\n") }

        private func start(_ key: String) {
            write((count == 0 ? "" : ",\n") + "  \"\(key)\" : ")
            count += 1
        }
    }

    private static func write(_ text: String) { CommandOutput.write(text) }
}

/// Changes as CSV (RFC 4180 quoting), safe to open in a spreadsheet (`CSV.reportLine`).
enum CSVOutput {
    static let header = "id,run,attempt,sequence,tenant,user,vendor,operation,effect,state,already,started_at,duration_ms,arguments,error"

    /// One change as a CSV line, safe to open in a spreadsheet.
    static func line(_ change: JournalChange) -> String {
        CSV.reportLine([String(change.id), String(change.runID), String(change.attempt), String(change.sequence), change.tenant ?? "",
                        change.user ?? "", change.vendor, change.operation, change.effect, change.state.rawValue, String(change.already),
                        When.iso(change.startedAt), change.durationMilliseconds.map { String(format: "%.3f", $0) } ?? "",
                        change.arguments, change.error ?? ""])
    }
}
