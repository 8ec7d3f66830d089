/// RunTimer.swift: the one-shot timers a run's scheduler sets (its deadline, the drain).

/// Calls `fire` once after a delay unless cancelled first. It waits in steps of at most a
/// second: a task sleeping toward a deadline and cancelled early stays allocated until
/// that deadline (about 800 bytes), and a run row by row sets one timer per row with the
/// run's timeout, so a 20,000-row run of vendor calls kept a minute's worth of rows'
/// timers, about 10 MB at its peak. Its waits run on the global executor, as the run's vendor
/// work does: on a loaded machine the deadline is late as the work is, not ahead of it.
struct RunTimer: Sendable {
    /// The longest single wait.
    static let step = Duration.seconds(1)

    private let task: Task<Void, Never>

    init(after delay: Duration, _ fire: @escaping @Sendable () -> Void) {
        let deadline = ContinuousClock.now + delay
        // Not on the run's executor (the Lua threads), which the task would inherit.
        task = Task(executorPreference: globalConcurrentExecutor) {
            while !Task.isCancelled {
                let left = deadline - .now
                guard left > .zero else { return fire() }
                try? await Task.sleep(for: min(left, Self.step))
            }
        }
    }

    /// Stops the timer if it has not fired.
    func cancel() { task.cancel() }
}
