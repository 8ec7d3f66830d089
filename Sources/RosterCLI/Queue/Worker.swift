/// Worker.swift: what `roster worker` does, turn by turn — reap the runs that ended, renew
/// the leases, queue the schedules' ticks, claim while there is room, and on SIGTERM drain.
/// Each run is its own process (`roster resume RUN --queued`): a run that hits a limit or
/// crashes takes no other run with it, and it ends with its worker (WorkerWatch).
import ChildProcesses
import Dispatch
import Engine
import Foundation
import Journal
import Synchronization
import Vendors

/// One worker process.
final class Worker: Sendable {
    struct Settings: Sendable {
        /// The journal, as the runs are told it (`--journal`).
        var journal: String
        /// This host's roster.toml, if it has one.
        var configuration: String?
        var plugins: String?
        var lease: Double
        var drain: Double
        var runTimeout: Double
        var exitWhenIdle: Bool
        /// roster.toml's `journal_keep`, in seconds: older settled runs are deleted.
        var journalKeep: Double? = nil
    }

    /// A run this worker started.
    private struct Child {
        let process: RunProcess
        let claim: QueueClaim
        /// Another worker holds it now (this worker's lease lapsed): it was stopped, and it
        /// is not this worker's to complete.
        var lostLease = false
        /// `roster cancel` asked for it to stop: it was told to (SIGTERM), and it ends as
        /// cancelled, not back in the queue.
        var cancelled = false
    }

    private struct State {
        var record: WorkerRecord
        var children: [Int64: Child] = [:]
        /// Claims whose run another process on this host still holds (a frozen worker's run,
        /// a resume typed by hand): each starts here once that process lets go. They count
        /// as running, and their leases are renewed meanwhile.
        var waiting: [Int64: QueueClaim] = [:]
        /// When SIGTERM came.
        var stopRequested: Date?
        /// Running runs were told to stop (after the drain, or at a second signal).
        var stopForwarded = false
        var lastRenewal = Date()
        var nextHeartbeat = Date()
        var nextCancellationCheck = Date()
        /// No claims before this, after a run could not be started.
        var claimsPausedUntil: Date?
        var lastScheduleCheck: Date
        /// When the journal is next pruned (`journal_keep`); nil while a prune goes on.
        var nextPrune: Date? = Date()
    }

    let store: JournalStore
    let settings: Settings
    let schedules: [ScheduleSettings]
    let metrics = WorkerMetrics()
    private let state: Mutex<State>
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    /// The claims a run gets before a crash is taken as its own (not its worker's) and it is
    /// not claimed again.
    static let maxClaims = 5
    /// Turns run at least this often (a run ending, or a signal, wakes the loop sooner).
    static let turn = Duration.milliseconds(200)
    /// How often a worker running something asks the queue whether any of it was cancelled.
    static let cancellationCheck = 1.0

