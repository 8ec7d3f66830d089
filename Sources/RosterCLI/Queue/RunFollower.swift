/// RunFollower.swift: `roster submit --wait` — a queued run followed to its end from the
/// journal: where it stands (queued, on which worker, how many changes), then its exit code.
import ArgumentParser
import Foundation
import Journal

/// Follows one queued run.
struct RunFollower {
    let store: JournalStore
    let runID: Int64
    /// How often the journal is read.
    var interval: Duration = .milliseconds(500)

    /// Prints a line each time the run moves on; returns when it ends, throwing its exit
    /// code when that is not 0.
    func follow() async throws {
        // Ctrl-C stops the following, not the run: say so, lest it be taken for a cancel.
        let show = JournalOptions.command("runs show \(runID)", reaching: store), cancel = JournalOptions.command("cancel \(runID)", reaching: store)
        ProcessStopSignals.take { [runID] name in
            Diagnostics.error("roster: \(name): stopped following run \(runID), which goes on without you (\(show); \(cancel) stops it)")
            exit(ExitStatus.interrupted)
        }
        var said = ""
        while true {
            let entry: QueueEntry?
            let changes: [JournalChange]
            do throws(JournalError) {
                entry = try store.queueEntry(runID: runID)
                changes = try store.changes(runID: runID)
            } catch {
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            guard let entry else {
                Diagnostics.error("roster: run \(runID) is not in the queue of \(store.path)")
                throw ExitCode(ExitStatus.usage)
            }
            let line = Self.line(entry, changes: changes, runID: runID)
            if line != said {
                Diagnostics.error(line)
                said = line
            }
            if entry.state == .done {
                let code = Int32(clamping: entry.exitCode ?? Int(ExitStatus.scriptError))
                let run = (try? store.run(runID)) ?? nil
                // The line it ended on: said nowhere else than in its worker's log.
                Diagnostics.error("roster: run \(runID): \(run?.outcome ?? "ended") (exit \(code))" + (run?.error.map { ": \($0)" } ?? "")
                                  + "; its changes: \(show)")
                if code != ExitStatus.success { throw ExitCode(code) }
                return
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// `roster: run 12: running on host-a-4411 (claim 1): 14 done, 0 failed, 0 unknown`
    static func line(_ entry: QueueEntry, changes: [JournalChange], runID: Int64) -> String {
        switch entry.state {
        case .queued:
            let due = entry.notBefore > Date() ? " until \(When.text(entry.notBefore)) UTC" : ""
            return "roster: run \(runID): queued\(due)" + (entry.claims > 0 ? " again (its worker let it go; the next resumes it)" : "")
        case .running, .done:
            let counts = LatestChanges(changes)
            let stopping = entry.state == .running && entry.cancelledAt != nil ? " (cancelled: stopping)" : ""
            return "roster: run \(runID): \(entry.state == .done ? "ended" : "running") on \(entry.worker ?? "?")"
                + (entry.claims > 1 ? " (claim \(entry.claims))" : "") + stopping
                + ": \(counts.done) done, \(counts.failed) failed, \(counts.unsettled) in flight or unknown"
        }
    }
}

/// A run's changes, each counted once, as its latest row (a resumed attempt replays or
/// retries a change).
struct LatestChanges {
    var done = 0
    var failed = 0
    /// Being sent, or of unknown outcome.
    var unsettled = 0

    init(_ changes: [JournalChange]) {
        var latest: [String: ChangeState] = [:]
        for change in changes { latest["\(change.key)#\(change.occurrence)"] = change.state }
        for state in latest.values {
            switch state {
            case .succeeded, .replayed: done += 1
            case .failed: failed += 1
            case .sending, .unknown: unsettled += 1
            default: break
            }
        }
    }
}
