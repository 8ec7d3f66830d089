/// RunContext+Scheduler.swift: drives a run's coroutines (DESIGN invariant 2).
///
/// A binding that does I/O yields its coroutine; the scheduler hands the Swift work to a
/// worker task (OperationWorkers), awaits the next completion *between* `lua_resume` calls
/// (no Lua C frame is live across an await, and no thread waits), pushes the outcome onto
/// the coroutine and resumes it. The deadline counts while waiting: it arrives as an event
/// like a completion.
import CLua
import CRosterLua

/// A Lua thread the scheduler resumes: the script's main body or a `parallel` child.
final class Coroutine {
    let id: Int
    let thread: OpaquePointer
    let reference: Int32
    /// The group this coroutine is a child of (weak: the group owns its children), and its
    /// 1-based item.
    weak var group: ParallelGroup?
    var item = 0
    /// The group it waits on, when it called `parallel.map` or `parallel.all`.
    var waitingOn: ParallelGroup?
    /// Its binding's async work, while it waits on one.
    var job: OperationJob?
    /// Whether that work changes something (a write or destructive call).
    var changes = false
    /// Its `math.random` stream while another coroutine runs; a `parallel` child starts
    /// with one of its own.
    var random: RandomStream?
    /// How many `parallel` groups it has started (each group's children get other streams).
    var groupsStarted = 0

    init(id: Int, thread: OpaquePointer, reference: Int32) {
        self.id = id
        self.thread = thread
        self.reference = reference
    }
}

/// What wakes the scheduler.
enum SchedulerEvent: Sendable {
    case completed(Int, Result<LuaAnswer, LuaOperationFailure>)
    /// The deadline of the drive with this generation passed.
    case deadline(Int)
    /// The user stopped the drive with this generation (Ctrl-C, SIGTERM).
    case interrupted(Int)
    /// The time given to the calls in flight at the end of this drive is up.
    case drainEnded(Int)
}

/// The instant by which the run whose async work this is must end: bindings read it to
/// give up at once on a wait that would pass it.
public enum LuaRunDeadline {
    @TaskLocal public static var current: ContinuousClock.Instant?
}

/// How an operation failed, as the script will see it.
enum LuaOperationFailure: Error, Sendable {
    /// An error value, raised as it is.
    case value(LuaValue)
    /// `module.function: message`, which the position of the script's call (`file:line: `)
    /// goes before: found on the Lua thread when the failure reaches the script, so that a
    /// call that succeeds never looks its caller up.
    case message(String)
}

extension RunContext {
    func makeCoroutine() -> Coroutine {
        let thread: OpaquePointer, reference: Int32
        if let idle = idleThreads.popLast() {
            (thread, reference) = idle
        } else {
            thread = roster_new_host_thread(state.L)!
            reference = luaL_ref(state.L, LuaState.registryIndex)
        }
        nextCoroutineID += 1
        let coroutine = Coroutine(id: nextCoroutineID, thread: thread, reference: reference)
        coroutines[coroutine.id] = coroutine
        return coroutine
    }

    /// Forgets every coroutine and pending step of the last drive (a session's next
    /// statement starts clean).
    func resetScheduler() {
        for coroutine in Array(coroutines.values) { release(coroutine) }
        ready.removeAll()
        readyHead = 0
        finished = nil
        pendingSuspension = nil
        givesThreadBack = false
        randomOwner = nil
    }

    private func release(_ coroutine: Coroutine, reusable: Bool = false) {
        coroutine.job?.cancel()
        coroutine.job = nil
        coroutines[coroutine.id] = nil
        // A thread whose function returned can run another (Lua resumes a thread that is
        // not suspended and holds a function); one that failed or was cut off cannot.
        if reusable, lua_status(coroutine.thread) == LUA_OK {
            lua_settop(coroutine.thread, 0)
            idleThreads.append((coroutine.thread, coroutine.reference))
        } else {
            luaL_unref(state.L, LuaState.registryIndex, coroutine.reference)
        }
    }

    func makeReady(_ coroutine: Coroutine, arguments: Int32) {
        ready.append((coroutine, arguments))
    }