    init(store: JournalStore, record: WorkerRecord, settings: Settings, schedules: [ScheduleSettings]) {
        self.store = store
        self.settings = settings
        self.schedules = schedules
        // A tick in the minute the worker starts is still queued (once, by the unique key).
        state = Mutex(State(record: record, lastScheduleCheck: Date().addingTimeInterval(-60)))
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    var name: String { state.withLock { $0.record.name } }

    /// Works until stopped (or, with `exitWhenIdle`, until nothing is left to run).
    func run() async {
        let signals = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in stopRequested(number == SIGTERM ? "SIGTERM" : "SIGINT") }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let ticker = Task { [wake] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.turn)
                wake.yield()
            }
        }
        defer { ticker.cancel() }
        Diagnostics.error("roster: worker \(name) started: \(state.withLock { $0.record.concurrency }) at once, journal \(store.path)"
                          + (schedules.isEmpty ? "" : ", schedules: " + schedules.map(\.name).joined(separator: ", ")))
        for await _ in wakes {
            let before = metrics.movements
            reap()
            heartbeatIfDue()
            stopCancelledIfDue()
            let stopping = state.withLock { $0.stopRequested != nil }
            if !stopping {
                queueScheduledTicks()
                claimWhileRoom()
                pruneIfDue()
            }
            // The queue's depth, read again whenever a run started or ended here.
            if metrics.movements != before, let depth = try? store.queueDepth() { metrics.queue(depth) }
            if stopping {
                releaseWaitingClaims()
                forwardStopAfterDrain()
                if state.withLock({ $0.children.isEmpty }) { break }
            } else if settings.exitWhenIdle, state.withLock({ $0.children.isEmpty && $0.nextPrune != nil }),
                      let depth = try? store.queueDepth(), depth.queued == 0, depth.running == 0 {
                break
            }
        }
        try? store.removeWorker(name)
        Diagnostics.error("roster: worker \(name) stopped")
    }

    // MARK: - Claims and runs

    private func claimWhileRoom() {
        if let paused = state.withLock({ $0.claimsPausedUntil }), paused > Date() { return }
        startWaitingClaimsLetGo()
        while state.withLock({ $0.children.count + $0.waiting.count < $0.record.concurrency }) {
            let claim: QueueClaim?
            do throws(JournalError) {
                claim = try store.claim(worker: name, lease: settings.lease)
            } catch {
                // The journal unreachable (its server restarting): tried again every turn, it
                // wrote five lines a second and dialled the server as often.
                Diagnostics.error("roster: worker \(name): cannot claim: \(error); trying again in \(Int(Self.pauseAfterFailedClaim)) s")
                state.withLock { $0.claimsPausedUntil = Date().addingTimeInterval(Self.pauseAfterFailedClaim) }
                return
            }
            guard let claim else { return }
            if let holder = store.processRunning(claim.runID) {
                // Started now, it would be refused: wait for the holder, keeping the lease.
                state.withLock { $0.waiting[claim.runID] = claim }
                Diagnostics.error("roster: worker \(name): run \(claim.runID) is still held by process \(holder) on this host; it starts here when that ends")
                continue
            }
            guard start(claim) else { return }
        }
    }

    /// How long claims stop after a run could not be started (out of descriptors, say).
    static let pauseAfterFailedStart: TimeInterval = 10
    /// How long claims stop after the journal refused one (unreachable, say).
    static let pauseAfterFailedClaim: TimeInterval = 5

    /// Starts the waiting claims whose run no process holds any more.
    private func startWaitingClaimsLetGo() {
        let free = state.withLock { state in
            let free = state.waiting.values.filter { store.processRunning($0.runID) == nil }
            for claim in free { state.waiting[claim.runID] = nil }
            return free
        }
        for claim in free { _ = start(claim) }
    }

    /// Gives the waiting claims back to the queue (the worker stops).
    private func releaseWaitingClaims() {
        let waiting = state.withLock { state in
            defer { state.waiting = [:] }
            return Array(state.waiting.keys)
        }
        for runID in waiting { try? store.release(runID: runID, worker: name) }
    }

    /// Starts the run `claim` holds: `roster resume RUN --queued`, its output on this
    /// worker's stderr, each line naming the run. False when it could not be started: the
    /// run is back in the queue, and claims pause.
    private func start(_ claim: QueueClaim) -> Bool {
        var arguments = ["resume", String(claim.runID), "--queued", "--worker-pid", String(getpid()),
                         "--stats-descriptor", String(ChildProcess.extraDescriptor),
                         "--journal", settings.journal, "--default-timeout", String(settings.runTimeout)]
        if let configuration = settings.configuration { arguments += ["--config", configuration] }
        if let plugins = settings.plugins { arguments += ["--plugins", plugins] }
        let process: RunProcess
        do {
            let prefix = "run \(claim.runID): "
            process = try RunProcess.start(Self.executable.path, arguments: arguments, line: { Diagnostics.error(prefix + $0) },
                                           whenEnded: { [wake] in wake.yield() })
        } catch {
            Diagnostics.error("roster: worker \(name): cannot start run \(claim.runID) (\(Self.reason(error))); "
                              + "it is back in the queue, and this worker claims nothing for \(Int(Self.pauseAfterFailedStart)) s")
            try? store.release(runID: claim.runID, worker: name)
            // Claimed again at once, it would fail again at once: a loop that held the worker
            // (SIGTERM included) and wrote 100,000 lines a second.
            state.withLock { $0.claimsPausedUntil = Date().addingTimeInterval(Self.pauseAfterFailedStart) }
            return false
        }
        state.withLock { $0.children[claim.runID] = Child(process: process, claim: claim) }
        metrics.runStarted()
        Diagnostics.error("roster: worker \(name): run \(claim.runID) started" + (claim.claims > 1 ? " (claim \(claim.claims): resumed from the journal)" : ""))
        return true
    }

    /// Why a child could not be started, in the system's words (`too many open files`).
    static func reason(_ error: any Error) -> String { "\(error)" }

    /// The runs that ended: completed, or back in the queue when they were stopped for the
    /// worker's own stop or cut by a crash.
    private func reap() {
        let (ended, stopping) = state.withLock { state in
            let ended = state.children.values.filter { $0.process.ending != nil }
            for child in ended { state.children[child.claim.runID] = nil }
            return (ended, state.stopRequested != nil)
        }
        for child in ended {
            let runID = child.claim.runID
            let ending = child.process.ending
            let (exited, status) = switch ending {
            case .exited(let code): (true, Int(code))
            case .signaled(let signal): (false, Int(signal))
            case nil: (false, 0)
            }
            metrics.add(child.process.vendorCounts)
            if child.lostLease {
                Diagnostics.error("roster: worker \(name): run \(runID) stopped: another worker holds it now")
                continue
            }
            do throws(JournalError) {
                if child.cancelled, !exited || status == Int(ExitStatus.interrupted) {
                    let code = exited ? status : 128 + status
                    try store.completeCancelled(runID: runID, worker: name, exitCode: code)
                    metrics.runCancelled()
                    Diagnostics.error("roster: worker \(name): run \(runID) cancelled: stopped (\(JournalOptions.command("runs show \(runID)", reaching: store)) lists what it changed)")
                } else if exited, !(stopping && status == Int(ExitStatus.interrupted)) {
                    try store.complete(runID: runID, worker: name, exitCode: status)
                    metrics.runEnded(exitCode: status)
                    Diagnostics.error("roster: worker \(name): run \(runID) ended (exit \(status))")
                } else if exited || child.claim.claims < Self.maxClaims {
                    // Stopped for this worker's stop, or cut by a crash: the next worker resumes it.
                    try store.release(runID: runID, worker: name)
                    metrics.runReleased()
                    Diagnostics.error("roster: worker \(name): run \(runID) " + (exited ? "stopped; back in the queue" : "ended by signal \(status); back in the queue"))
                } else {
                    try store.complete(runID: runID, worker: name, exitCode: 128 + status)
                    metrics.runEnded(exitCode: 128 + status)
                    Diagnostics.error("roster: worker \(name): run \(runID) ended by signal \(status) in each of its \(Self.maxClaims) claims; not claimed again (\(JournalOptions.command("resume \(runID)", reaching: store)) to finish it by hand)")
                }
            } catch {
                // Its lease lapses and another worker takes it up: nothing is lost.
                Diagnostics.error("roster: worker \(name): run \(runID) ended (exit \(status)) but the journal could not be told: \(error)")
            }
        }
    }

    // MARK: - Leases

    /// Every third of a lease: this worker's heartbeat and its runs' leases renewed. A run no
    /// longer held was taken by another worker (this one's lease lapsed): it is stopped. A
    /// worker that cannot renew for most of a lease stops its runs before another takes them.
    private func heartbeatIfDue() {
        let (due, record) = state.withLock { state in (Date() >= state.nextHeartbeat, state.record) }
        guard due else { return }
        state.withLock { $0.nextHeartbeat = Date().addingTimeInterval(settings.lease / 3) }
        do throws(JournalError) {
            let held = try store.renew(record, lease: settings.lease)
            let lost = state.withLock { state in
                state.lastRenewal = Date()
                state.waiting = state.waiting.filter { held.contains($0.key) }
                return state.children.keys.filter { !held.contains($0) }
            }
            stop(lost, why: "its lease passed to another worker")
            if let depth = try? store.queueDepth() { metrics.queue(depth) }
        } catch {
            let silent = state.withLock { Date().timeIntervalSince($0.lastRenewal) }
            Diagnostics.error("roster: worker \(name): cannot renew its leases: \(error)")
            if silent > settings.lease * 0.8 {
                stop(state.withLock { Array($0.children.keys) }, why: "its leases could not be renewed for \(Int(silent)) s")
            }
        }
    }

    /// Every `cancellationCheck` while it runs or waits on something: the runs `roster cancel`
    /// asked to stop are told to (SIGTERM: the changes in flight get their answers and are
    /// journaled, and the run ends, exit 130), and a waiting claim that was cancelled ends
    /// without starting.
    private func stopCancelledIfDue() {
        let due = state.withLock { state in
            guard Date() >= state.nextCancellationCheck, !state.children.isEmpty || !state.waiting.isEmpty else { return false }
            state.nextCancellationCheck = Date().addingTimeInterval(Self.cancellationCheck)
            return true
        }
        guard due, let cancelled = try? store.cancellations(worker: name), !cancelled.isEmpty else { return }
        let (stopping, waiting) = state.withLock { state -> ([(runID: Int64, process: RunProcess)], [Int64]) in
            var stopping: [(runID: Int64, process: RunProcess)] = []
            for runID in cancelled where state.children[runID]?.cancelled == false {
                state.children[runID]?.cancelled = true
                if let process = state.children[runID]?.process { stopping.append((runID, process)) }
            }
            let waiting = cancelled.filter { state.waiting[$0] != nil }.sorted()
            for runID in waiting { state.waiting[runID] = nil }
            return (stopping, waiting)
        }
        for (runID, process) in stopping {
            Diagnostics.error("roster: worker \(name): run \(runID) was cancelled (roster cancel): stopping it")
            process.send(SIGTERM)
        }
        for runID in waiting {
            try? store.completeCancelled(runID: runID, worker: name, exitCode: Int(ExitStatus.interrupted))
            Diagnostics.error("roster: worker \(name): run \(runID) was cancelled (roster cancel) before it started here")
        }
    }

    /// Every hour (or every quarter of `journal_keep`, when shorter): the settled runs older
    /// than `journal_keep` deleted, off the loop, so that leases are renewed meanwhile. Every
    /// worker does it; a run deleted by one is not there for the next.
    private func pruneIfDue() {
        guard let keep = settings.journalKeep else { return }
        let due = state.withLock { state in
            guard let next = state.nextPrune, Date() >= next else { return false }
            state.nextPrune = nil
            return true
        }
        guard due else { return }
        Task.detached { [self] in
            defer { state.withLock { $0.nextPrune = Date().addingTimeInterval(min(3_600, keep / 4)) } }
            let cutoff = Date().addingTimeInterval(-keep)
            do throws(JournalError) {
                let selection = try store.pruneSelection(before: cutoff, tenant: nil, includeUnfinished: false, holding: true)
                guard !selection.deleted.isEmpty else { return }
                let changes = try store.prune(selection)
                Diagnostics.error("roster: worker \(name): deleted \(RunsCommand.Prune.plural(selection.deleted.count, "run")) started before "
                                  + "\(When.text(cutoff)) UTC (\(RunsCommand.Prune.plural(changes, "change"))): journal_keep is \(Self.age(keep))")
            } catch {
                Diagnostics.error("roster: worker \(name): cannot prune the journal (journal_keep): \(error)")
            }
        }
    }

    /// `400d`, `36h`: an age as roster.toml writes it.
    static func age(_ seconds: Double) -> String {
        seconds.truncatingRemainder(dividingBy: 86_400) == 0 ? "\(Int(seconds / 86_400))d" : "\(Diagnostics.number(seconds / 3_600))h"
    }

    /// Stops `runs` at once: another worker has them, or soon will.
    private func stop(_ runs: [Int64], why: String) {
        for runID in runs {
            let process = state.withLock { state -> RunProcess? in
                state.children[runID]?.lostLease = true
                return state.children[runID]?.process
            }
            guard let process else { continue }
            Diagnostics.error("roster: worker \(name): stopping run \(runID): \(why)")
            process.send(SIGKILL)
        }
    }

    // MARK: - Stopping

    private func stopRequested(_ signal: String) {
        let (first, running) = state.withLock { state in
            defer {
                if state.stopRequested == nil { state.stopRequested = Date() } else { state.stopForwarded = true }
                state.record.stopping = true
                state.nextHeartbeat = Date()
            }
            return (state.stopRequested == nil, state.children.count)
        }
        if first {
            Diagnostics.error("roster: worker \(name): \(signal): claiming no more; \(running) running run\(running == 1 ? "" : "s") get \(Int(settings.drain)) s to finish, then stop and go back to the queue (\(signal) again: now)")
        } else {
            Diagnostics.error("roster: worker \(name): \(signal) again: stopping the running runs now")
            tellChildrenToStop()
        }
        wake.yield()
    }

    private func forwardStopAfterDrain() {
        let due = state.withLock { state in
            guard let requested = state.stopRequested, !state.stopForwarded, Date().timeIntervalSince(requested) >= settings.drain else { return false }
            state.stopForwarded = true
            return true
        }
        if due { tellChildrenToStop() }
    }

    /// SIGTERM to each run: it stops cleanly (journaled, exit 130) and goes back to the queue.
    private func tellChildrenToStop() {
        for child in state.withLock({ Array($0.children.values) }) { child.process.send(SIGTERM) }
    }

    // MARK: - Schedules

    /// Queues each schedule's latest tick since the last look (`CronSchedule.dueTick`; a tick
    /// already queued by another worker is skipped by its unique key).
    private func queueScheduledTicks() {
        guard !schedules.isEmpty else { return }
        let now = Date()
        let since = state.withLock { state in
            defer { state.lastScheduleCheck = now }
            return state.lastScheduleCheck
        }
        for schedule in schedules {
            if let (tick, missed) = schedule.cron.dueTick(after: since, through: now, in: schedule.calendar) {
                if missed > 0 {
                    Diagnostics.error("roster: worker \(name): schedule \(schedule.name): \(missed + 1) of its times passed since this worker last looked "
                                      + "(\(When.text(since)) UTC\(now.timeIntervalSince(since) > 86_400 ? ", more than a day ago: the last day's counted" : "")); "
                                      + "the latest, \(When.text(tick)) UTC, runs once")
                }
                let contents: Data
                do {
                    contents = try UserFile.contents(schedule.script, atMost: UserFile.Limit.script)
                } catch {
                    Diagnostics.error("roster: worker \(name): schedule \(schedule.name): cannot read its script \(schedule.script): \(error)")
                    continue
                }
                let text: [UInt8]
                do throws(TextFileError) {
                    text = try TextFile.script(contents)
                } catch {
                    Diagnostics.error("roster: worker \(name): schedule \(schedule.name): its script \(schedule.script): \(error.description)")
                    continue
                }
                let run = NewRun(kind: "run", user: "schedule:\(schedule.name)", host: ProcessInfo.processInfo.hostName, script: schedule.script,
                                 scriptText: String(decoding: text, as: UTF8.self), arguments: schedule.arguments, inputs: [],
                                 tenant: schedule.tenant ?? "", configFile: nil, seed: Int64.random(in: 1...Int64(Int32.max)), dryRun: false)
                do throws(JournalError) {
                    // Whichever worker claims the tick runs the modules this host's script requires.
                    let modules = QueuedFile.modules(requiredBy: text, script: schedule.script)
                    if let id = try store.submit(run, files: QueuedFiles(modules: modules), notBefore: tick,
                                                 tick: ScheduleTick(schedule: schedule.name, tick: tick)) {
                        Diagnostics.error("roster: worker \(name): schedule \(schedule.name): queued run \(id) for \(When.text(tick)) UTC")
                    }
                } catch {
                    Diagnostics.error("roster: worker \(name): schedule \(schedule.name): \(error)")
                }
            }
        }
    }

    // MARK: -

    /// This program, to run each claimed run.
    static let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
}
