/// LuaExecutor.swift: the small pool of big-stack threads that Lua code runs on.
import Foundation

/// A task executor over a few threads with large stacks. Runs prefer it (task executor
/// preference), so every `lua_resume` happens here: Lua's C recursion limit overflows a
/// 256 KiB stack, and these threads have 8 MiB. While a run awaits I/O its thread serves
/// other runs; no thread ever waits for a run's I/O. A thread starts only when a job finds
/// none waiting, so a short script starts one, not one per core.
public final class LuaExecutor: TaskExecutor, @unchecked Sendable {
    /// The process-wide pool: up to one thread per core, at least two.
    public static let shared = LuaExecutor(threads: max(2, ProcessInfo.processInfo.activeProcessorCount))

    /// Stack size of each thread.
    public static let stackSize = 8 << 20

    /// The most threads the pool starts.
    public let maximumThreads: Int
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    /// Threads started, and those of them waiting for a job (all under `condition`).
    private var started = 0
    private var waiting = 0

    /// A pool of at most `threads` threads, started as jobs need them; they live as long as
    /// the process.
    public init(threads: Int) {
        maximumThreads = max(1, threads)
    }

    /// How many threads have started so far.
    public var startedThreads: Int {
        condition.lock()
        defer { condition.unlock() }
        return started
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        // More jobs waiting than threads waiting for them: another thread, while there may be one.
        let startsThread = jobs.count - head > waiting && started < maximumThreads
        if startsThread { started += 1 }
        let number = started - 1
        condition.signal()
        condition.unlock()
        if startsThread { startThread(number: number) }
    }

    private func startThread(number: Int) {
        let thread = Thread { [unowned self] in
            Thread.nameCurrent("roster-lua-\(number)")
            self.work()
        }
        thread.stackSize = Self.stackSize
        thread.start()
    }

    private func work() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while head == jobs.count {
                waiting += 1
                condition.wait()
                waiting -= 1
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 1024 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}

extension Thread {
    /// Names the calling thread for `ps -L` and `top -H` (Linux keeps 15 bytes). Through
    /// /proc: Foundation's `Thread.name` drops a name set before the starting thread has
    /// recorded the new one's handle, which a new thread can outrun, and pthread_setname_np
    /// is not visible to Swift. A plain write: Foundation's file writing would map pages
    /// that a short run's peak memory then counts.
    public static func nameCurrent(_ name: String) {
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        var bytes = Array(name.utf8.prefix(15))
        _ = write(descriptor, &bytes, bytes.count)
        close(descriptor)
    }
}
