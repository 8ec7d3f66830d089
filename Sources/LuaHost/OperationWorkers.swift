/// OperationWorkers.swift: the long-lived tasks that run bindings' async work.
import Synchronization

/// Runs bindings' async work (a vendor call, a sleep) on tasks that outlive one call: a task
/// made per call paid for its creation, its first allocator slab (a call's async frames do
/// not fit the task's own) and its destruction, about a fifth of what a vendor call from Lua
/// cost over the client alone. A job goes to an idle worker when there is one, else to a new
/// worker; a worker waits for its next job unless enough are idle already.
final class OperationWorkers: Sendable {
    /// The process's workers, shared by every run.
    static let shared = OperationWorkers(maximumIdle: 256)

    /// One worker, read and written under the pool's lock: its task, cancelled only to cancel
    /// the job it is running, and its first job until it takes it.
    fileprivate final class Worker: @unchecked Sendable {
        var task: Task<Void, Never>?
        var first: OperationJob?
    }

    private struct State {
        var idle: [(worker: Worker, next: UnsafeContinuation<OperationJob?, Never>)] = []
    }

    private let state = Mutex(State())
    private let maximumIdle: Int

    init(maximumIdle: Int) {
        self.maximumIdle = maximumIdle
    }

    /// Starts `job` now, on an idle worker or a new one.
    func start(_ job: OperationJob) {
        job.pool = self
        let waiting = state.withLock { state -> UnsafeContinuation<OperationJob?, Never>? in
            if let (worker, next) = state.idle.popLast() {
                job.runningOn = worker
                return next
            }
            let worker = Worker()
            job.runningOn = worker
            worker.first = job
            // Made under the lock, so that `cancel` finds the task as soon as it finds the job.
            // The task holds no job: a worker keeps nothing of a job that has ended.
            worker.task = Task.detached { [self] in await self.work(as: worker) }
            return nil
        }
        waiting?.resume(returning: job)
    }

    /// Cancels `job` if it is still running (its worker then retires). A job that has ended
    /// is left alone: its worker may be running another.
    func cancel(_ job: OperationJob) {
        state.withLock { _ in
            job.runningOn?.task?.cancel()
            job.runningOn = nil
        }
    }

    /// How many workers wait for a job (for tests).
    var idleCount: Int { state.withLock { $0.idle.count } }

    private func work(as worker: Worker) async {
        var next = state.withLock { _ in worker.first.take() }
        // No binding outlives a job's turn: an idle worker holds none.
        while next != nil {
            await complete(next.take()!)
            // A cancelled worker's task stays cancelled: it takes no other job.
            if Task.isCancelled { break }
            next = await nextJob(for: worker)
        }
        state.withLock { _ in worker.task = nil }
    }

    private func complete(_ job: OperationJob) async {
        let outcome = await job.run()
        // The job stops counting as running before its outcome is posted, so that a run that
        // cancels it on seeing the outcome cannot cancel this worker's next job.
        state.withLock { _ in job.runningOn = nil }
        job.post(outcome)
    }

    private func nextJob(for worker: Worker) async -> OperationJob? {
        await withUnsafeContinuation { (next: UnsafeContinuation<OperationJob?, Never>) in
            let retire = state.withLock { state -> Bool in
                guard state.idle.count < maximumIdle else { return true }
                state.idle.append((worker, next))
                return false
            }
            if retire { next.resume(returning: nil) }
        }
    }
}

/// A binding's async work as one run hands it to the workers: its outcome comes back to the
/// run's scheduler as an event.
final class OperationJob: @unchecked Sendable {
    /// The worker running it, while it runs: read and written under the pool's lock only.
    fileprivate var runningOn: OperationWorkers.Worker?
    /// The pool it was started on.
    fileprivate var pool: OperationWorkers?
    private let operation: LuaOperation
    /// The binding it runs for (`encore.get_user`).
    let name: String
    private let id: Int
    private let deadline: ContinuousClock.Instant?
    private let mailbox: SchedulerMailbox

    init(_ operation: @escaping LuaOperation, name: String, id: Int, deadline: ContinuousClock.Instant?, mailbox: SchedulerMailbox) {
        self.operation = operation
        self.name = name
        self.id = id
        self.deadline = deadline
        self.mailbox = mailbox
    }

    fileprivate func run() async -> Result<LuaAnswer, LuaOperationFailure> {
        do {
            return .success(try await LuaRunDeadline.$current.withValue(deadline) { try await operation() })
        } catch {
            return .failure(RunContext.failure(error, name: name))
        }
    }

    /// Cancels the work if it is still running; its outcome (cancelled, most likely) still
    /// comes back.
    func cancel() { pool?.cancel(self) }

    fileprivate func post(_ outcome: Result<LuaAnswer, LuaOperationFailure>) {
        mailbox.post(.completed(id, outcome))
    }
}
