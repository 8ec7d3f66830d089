/// WorkerWatch.swift: the run a worker starts ends with its worker. A worker killed with
/// SIGKILL cannot stop its runs; each watches that its worker is still its parent, and if
/// not, ends at once — as if killed too — before the worker's lease expires and another
/// worker resumes the run from the journal.
import Foundation

enum WorkerWatch {
    /// How often a run looks at its parent (microseconds): well inside the shortest lease.
    static let interval: UInt32 = 200_000

    /// Ends this process at once when `worker` is no longer its parent.
    static func exitWhenGone(_ worker: Int32) {
        if getppid() != worker { gone() }
        let watch = Thread {
            // Through /proc, from inside: Foundation's `Thread.name` drops a name set before start.
            try? "roster-watch".write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
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
