/// OperationBatching.swift: calls of one operation made at about the same moment — by rows
/// of an `--each` run, or by `parallel` coroutines — sent as one request where the vendor
/// also takes a list (Active911's bulk create, Activeconnect's user lists, Allthenticate's
/// invitations), each caller handed its own answer, as DataLoader batches for GraphQL.
/// Every call is still journaled on its own before the request goes.
import Foundation
import Synchronization
import Vendors

/// How an operation's calls merge into one request; declared with the operation.
public struct Batching<Client: VendorClient>: Sendable {
    /// Calls merge only when this is the same (the agency, say).
    public var group: @Sendable (CheckedTable) -> String
    /// Sends the calls' arguments in one request; returns each call's answer, in order.
    public var send: @Sendable ([CheckedTable], Client) async throws(VendorError) -> [JSONValue]
    /// The most calls in one request.
    public var maximum: Int
    /// While other calls are under way, a batch waits for more to join (looking every
    /// `poll`) until every call under way waits in a batch, or `gathering` passes: rows of
    /// an `--each` run reach the same call within moments of each other. A rate-limited
    /// operation waits longer: a request saved is worth more.
    public var poll: Duration
    public var gathering: Duration

    public init(group: @escaping @Sendable (CheckedTable) -> String = { _ in "" }, maximum: Int = 100,
                poll: Duration = .milliseconds(5), gathering: Duration = .milliseconds(100),
                send: @escaping @Sendable ([CheckedTable], Client) async throws(VendorError) -> [JSONValue]) {
        self.group = group
        self.send = send
        self.maximum = maximum
        self.poll = poll
        self.gathering = gathering
    }
}

/// The calls waiting to go, per operation, account and group, in this process.
final class OperationBatcher: Sendable {
    static let shared = OperationBatcher()

    /// One waiting call: its arguments, its own way to be sent alone, and its caller.
    private struct Call: Sendable {
        var arguments: CheckedTable
        var alone: @Sendable () async throws(VendorError) -> JSONValue
        var caller: CheckedContinuation<Result<JSONValue, VendorError>, Never>
    }

    /// Calls waiting to go together, per key.
    private let open = Mutex<[String: [Call]]>([:])

    /// Vendor calls under way in this process (any operation), and vendor sessions open
    /// (runs, rows): when a call is the only one and its run the only one, nobody can join
    /// it, and it goes at once.
    static let callsInFlight = Atomic<Int>(0)
    static let sessionsOpen = Atomic<Int>(0)

    /// Sends `arguments` alone (`alone`) at once when it is the only vendor call of the only
    /// run, as a sequential script makes them. Else it waits for others to join it (see
    /// `gather`) and goes with them in one request. A batch that reaches the maximum goes at
    /// once.
    func submit<Client: VendorClient>(key: String, _ arguments: CheckedTable, client: Client, batching: Batching<Client>,
                                      alone: @escaping @Sendable () async throws(VendorError) -> JSONValue) async throws(VendorError) -> JSONValue {
        let othersUnderWay = Self.callsInFlight.load(ordering: .relaxed) > 1 || Self.sessionsOpen.load(ordering: .relaxed) > 1
        if !othersUnderWay, open.withLock({ $0[key] == nil }) { return try await alone() }
        let result = await withCheckedContinuation { (caller: CheckedContinuation<Result<JSONValue, VendorError>, Never>) in
            let call = Call(arguments: arguments, alone: alone, caller: caller)
            let (full, first) = open.withLock { open -> ([Call]?, Bool) in
                var calls = open[key] ?? []
                calls.append(call)
                guard calls.count >= batching.maximum else {
                    open[key] = calls
                    return (nil, calls.count == 1)
                }
                open[key] = nil
                return (calls, false)
            }
            if let full {
                Task { await Self.send(full, client: client, batching: batching) }
            } else if first {
                Task { await self.gather(key, client: client, batching: batching) }
            }
        }
        return try result.get()
    }

    /// Lets calls join the open batch of `key` while more may come, then sends it. More may
    /// come while some vendor call under way is not waiting in a batch (a row still at an
    /// earlier step), up to `gathering`; once every call under way waits in one, nothing
    /// more will.
    private func gather<Client: VendorClient>(_ key: String, client: Client, batching: Batching<Client>) async {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < batching.gathering {
            try? await Task.sleep(for: batching.poll)
            let batched = open.withLock { $0.values.reduce(0) { $0 + $1.count } }
            if batched >= Self.callsInFlight.load(ordering: .relaxed) { break }
        }
        if let calls = open.withLock({ $0.removeValue(forKey: key) }) { await Self.send(calls, client: client, batching: batching) }
    }

    /// Sends `calls`: one alone as itself; several as one request. A batch the vendor
    /// refuses outright is sent again call by call, so that each caller gets its own answer
    /// or refusal; a batch whose answer never came leaves every caller's outcome unknown.
    private static func send<Client: VendorClient>(_ calls: [Call], client: Client, batching: Batching<Client>) async {
        guard calls.count > 1 else {
            for call in calls { call.caller.resume(returning: await Self.result(call.alone)) }
            return
        }
        do throws(VendorError) {
            let answers = try await batching.send(calls.map(\.arguments), client)
            guard answers.count == calls.count else {
                let error = VendorError(vendor: Client.vendor, operation: "batch", status: nil,
                                        message: "the vendor answered \(answers.count) of \(calls.count) batched calls; check them, then resume",
                                        retryable: false, outcomeUnknown: true)
                for call in calls { call.caller.resume(returning: .failure(error)) }
                return
            }
            for (call, answer) in zip(calls, answers) { call.caller.resume(returning: .success(answer)) }
        } catch where error.status != nil && !error.retryable {
            // A refusal (one bad entry refuses them all): each call alone gets its own answer.
            await withTaskGroup(of: Void.self) { group in
                for call in calls { group.addTask { call.caller.resume(returning: await Self.result(call.alone)) } }
            }
        } catch {
            for call in calls { call.caller.resume(returning: .failure(error)) }
        }
    }

    private static func result(_ work: @Sendable () async throws(VendorError) -> JSONValue) async -> Result<JSONValue, VendorError> {
        do throws(VendorError) { return .success(try await work()) } catch { return .failure(error) }
    }
}
