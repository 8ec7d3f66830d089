/// RunsPruneCommand.swift: `roster runs prune` — deletes the journal's old, settled runs, so
/// that a journal a worker writes every few minutes does not grow for ever.
import ArgumentParser
import Foundation
import Journal

extension RunsCommand {
    /// Deletes old runs with their changes, keeping what a run still to be finished or
    /// undone needs; journals that it did, as a run of its own.
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Delete the runs started before WHEN, with their changes, rows and plans (they leave roster runs and roster audit).",
            discussion: """
                Kept whatever their age: a run that never ended or has a change sent and never answered \
                (unless --include-unfinished), one that waits in the queue or runs now, and a run a kept \
                run needs (an undo and the run it undoes stay together). Asks first on a terminal; \
                without one it needs --yes.
                """)

        @Option(help: ArgumentHelp("Delete the runs started before WHEN: 2026-01-01, 2026-01-01T00:00:00Z, or an age: 90d, 12h.", valueName: "WHEN"))
        var before: String
        @Option(help: ArgumentHelp("Only this tenant's runs.", valueName: "NAME")) var tenant: String?
        @Flag(help: "Delete runs that never ended or have a change of unknown outcome too (they can no longer be resumed).")
        var includeUnfinished = false
        @Flag(help: "Say what would be deleted; delete nothing.") var dryRun = false
        @Flag(help: "Delete without asking.") var yes = false
        @OptionGroup var journalOptions: JournalOptions

        func validate() throws {
            let cutoff = try When.parse(before, option: "--before")
            guard cutoff <= Date() else {
                throw ValidationError("--before \(before) is in the future; prune deletes runs started before a time that has passed")
            }
        }

        func run() throws {
            let store = try journalOptions.open()
            let cutoff = try When.parse(before, option: "--before")
            let selection: PruneSelection
            do throws(JournalError) {
                selection = try store.pruneSelection(before: cutoff, tenant: tenant, includeUnfinished: includeUnfinished, holding: !dryRun)
            } catch {
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            let scope = "started before \(When.text(cutoff)) UTC" + (tenant.map { " of tenant '\($0)'" } ?? "")
            for line in Self.keptLines(selection, store: store) { Diagnostics.error("roster: " + line) }
            guard !selection.deleted.isEmpty else {
                Diagnostics.error("roster: no run \(scope) to delete in \(store.path)")
                return
            }
            let count = selection.deleted.count
            let what = "\(Self.plural(count, "run")) \(scope) (\(selection.deletedRuns), "
                + "\(Self.plural(selection.changes, "change"))) from \(store.path)"
            if dryRun {
                Diagnostics.error("roster: would delete \(what); nothing deleted (dry run)")
                return
            }
            try Terminal.confirm(unless: yes, "Delete \(what)? They leave roster runs and roster audit for good. [y/N] ",
                                 noTerminal: "would delete \(what); there is no terminal to confirm it: add --yes; nothing deleted",
                                 declined: "nothing deleted (not confirmed)")
            let changes: Int
            do throws(JournalError) {
                changes = try store.prune(selection)
                try Self.journal(count, changes: changes, scope: scope, before: cutoff, tenant: tenant, in: store)
            } catch {
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            Diagnostics.error("roster: deleted \(Self.plural(count, "run")) \(scope) (\(Self.plural(changes, "change"))) from \(store.path)")
            if let space = store.reclaimSpace() { Diagnostics.error("roster: " + space) }
        }

        /// What was kept and why, a line per reason (a few run ids each).
        static func keptLines(_ selection: PruneSelection, store: JournalStore) -> [String] {
            var unfinished: [Int64] = [], running: [Int64] = [], needed: [String] = []
            for (run, reason) in selection.kept {
                switch reason {
                case .unfinished: unfinished.append(run)
                case .running: running.append(run)
                case .undoneBy(let undo): needed.append("run \(run) (undone by run \(undo))")
                case .undoes(let original): needed.append("run \(run) (the undo of run \(original))")
                case .planAppliedBy(let apply): needed.append("run \(run) (its plan was applied by run \(apply))")
                }
            }
            func some(_ items: [String]) -> String {
                items.prefix(5).joined(separator: ", ") + (items.count > 5 ? " and \(items.count - 5) more" : "")
            }
            var lines: [String] = []
            if !unfinished.isEmpty {
                lines.append("kept \(plural(unfinished.count, "unfinished run")) (never ended, or a change of unknown outcome): "
                             + some(unfinished.map { "run \($0)" }) + "; "
                             + JournalOptions.command("resume RUN", reaching: store) + " settles one, or --include-unfinished deletes them")
            }
            if !running.isEmpty {
                lines.append("kept \(plural(running.count, "run")) queued or running now: " + some(running.map { "run \($0)" }))
            }
            if !needed.isEmpty {
                lines.append("kept \(plural(needed.count, "run")) that kept runs need: " + some(needed))
            }
            return lines
        }

        /// Journals the prune as a run of its own (kind `prune`): who deleted what, and when.
        static func journal(_ count: Int, changes: Int, scope: String, before cutoff: Date, tenant: String?,
                            in store: JournalStore) throws(JournalError) {
            var arguments = ["before": When.iso(cutoff), "runs": String(count), "changes": String(changes)]
            arguments["tenant"] = tenant
            let run = NewRun(kind: "prune", user: NewRun.currentUser, host: ProcessInfo.processInfo.hostName,
                             script: "(deleted \(plural(count, "run")) \(scope))", scriptText: "", arguments: arguments, inputs: [],
                             tenant: tenant ?? "(all tenants)", configFile: nil, seed: 0, dryRun: false)
            let id = try store.startRun(run)
            try store.finishAttempt(runID: id, attempt: 1, outcome: "success", exitCode: 0, reads: 0, error: nil)
        }

        static func plural(_ count: Int, _ noun: String) -> String {
            "\(count) \(noun)\(count == 1 ? "" : "s")"
        }
    }
}
