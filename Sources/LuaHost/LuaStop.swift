/// LuaStop.swift: stopping a run from another thread (SIGINT, SIGTERM), gracefully.

import CRosterLua
import Synchronization

/// A request to stop a run, from any thread: the script runs no further (so it starts no
/// new vendor call), the calls in flight are given `LuaLimits.drainGrace` to answer, and
/// the run ends as `.limit(.interrupted)` with its report. Attach it to one run at a time.
public final class LuaStop: Sendable {
    /// The attached run: valid while attached (it is detached before the run ends), and
    /// only its thread-safe parts are used (the kill flag, the event stream, the generation).
    private struct Target: @unchecked Sendable {
        unowned(unsafe) let run: RunContext
    }

    private let target = Mutex<Target?>(nil)
    private let requested = Atomic<Bool>(false)

    public init() {}

    /// Whether a stop was asked for.
    public var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Stops the attached run (or the next one attached).
    public func request() {
        requested.store(true, ordering: .relaxed)
        target.withLock { target in
            guard let run = target?.run else { return }
            roster_kill(run.state.state, ROSTER_LIMIT_INTERRUPTED)
            run.mailbox.post(.interrupted(run.generationNow))
        }
    }

    func attach(_ run: RunContext) {
        target.withLock { $0 = Target(run: run) }
        if isRequested { request() }
    }

    func detach() {
        target.withLock { $0 = nil }
    }
}
