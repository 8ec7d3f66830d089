/// OperationWorkersTests.swift: bindings' async work on long-lived worker tasks: reused,
/// cancelled one job at a time, and never more idle than allowed.
@testable import LuaHost
import Testing

/// Holds work until opened.
private actor Gate {
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func open() {
        isOpen = true
        for continuation in waiting { continuation.resume() }
        waiting = []
    }
}

@Suite struct OperationWorkersTests {
    /// The outcomes a mailbox received, by job id.
    func outcomes(_ mailbox: SchedulerMailbox, count: Int) async -> [Int: Result<LuaAnswer, LuaOperationFailure>] {
        var outcomes: [Int: Result<LuaAnswer, LuaOperationFailure>] = [:]
        var batch: [SchedulerEvent] = []
        while outcomes.count < count, await mailbox.takeAll(into: &batch) {
            for case .completed(let id, let result) in batch { outcomes[id] = result }
            batch.removeAll(keepingCapacity: true)
        }
        return outcomes
    }

    func number(_ outcome: Result<LuaAnswer, LuaOperationFailure>?) -> LuaValue? {
        guard case .success(.value(let value)) = outcome else { return nil }
        return value
    }

    @Test func oneWorkerRunsJobsOneAfterAnother() async {
        let workers = OperationWorkers(maximumIdle: 8)
        let mailbox = SchedulerMailbox()
        for id in 1...20 {
            workers.start(OperationJob({ .value(.number(Double(id))) }, name: "demo.id", id: id, deadline: nil, mailbox: mailbox))
            let outcome = await outcomes(mailbox, count: 1)[id]
            #expect(number(outcome) == .number(Double(id)))
            // The worker that ran it goes idle just after posting: wait for it to get there.
            while workers.idleCount == 0 { await Task.yield() }
            #expect(workers.idleCount == 1)
        }
    }

    @Test func anIdleWorkerKeepsNothingOfItsLastJob() async {
        final class Capture: Sendable {}
        let workers = OperationWorkers(maximumIdle: 8)
        let mailbox = SchedulerMailbox()
        var capture: Capture? = Capture()
        weak let captured = capture
        for id in 1...2 { // a new worker's first job, then an idle worker's
            workers.start(OperationJob({ [capture] in .value(.boolean(capture != nil)) }, name: "demo.capture", id: id, deadline: nil, mailbox: mailbox))
            #expect(number(await outcomes(mailbox, count: 1)[id]) == .boolean(true))
            while workers.idleCount == 0 { await Task.yield() }
        }
        capture = nil
        #expect(captured == nil)
    }

    @Test func theRunsDeadlineReachesTheWork() async {
        let workers = OperationWorkers(maximumIdle: 8)
        let mailbox = SchedulerMailbox()
        let deadline = ContinuousClock.now + .seconds(42)
        workers.start(OperationJob({ .value(.boolean(LuaRunDeadline.current == deadline)) }, name: "demo.deadline", id: 1, deadline: deadline, mailbox: mailbox))
        #expect(number(await outcomes(mailbox, count: 1)[1]) == .boolean(true))
    }

    @Test func cancellingAJobCancelsItsWorkAndRetiresItsWorker() async {
        let workers = OperationWorkers(maximumIdle: 8)
        let mailbox = SchedulerMailbox()
        let slow = OperationJob({
            try await Task.sleep(for: .seconds(60))
            return .value(.string("slept"))
        }, name: "demo.sleep", id: 1, deadline: nil, mailbox: mailbox)
        workers.start(slow)
        slow.cancel()
        guard case .failure(.message(let message)) = await outcomes(mailbox, count: 1)[1] else {
            Issue.record("the cancelled sleep did not fail")
            return
        }
        #expect(message == "demo.sleep: cancelled")
        // Its worker stays cancelled, so it takes no other job: the next runs on a new one.
        workers.start(OperationJob({ .value(.boolean(Task.isCancelled)) }, name: "demo.next", id: 2, deadline: nil, mailbox: mailbox))
        #expect(number(await outcomes(mailbox, count: 1)[2]) == .boolean(false))
    }

    @Test func cancellingAJobThatEndedLeavesItsWorkersNextJobAlone() async {
        let workers = OperationWorkers(maximumIdle: 8)
        let mailbox = SchedulerMailbox()
        let first = OperationJob({ .value(.number(1)) }, name: "demo.first", id: 1, deadline: nil, mailbox: mailbox)
        workers.start(first)
        _ = await outcomes(mailbox, count: 1)
        while workers.idleCount == 0 { await Task.yield() }
        let started = Gate(), gate = Gate()
        workers.start(OperationJob({
            await started.open()
            await gate.wait()
            return .value(.boolean(Task.isCancelled))
        }, name: "demo.second", id: 2, deadline: nil, mailbox: mailbox))
        await started.wait()
        #expect(workers.idleCount == 0) // the same worker runs the second job
        first.cancel()
        await gate.open()
        #expect(number(await outcomes(mailbox, count: 1)[2]) == .boolean(false))
    }

    @Test func noMoreWorkersWaitThanAllowed() async {
        let workers = OperationWorkers(maximumIdle: 3)
        let mailbox = SchedulerMailbox()
        let gate = Gate()
        for id in 1...10 {
            workers.start(OperationJob({
                await gate.wait()
                return .value(.number(Double(id)))
            }, name: "demo.wait", id: id, deadline: nil, mailbox: mailbox))
        }
        await gate.open()
        let all = await outcomes(mailbox, count: 10)
        #expect(all.count == 10)
        #expect((1...10).allSatisfy { number(all[$0]) == .number(Double($0)) })
        while workers.idleCount < 3 { await Task.yield() }
        #expect(workers.idleCount == 3)
    }
}
