/// WorkersCommand.swift: `roster workers` — the live workers, what each holds, and the queue.
import ArgumentParser
import Foundation
import Journal

/// Lists the workers whose heartbeat is recent.
struct WorkersCommand: ParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "workers",
        abstract: "List live workers and the runs they hold, and what waits in the queue.")

    @Option(parsing: .unconditional, help: ArgumentHelp("A worker whose heartbeat is older than this is not listed (the workers' --lease).", valueName: "SEC"))
    var lease: Double = 30
    @Flag(help: "One JSON document.") var json = false
    @OptionGroup var journalOptions: JournalOptions

    func validate() throws {
        guard lease >= 1, lease <= 3600 else { throw ValidationError("--lease must be from 1 to 3600 seconds, got \(Diagnostics.number(lease))") }
    }

    func run() throws {
        CommandOutput.isTheResult()
        let store = try journalOptions.open()
        let workers: [WorkerRecord]
        let held: [QueueEntry]
        let depth: QueueDepth
        do throws(JournalError) {
            workers = try store.workers(since: Date().addingTimeInterval(-lease))
            held = try store.queueEntries(states: [.running])
            depth = try store.queueDepth()
        } catch {
            Diagnostics.error("roster: \(error)")
            throw ExitCode(ExitStatus.usage)
        }
        let byWorker = Dictionary(grouping: held, by: { $0.worker ?? "" })
        if json {
            JSONOutput.print(WorkersReport(
                workers: workers.map { worker in
                    WorkersReport.Worker(name: worker.name, host: worker.host, pid: worker.pid, concurrency: worker.concurrency,
                                         started_at: When.iso(worker.startedAt), heartbeat: When.iso(worker.heartbeat),
                                         stopping: worker.stopping, runs: (byWorker[worker.name] ?? []).map(\.runID))
                },
                queued: depth.queued, running: depth.running))
            return
        }
        if workers.isEmpty {
            print("no live workers in \(store.path)")
        } else {
            Table.print(["WORKER", "HOST", "PID", "SINCE", "HEARTBEAT", "STATE", "RUNS"], workers.map { worker in
                [worker.name, worker.host, String(worker.pid), When.text(worker.startedAt),
                 "\(Int(Date().timeIntervalSince(worker.heartbeat).rounded())) s ago", worker.stopping ? "stopping" : "working",
                 "\(byWorker[worker.name]?.count ?? 0)/\(worker.concurrency)" + ((byWorker[worker.name] ?? []).isEmpty ? ""
                     : ": " + byWorker[worker.name]!.map { String($0.runID) }.joined(separator: ", "))]
            })
        }
        // Runs held by a worker no longer listed: its lease runs out, then another resumes them.
        let orphaned = held.filter { entry in !workers.contains { $0.name == entry.worker } }
        print("queue: \(depth.queued) waiting, \(depth.running) running"
              + (orphaned.isEmpty ? "" : " (\(orphaned.count) held by workers that stopped answering: " + orphaned.map { "run \($0.runID)" }.joined(separator: ", ") + "; resumed when their lease ends)"))
    }
}

/// `roster workers --json`.
struct WorkersReport: Encodable {
    struct Worker: Encodable {
        var name: String
        var host: String
        var pid: Int
        var concurrency: Int
        var started_at: String
        var heartbeat: String
        var stopping: Bool
        var runs: [Int64]
    }

    var workers: [Worker]
    var queued: Int
    var running: Int
}
