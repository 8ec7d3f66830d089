/// VendorOperation.swift: the one declaration of a vendor operation in Lua — name, docs,
/// parameters, result, effect — and the generic part every operation shares: dry runs,
/// the call record, and vendor failures raised as error objects.
import Foundation
import LuaHost
import Vendors

/// What an operation's argument check hands back: the arguments to record, and the work.
struct PreparedCall: Sendable {
    var arguments: [VendorArgument]
    /// Sends the request and converts the answer to Lua.
    var perform: @Sendable () async throws(VendorError) -> LuaValue
}

/// A vendor operation as Lua sees it.
struct VendorOperation {
    var vendor: Vendor
    var name: String
    var summary: String
    var effect: LuaEffect
    var parameters: [LuaParameter]
    var result: LuaResult
    /// Checks the call's arguments (on the Lua thread, raising argument errors) and
    /// returns the work. Never sends anything itself.
    var prepare: @Sendable (LuaCall, VendorSession) throws -> PreparedCall

    init(_ vendor: Vendor, _ name: String, _ summary: String, effect: LuaEffect, parameters: [LuaParameter] = [],
         result: LuaResult, prepare: @escaping @Sendable (LuaCall, VendorSession) throws -> PreparedCall) {
        self.vendor = vendor
        self.name = name
        self.summary = summary
        self.effect = effect
        self.parameters = parameters
        self.result = result
        self.prepare = prepare
    }

    /// The Lua function for `session`: under a dry run a write or destructive call is
    /// recorded as planned and answers `{dry_run = true}` without being sent.
    func function(in session: VendorSession) -> LuaFunction {
        let vendor = self.vendor, name = self.name, effect = self.effect, prepare = self.prepare
        let parameters = self.parameters
        return LuaFunction(name, summary, effect: effect, parameters: parameters, result: result, body: .async { call in
            try VendorText.check(call, parameters)
            let prepared = try prepare(call, session)
            @Sendable func record(_ outcome: VendorCallRecord.Outcome, since start: ContinuousClock.Instant) {
                session.record(VendorCallRecord(vendor: vendor, operation: name, effect: effect.rawValue, arguments: prepared.arguments,
                                                outcome: outcome, duration: .now - start))
            }
            if session.dryRun && effect != .read {
                record(.planned, since: .now)
                return { .table(DryRun.result) }
            }
            return {
                let start = ContinuousClock.now
                // Recorded before it is sent, so that a call the run's end cuts is reported
                // (as unknown), never dropped.
                let index = session.begin(VendorCallRecord(vendor: vendor, operation: name, effect: effect.rawValue,
                                                           arguments: prepared.arguments, outcome: VendorSession.cutShort, duration: .zero))
                do throws(VendorError) {
                    let value = try await Self.withRunDeadline(prepared.perform)
                    session.finish(index, .succeeded, duration: .now - start)
                    return value
                } catch {
                    let error = session.scrubbed(error)
                    let unknown = error.outcomeUnknown && effect != .read
                    session.finish(index, unknown ? .unknown(error.description) : .failed(error.description), duration: .now - start)
                    throw VendorErrorObject(error: error)
                }
            }
        })
    }
}

extension VendorOperation {
    /// Runs `perform` with the run's deadline visible to the HTTP layer (`VendorDeadline`).
    static func withRunDeadline(_ perform: @Sendable () async throws(VendorError) -> LuaValue) async throws(VendorError) -> LuaValue {
        let outcome: Result<LuaValue, VendorError> = await VendorDeadline.$current.withValue(LuaRunDeadline.current) {
            do throws(VendorError) { return .success(try await perform()) } catch { return .failure(error) }
        }
        return try outcome.get()
    }
}