    /// Runs until the main coroutine ends or a limit is hit; `main` starts with the
    /// `arguments` values on top of its stack (after its function).
    func drive(_ main: Coroutine, arguments: Int32 = 0) async -> LuaRunOutcome {
        generation += 1
        let generation = self.generation
        makeReady(main, arguments: arguments)
        let mailbox = self.mailbox
        let timeout = limits.timeout
        driveDeadline = .now + timeout
        let deadline = RunTimer(after: timeout) { mailbox.post(.deadline(generation)) }
        defer { deadline.cancel() }

        while finished == nil {
            if readyHead < ready.count {
                let (coroutine, arguments) = ready[readyHead]
                readyHead += 1
                if readyHead == ready.count {
                    ready.removeAll(keepingCapacity: true)
                    readyHead = 0
                }
                step(coroutine, main: main, arguments: arguments)
                if givesThreadBack {
                    givesThreadBack = false
                    await Task.yield()
                }
                continue
            }
            // Killed from another thread (an interrupt) while nothing runs: no hook will see it.
            if let kind = state.limitHit {
                finished = .limit(kind, message: limitMessage(kind))
                break
            }
            guard let event = await nextEvent() else { break }
            switch event {
            case .deadline(let current) where current == generation:
                roster_kill(state.state, ROSTER_LIMIT_TIMEOUT)
                finished = .limit(.timeout, message: limits.message(for: .timeout) + waitingNote())
            case .interrupted(let current) where current == generation:
                roster_kill(state.state, ROSTER_LIMIT_INTERRUPTED)
                finished = .limit(.interrupted, message: limits.message(for: .interrupted))
            case .deadline, .interrupted, .drainEnded:
                continue // from an earlier statement of a session
            case .completed(let id, let result):
                guard let coroutine = coroutines[id] else { // cancelled meanwhile
                    orphanedChanges[id] = nil
                    continue
                }
                coroutine.job = nil
                let thread = coroutine.thread
                lua_checkstack(thread, 3)
                switch result {
                case .success(let value):
                    lua_pushboolean(thread, 1)
                    LuaState.push(thread, value)
                case .failure(.value(let value)):
                    lua_pushboolean(thread, 0)
                    LuaState.push(thread, value)
                case .failure(.message(let message)):
                    lua_pushboolean(thread, 0)
                    // The coroutine is suspended in the binding: level 1 is the script's call.
                    luaL_where(thread, 1)
                    LuaState.pushString(thread, message)
                    lua_concat(thread, 2)
                }
                makeReady(coroutine, arguments: 2)
            }
        }
        await drainInFlight(generation: generation)
        for coroutine in coroutines.values { coroutine.job?.cancel() }
        for job in orphanedChanges.values { job.cancel() }
        orphanedChanges.removeAll()
        return finished ?? .hostError(message: "the scheduler stopped with work left")
    }

    /// What the run was waiting for when its deadline came with nothing running, for the
    /// timeout's message: `; it was waiting for encore.get_user at offboard.lua:12`, or with
    /// several calls out, how many and the first.
    private func waitingNote() -> String {
        let waiting = coroutines.values.filter { $0.job != nil }
        guard let first = waiting.min(by: { $0.id < $1.id }), let name = first.job?.name else { return "" }
        // The coroutine is suspended in the binding: level 1 is the script's call.
        lua_checkstack(first.thread, 1)
        luaL_where(first.thread, 1)
        let place = LuaState.bytes(first.thread, at: -1).map { String(decoding: $0, as: UTF8.self) } ?? ""
        roster_pop(first.thread, 1)
        let at = place.hasSuffix(": ") ? " at " + place.dropLast(2) : ""
        return waiting.count == 1 ? "; it was waiting for \(name)\(at)"
            : "; \(waiting.count) calls were waiting, the first \(name)\(at)"
    }

    /// The drive has ended: the changes still in flight (write calls that may have reached
    /// the vendor) get `limits.drainGrace` to finish, so that their outcome is recorded
    /// rather than cut; what is left then is cancelled (reads at once).
    private func drainInFlight(generation: Int) async {
        var pending = Set(coroutines.values.filter { $0.job != nil && $0.changes }.map(\.id))
            .union(orphanedChanges.keys)
        guard !pending.isEmpty else { return }
        let mailbox = self.mailbox, grace = limits.drainGrace
        let timer = RunTimer(after: grace) { mailbox.post(.drainEnded(generation)) }
        defer { timer.cancel() }
        while !pending.isEmpty, let event = await nextEvent() {
            switch event {
            case .completed(let id, _):
                pending.remove(id)
                coroutines[id]?.job = nil
                orphanedChanges[id] = nil
            case .drainEnded(let current) where current == generation:
                return
            default:
                continue
            }
        }
    }

