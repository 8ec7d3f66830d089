/// VendorOperation.swift: the one declaration of a vendor operation in Lua — name, docs,
/// parameters and their forms, result form, effect, change semantics — and the generic
/// part every operation shares: argument checks, dry runs, the call record (derived from
/// the declaration), answers written by the result's form, failures raised as error objects.
import Foundation
import LuaHost
import Vendors

/// The work an operation's check hands back: given the vendor's client, it sends the
/// request and returns the answer as JSON, which the declared result form writes into Lua.
public typealias VendorWork<Client> = @Sendable (Client) async throws(VendorError) -> JSONValue

/// What a change means beyond its arguments, declared with the operation for the journal,
/// plans and undo.
public struct ChangeSemantics: Sendable {
    /// The arguments (or `argument.field`) that identify the change: two calls with the
    /// same values make the same change (the idempotency key). Empty for reads.
    public var identity: [String]
    /// Vendor refusals that mean the target is already in the state asked for.
    public var already: [AlreadyAnswer]
    /// The operation that undoes this one, when there is one.
    public var inverse: String?

    public init(identity: [String] = [], already: [AlreadyAnswer] = [], inverse: String? = nil) {
        self.identity = identity
        self.already = already
        self.inverse = inverse
    }

    /// A read: no change.
    public static let read = ChangeSemantics()
}

/// A vendor answer that means "already done": its status, and its code or a phrase of its
/// message.
public struct AlreadyAnswer: Sendable {
    public var status: Int
    public var code: String?
    public var messageContains: String?

    public init(status: Int, code: String? = nil, messageContains: String? = nil) {
        self.status = status
        self.code = code
        self.messageContains = messageContains
    }

    public func matches(_ error: VendorError) -> Bool {
        error.status == status && (code == nil || error.code == code)
            && (messageContains.map { error.message.localizedCaseInsensitiveContains($0) } ?? true)
    }
}

/// A vendor operation as Lua sees it, declared once.
public struct VendorOperation: Sendable {
    public var vendor: Vendor
    public var name: String
    public var summary: String
    public var effect: LuaEffect
    public var parameters: [LuaParameter]
    public var result: LuaResult
    public var semantics: ChangeSemantics
    /// Turns checked arguments into work for this session's client (throwing when the
    /// tenant does not configure the vendor). Never sends anything itself.
    let start: @Sendable (CheckedTable, VendorSession) throws -> @Sendable () async throws(VendorError) -> JSONValue

    /// `prepare` reads the checked arguments (raising what the declaration cannot say,
    /// such as "email_id or email") and returns the work for `Client`.
    public init<Client: VendorClient>(
        _ client: Client.Type, _ name: String, _ summary: String, effect: LuaEffect, parameters: [LuaParameter] = [],
        result: LuaResult, semantics: ChangeSemantics = .read,
        prepare: @escaping @Sendable (CheckedTable) throws -> VendorWork<Client>
    ) {
        self.vendor = Client.vendor
        self.name = name
        self.summary = summary
        self.effect = effect
        self.parameters = parameters
        self.result = result
        self.semantics = semantics
        start = { arguments, session in
            let work = try prepare(arguments)
            let client = try session.client(Client.self)
            return { () async throws(VendorError) in try await work(client) }
        }
    }

    /// The Lua function for `session`: under a dry run a write or destructive call is
    /// recorded as planned and answers `{dry_run = true}` without being sent.
    func function(in session: VendorSession) -> LuaFunction {
        let operation = self
        return LuaFunction(name, summary, effect: effect, parameters: parameters, result: result, body: .async { call in
            try VendorText.check(call, operation.parameters)
            let arguments = try operation.checkedArguments(call)
            let work = try operation.start(arguments, session)
            let recorded = operation.recorded(arguments)
            let effect = operation.effect
            @Sendable func record(_ outcome: VendorCallRecord.Outcome) -> VendorCallRecord {
                VendorCallRecord(vendor: operation.vendor, operation: operation.name, effect: effect.rawValue, arguments: recorded,
                                 outcome: outcome, duration: .zero)
            }
            if session.dryRun && effect != .read {
                session.record(record(.planned))
                return { .table(DryRun.result) }
            }
            return {
                let start = ContinuousClock.now
                // Recorded before it is sent, so that a call the run's end cuts is reported
                // (as unknown), never dropped.
                let index = session.begin(record(VendorSession.cutShort))
                do throws(VendorError) {
                    let answer = try await Self.withRunDeadline(work)
                    let value = try operation.lua(answer)
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

    /// The work for `arguments` (by parameter name, already valid), without Lua: for
    /// benchmarks of the vendor path alone.
    @_spi(Benchmarks) public func work(_ arguments: LuaTable, in session: VendorSession) throws -> @Sendable () async throws(VendorError) -> JSONValue {
        try start(CheckedTable(arguments), session)
    }

    /// Each given argument by its parameter's name, checked against its declared form.
    func checkedArguments(_ call: LuaCall) throws -> CheckedTable {
        var table = LuaTable()
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            guard index <= call.count, !call.isNil(index) else { continue }
            let value = try call.value(index)
            table[parameter.name] = try parameter.form.map { form throws(LuaError) in
                try form.check(value, label: "argument #\(index) (\(parameter.name))")
            } ?? value
        }
        return CheckedTable(table)
    }

    /// The record's arguments: as the script gave them, in declaration order, redacted
    /// where the declaration says so.
    func recorded(_ arguments: CheckedTable) -> [VendorArgument] {
        parameters.compactMap { parameter in
            let value = arguments[parameter.name]
            guard value != .nil else { return nil }
            return VendorArgument(parameter.name, (parameter.form ?? .any).recorded(value, redacted: parameter.redacted))
        }
    }

    /// The answer written into Lua by the declared result form.
    func lua(_ answer: JSONValue) throws(VendorError) -> LuaValue {
        do throws(WireMismatch) {
            return try (result.form ?? .any).lua(fromWire: answer)
        } catch {
            throw VendorError(vendor: vendor, operation: name, status: 200,
                              message: "unexpected answer: \(error.description)", retryable: false)
        }
    }

    /// Runs `perform` with the run's deadline visible to the HTTP layer (`VendorDeadline`).
    static func withRunDeadline(_ perform: @Sendable () async throws(VendorError) -> JSONValue) async throws(VendorError) -> JSONValue {
        let outcome: Result<JSONValue, VendorError> = await VendorDeadline.$current.withValue(LuaRunDeadline.current) {
            do throws(VendorError) { return .success(try await perform()) } catch { return .failure(error) }
        }
        return try outcome.get()
    }
}

/// Results many operations share.
public enum VendorResults {
    /// `{ok = true}`: what an operation with no answer returns.
    public static let ok: LuaResult = {
        var result = LuaResult(.shape(LuaShape([LuaField("ok", .boolean, optional: false, doc: "true")])), doc: "done")
        result.type = "{ok: true}"
        return result
    }()
    public static let okAnswer = JSONValue.object(["ok": .bool(true)])
}
