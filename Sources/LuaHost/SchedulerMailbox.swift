/// SchedulerMailbox.swift: where a run's events wait for its scheduler.
import Synchronization

/// Completions, deadlines and interrupts, posted from any thread and taken by the run's
/// scheduler between resumes: all that are waiting at once, under one lock, with a wake-up
/// only when the scheduler waits with nothing to do. (An `AsyncStream` took a lock and a
/// continuation per event: about a tenth of the extra CPU of a vendor call from Lua.)
final class SchedulerMailbox: Sendable {
    private struct State {
        var posted: [SchedulerEvent] = []
        var waiter: UnsafeContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func post(_ event: SchedulerEvent) {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            state.posted.append(event)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Moves every event posted so far into `batch` (which must be empty: its storage is
    /// kept for the next posts), waiting for one when none is. False, with none taken, when
    /// the waiting task is cancelled: it is then not woken, and its run ends by its deadline
    /// (an event too). Only the run's scheduler takes.
    func takeAll(into batch: inout [SchedulerEvent]) async -> Bool {
        while true {
            let taken = state.withLock { state -> Bool in
                guard !state.posted.isEmpty else { return false }
                swap(&state.posted, &batch)
                return true
            }
            if taken { return true }
            if Task.isCancelled { return false }
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let posted = state.withLock { state -> Bool in
                    if !state.posted.isEmpty { return true }
                    state.waiter = continuation
                    return false
                }
                if posted { continuation.resume() }
            }
        }
    }
}