    /// The next event, waiting for one (events of an earlier drive included, as they came);
    /// nil when the drive's task was cancelled.
    private func nextEvent() async -> SchedulerEvent? {
        if receivedHead == received.count {
            var batch: [SchedulerEvent] = []
            swap(&batch, &received)
            batch.removeAll(keepingCapacity: true)
            receivedHead = 0
            let taken = await mailbox.takeAll(into: &batch)
            received = batch
            guard taken else { return nil }
        }
        defer { receivedHead += 1 }
        return received[receivedHead]
    }

    /// Resumes one coroutine and acts on how it stopped.
    private func step(_ coroutine: Coroutine, main: Coroutine, arguments: Int32) {
        if randomOwner !== coroutine { takeRandomStream(for: coroutine) }
        var results: Int32 = 0
        let status = roster_resume(coroutine.thread, nil, arguments, &results)
        if let kind = state.limitHit {
            finished = limitOutcome(kind, stopped: coroutine.thread)
            return
        }
        switch status {
        case LUA_YIELD:
            // The yielding C frame keeps what it needs on its stack (coroutine.resume keeps
            // the inner coroutine there); the outcome is pushed on top of it.
            if roster_take_suspension(state.state) != 0, let suspension = pendingSuspension {
                pendingSuspension = nil
                start(suspension, for: coroutine)
            } else if roster_take_time_slice(state.state) != 0 {
                // It computed for a whole slice: let other runs have this thread first.
                makeReady(coroutine, arguments: 0)
                givesThreadBack = true
            } else {
                LuaState.pushString(coroutine.thread, RunContext.position(coroutine.thread)
                    + "attempt to yield from outside a coroutine")
                fail(coroutine, main: main, status: LUA_ERRRUN)
            }
        case LUA_OK:
            complete(coroutine, main: main, results: results)
        default:
            fail(coroutine, main: main, status: status)
        }
    }

    private func start(_ suspension: Suspension, for coroutine: Coroutine) {
        switch suspension {
        case .operation(let operation, let name, let changes):
            coroutine.changes = changes
            // Off the Lua threads; its outcome comes back as an event.
            let job = OperationJob(operation, name: name, id: coroutine.id, deadline: driveDeadline, mailbox: mailbox)
            OperationWorkers.shared.start(job)
            coroutine.job = job
        case .group(let request):
            let group = ParallelGroup(request, parent: coroutine, results: makeResultsTable(request.count))
            // The parent has just run, so the state holds its stream.
            coroutine.groupsStarted += 1
            group.randomBase = RandomStream.read(state.state)
                .map { RandomStream(forGroup: coroutine.groupsStarted, of: $0) }
            coroutine.waitingOn = group
            spawnChildren(of: group)
        }
    }

    /// The Lua error value for a Swift error a binding threw (at once or from async work):
    /// an error object as it is, a message as `file:line: module.function: message`.
    static func errorValue(_ error: any Error, name: String, location: String) -> LuaValue {
        switch failure(error, name: name) {
        case .value(let value): value
        case .message(let message): .string(LuaString(location + message))
        }
    }

    /// How `error`, thrown by binding `name`, reaches the script (its position aside).
    static func failure(_ error: any Error, name: String) -> LuaOperationFailure {
        switch error {
        case let error as LuaErrorConvertible: .value(error.luaErrorValue)
        case let error as LuaError:
            switch error.payload {
            case .message(let message): .message("\(name): \(message)")
            case .value(let value): .value(value)
            }
        case is CancellationError: .message("\(name): cancelled")
        default: .message("\(name): \(error)")
        }
    }

