/// WorkerWatch.swift: the run a worker starts ends with its worker. A worker killed with
/// SIGKILL cannot stop its runs; each watches that its worker is still its parent, and if
/// not, ends at once — as if killed too — before the worker's lease expires and another
/// worker resumes the run from the journal.
import Foundation
import LuaHost

enum WorkerWatch {
    /// How often a run looks at its parent (microseconds): well inside the shortest lease.
    static let interval: UInt32 = 200_000

    /// Ends this process at once when `worker` is no longer its parent.
    static func exitWhenGone(_ worker: Int32) {
        if getppid() != worker { gone() }
        let watch = Thread {
            Thread.nameCurrent("roster-watch")
            while true {
                usleep(interval)
                if getppid() != worker { gone() }
            }
        }
        watch.start()
    }

    private static func gone() {
        Diagnostics.error("roster: the worker that started this run is gone; stopping at once (the next worker resumes it from the journal)")
        _exit(ExitStatus.interrupted)
    }
}
