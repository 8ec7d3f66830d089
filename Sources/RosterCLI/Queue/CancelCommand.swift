/// CancelCommand.swift: `roster cancel RUN` — withdraws a queued run before a worker starts
/// it, or has the worker running it stop it cleanly: the changes in flight get their answers
/// and are journaled, and the run ends as `cancelled` (exit 130); no worker takes it up again.
import ArgumentParser
import Foundation
import Journal

/// Cancels a queued run.
struct CancelCommand: AsyncParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a queued run (roster submit, or a schedule's): withdrawn if it waits, stopped cleanly if a worker runs it.",
        discussion: """
            A run still waiting (for a worker, or for its --at time) ends at once: nothing of it is sent. A run a worker runs is stopped by that worker within about a second, as Ctrl-C stops a run: the changes already sent get their answers and are journaled, no new one is sent. Either way it ends as 'cancelled' (exit 130 for roster submit --wait) and no worker starts or resumes it again; roster runs show RUN lists what it changed, roster undo RUN reverses what can be, and roster resume RUN would still finish it by hand.

            --wait waits for a running run to have stopped.
            """)

    @Argument(help: ArgumentHelp("The run's id (from roster submit or roster runs).", valueName: "run")) var id: Int64
    @Flag(help: "Wait until a running run has stopped; report what it changed.") var wait = false
    @OptionGroup var journalOptions: JournalOptions

    func run() async throws {
        let (store, found, _) = try journalOptions.run(id)
        let result: QueueCancel
        do throws(JournalError) {
            result = try store.cancel(runID: id)
        } catch {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        switch result {
        case .withdrawn:
            Diagnostics.error("roster: run \(id) cancelled: " + Self.changed(store, id, before: "it had not started; nothing was sent"))
        case .requested(let worker), .alreadyRequested(let worker):
            let again = if case .alreadyRequested = result { " (asked before)" } else { "" }
            Diagnostics.error("roster: run \(id) runs on worker \(worker), which is asked to stop it\(again): its changes in flight get their answers, then it ends as cancelled"
                              + (wait ? "" : " (\(JournalOptions.command("runs show \(id)", reaching: store)))"))
            if wait { try await waitForTheStop(store) }
        case .ended:
            let run = (try? store.run(id)) ?? found
            if run.outcome == cancelledOutcome {
                Diagnostics.error("roster: run \(id) was already cancelled")
                return
            }
            Diagnostics.error("roster: run \(id) already ended (\(run.outcome ?? "ended")\(run.exitCode.map { ", exit \($0)" } ?? "")): nothing to cancel; \(JournalOptions.command("undo \(id)", reaching: store)) reverses its changes")
            throw ExitCode(ExitStatus.usage)
        case .notQueued:
            let process = store.processRunning(id).map { " (process \($0))" } ?? ""
            let place = found.outcome == nil ? "stop it where it runs\(process): Ctrl-C, or SIGTERM" : "it already ended (\(found.outcome ?? "ended"))"
            Diagnostics.error("roster: run \(id) was not queued (started by \(found.run.user) on \(found.run.host)), so no worker can be told to stop it: \(place)")
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// Follows the run until its worker has stopped it (or it ended first).
    private func waitForTheStop(_ store: JournalStore) async throws {
        while true {
            guard let entry = try? store.queueEntry(runID: id) else { break }
            if entry.state == .done {
                let outcome = (try? store.run(id))?.flatMap(\.outcome)
                if outcome == cancelledOutcome {
                    Diagnostics.error("roster: run \(id) cancelled: " + Self.changed(store, id, before: "it had sent nothing"))
                } else {
                    Diagnostics.error("roster: run \(id) ended before its worker could stop it: \(outcome ?? "ended") (exit \(entry.exitCode ?? 1)); \(JournalOptions.command("runs show \(id)", reaching: store))")
                }
                return
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// What run `id` changed, for the line that says it was cancelled (`none` when nothing).
    static func changed(_ store: JournalStore, _ id: Int64, before none: String) -> String {
        let counts = LatestChanges((try? store.changes(runID: id)) ?? [])
        guard counts.done + counts.unsettled > 0 else { return none }
        return "\(counts.done) change\(counts.done == 1 ? "" : "s") made"
            + (counts.unsettled > 0 ? ", \(counts.unsettled) of unknown outcome" : "")
            + " (\(JournalOptions.command("runs show \(id)", reaching: store)) lists them; \(JournalOptions.command("undo \(id)", reaching: store)) reverses what can be)"
    }
}