    private func complete(_ coroutine: Coroutine, main: Coroutine, results: Int32) {
        defer { release(coroutine, reusable: true) }
        if coroutine === main {
            guard keepsReturned else {
                finished = .success
                return
            }
            let thread = coroutine.thread
            let first = lua_gettop(thread) - results + 1
            returned = (0..<results).map { offset in
                do throws(LuaConversionError) {
                    return try LuaState.value(thread, at: first + offset)
                } catch {
                    let why = error.description.hasPrefix("cannot pass ") ? String(error.description.dropFirst(12)) : error.description
                    return .string(LuaString("(not reportable: \(why))"))
                }
            }
            finished = .success
            return
        }
        guard let group = coroutine.group else { return }
        if results > 0 {
            let thread = coroutine.thread
            lua_checkstack(thread, 2)
            lua_rawgeti(thread, LuaState.registryIndex, lua_Integer(group.resultsReference))
            lua_pushvalue(thread, -1 - results) // the first result
            lua_rawseti(thread, -2, lua_Integer(coroutine.item))
        }
        group.running -= 1
        group.children[coroutine.id] = nil
        spawnChildren(of: group)
    }

    private func fail(_ coroutine: Coroutine, main: Coroutine, status: Int32) {
        defer { release(coroutine) }
        if coroutine === main {
            finished = failureOutcome(coroutine.thread, status: status)
            return
        }
        guard let group = coroutine.group, let parent = group.parent else { return }
        group.children[coroutine.id] = nil
        finishGroup(group, failedItem: coroutine.item, error: coroutine.thread)
        makeReady(parent, arguments: 2)
    }

    /// Starts children up to the group's concurrency; resumes the parent when all are done.
    func spawnChildren(of group: ParallelGroup) {
        while group.running < group.concurrency && group.nextItem <= group.count {
            let item = group.nextItem
            group.nextItem += 1
            let child = makeCoroutine()
            child.group = group
            child.item = item
            child.random = group.randomBase.map { RandomStream(forItem: item, of: $0) }
            group.children[child.id] = child
            group.running += 1
            makeReady(child, arguments: group.pushCall(item: item, onto: child.thread))
        }
        if group.running == 0, let parent = group.parent {
            finishGroup(group, failedItem: nil, error: nil)
            makeReady(parent, arguments: 2)
        }
    }

    /// Pushes (true, results) or (false, error naming the item) onto the group's parent,
    /// and cancels the children still running.
    private func finishGroup(_ group: ParallelGroup, failedItem: Int?, error thread: OpaquePointer?) {
        guard let parent = group.parent else { return }
        for child in group.children.values { cancel(child) }
        group.children = [:]
        let target = parent.thread
        lua_checkstack(target, 4)
        if let failedItem, let thread {
            lua_pushboolean(target, 0)
            lua_xmove(thread, target, 1)
            if let bytes = LuaState.bytes(target, at: -1) {
                roster_pop(target, 1)
                LuaState.pushString(target, "\(group.name): item #\(failedItem) failed: " + String(decoding: bytes, as: UTF8.self))
            } else if lua_type(target, -1) == LUA_TTABLE {
                LuaState.pushString(target, "item")
                lua_pushinteger(target, lua_Integer(failedItem))
                lua_rawset(target, -3)
            }
        } else {
            lua_pushboolean(target, 1)
            lua_rawgeti(target, LuaState.registryIndex, lua_Integer(group.resultsReference))
        }
        group.release(state.L)
        group.parent = nil
        parent.waitingOn = nil
    }

    /// Stops a coroutine: cancels its work and its own children, and closes its variables.
    /// A change it has sent is not cut: it goes on to its answer (`orphanedChanges`).
    private func cancel(_ coroutine: Coroutine) {
        if coroutine.changes, let job = coroutine.job {
            orphanedChanges[coroutine.id] = job
            coroutine.job = nil
        }
        if let group = coroutine.waitingOn {
            for child in group.children.values { cancel(child) }
            group.children = [:]
            group.release(state.L)
            group.parent = nil
        }
        roster_reset(coroutine.thread)
        release(coroutine)
    }

    /// Puts `coroutine`'s `math.random` stream into the state, keeping the stream of the
    /// coroutine that ran before it.
    private func takeRandomStream(for coroutine: Coroutine) {
        if let owner = randomOwner { owner.random = RandomStream.read(state.state) }
        if let stream = coroutine.random { stream.write(state.state) }
        randomOwner = coroutine
    }

    private func makeResultsTable(_ count: Int) -> Int32 {
        lua_createtable(state.L, Int32(clamping: count), 0)
        return luaL_ref(state.L, LuaState.registryIndex)
    }
}
