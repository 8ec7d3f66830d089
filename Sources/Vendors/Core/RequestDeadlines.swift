/// RequestDeadlines.swift: vendor requests' timeouts, kept by one sweep for the process.
import Synchronization

/// Cancels the requests that pass their deadline, checking them all every `tick`. A timer per
/// request (the HTTP client's own `deadline:`) was scheduled and then cancelled on its event
/// loop for every call: about a tenth of a vendor call's CPU. Here a request is an entry in a
/// table while it runs, and a timeout fires at most one tick late.
final class RequestDeadlines: Sendable {
    /// The process's sweep: 100 ms late at most, against vendor timeouts of seconds.
    static let shared = RequestDeadlines(tick: .milliseconds(100))

    /// One watched request.
    struct Watch: Sendable {
        fileprivate let id: Int
    }

    private struct Watched {
        var deadline: ContinuousClock.Instant
        var cancel: @Sendable () -> Void
    }

    private struct State {
        var watched: [Int: Watched] = [:]
        var expired: Set<Int> = []
        var nextID = 0
        var sweeping = false
    }

    private let state = Mutex(State())
    private let tick: Duration

    init(tick: Duration) {
        self.tick = tick
    }

    /// Calls `cancel` (from the sweep, at every tick until `forget`) if the request is still
    /// watched at `deadline`.
    func watch(until deadline: ContinuousClock.Instant, cancel: @escaping @Sendable () -> Void) -> Watch {
        let (id, startSweep) = state.withLock { state -> (Int, Bool) in
            state.nextID += 1
            state.watched[state.nextID] = Watched(deadline: deadline, cancel: cancel)
            defer { state.sweeping = true }
            return (state.nextID, !state.sweeping)
        }
        if startSweep { Task.detached { [self] in await sweep() } }
        return Watch(id: id)
    }

    /// Stops watching; true when the deadline passed first (the request was cancelled for it).
    func forget(_ watch: Watch) -> Bool {
        state.withLock { state in
            state.watched[watch.id] = nil
            return state.expired.remove(watch.id) != nil
        }
    }

    /// Runs while anything is watched (no timer wakes an idle process).
    private func sweep() async {
        while true {
            try? await Task.sleep(for: tick)
            let now = ContinuousClock.now
            let due = state.withLock { state -> [@Sendable () -> Void]? in
                if state.watched.isEmpty {
                    state.sweeping = false
                    return nil
                }
                // An expired request stays watched, and is cancelled again at every tick
                // until its sender lets go: should one cancel be lost, the next ends it.
                var due: [@Sendable () -> Void] = []
                for (id, watched) in state.watched where watched.deadline <= now {
                    state.expired.insert(id)
                    due.append(watched.cancel)
                }
                return due
            }
            guard let due else { return }
            for cancel in due { cancel() }
        }
    }
}
