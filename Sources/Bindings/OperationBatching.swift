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
    /// How long the first call waits for others to join it.
    public var window: Duration
    /// The most calls in one request.
    public var maximum: Int

    public init(group: @escaping @Sendable (CheckedTable) -> String = { _ in "" }, window: Duration = .milliseconds(15), maximum: Int = 100,
                send: @escaping @Sendable ([CheckedTable], Client) async throws(VendorError) -> [JSONValue]) {
        self.group = group
        self.send = send
        self.window = window
        self.maximum = maximum
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

    private struct Waiting {
        /// Calls waiting to go together, per key.
        var open: [String: [Call]] = [:]
        /// Requests under way, per key: a call made meanwhile waits to be batched.
        var sending: [String: Int] = [:]
    }

    private let waiting = Mutex(Waiting())

    /// Sends `arguments`, alone (`alone`) when no other call under `key` is under way, as a
    /// sequential script makes them; else with whatever calls join it within the batching
    /// window, in one request.
    func submit<Client: VendorClient>(key: String, _ arguments: CheckedTable, client: Client, batching: Batching<Client>,
                                      alone: @escaping @Sendable () async throws(VendorError) -> JSONValue) async throws(VendorError) -> JSONValue {
        let goesAlone = waiting.withLock { waiting in
            guard waiting.open[key] == nil, waiting.sending[key, default: 0] == 0 else { return false }
            waiting.sending[key, default: 0] += 1
            return true
        }
        if goesAlone {
            defer { waiting.withLock { $0.sending[key, default: 1] -= 1 } }
            return try await alone()
        }
        let result = await withCheckedContinuation { (caller: CheckedContinuation<Result<JSONValue, VendorError>, Never>) in
            let call = Call(arguments: arguments, alone: alone, caller: caller)
            let (first, full) = waiting.withLock { waiting -> (Bool, [Call]?) in
                var calls = waiting.open[key] ?? []
                calls.append(call)
                if calls.count >= batching.maximum {
                    waiting.open[key] = nil
                    waiting.sending[key, default: 0] += 1
                    return (false, calls)
                }
                waiting.open[key] = calls
                return (calls.count == 1, nil)
            }
            if let full {
                Task { await self.send(full, key: key, client: client, batching: batching) }
            } else if first {
                Task {
                    try? await Task.sleep(for: batching.window)
                    let calls = self.waiting.withLock { waiting in
                        let calls = waiting.open.removeValue(forKey: key)
                        if calls != nil { waiting.sending[key, default: 0] += 1 }
                        return calls
                    }
                    if let calls { await self.send(calls, key: key, client: client, batching: batching) }
                }
            }
        }
        return try result.get()
    }

    private func send<Client: VendorClient>(_ calls: [Call], key: String, client: Client, batching: Batching<Client>) async {
        await Self.send(calls, client: client, batching: batching)
        waiting.withLock { $0.sending[key, default: 1] -= 1 }
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
