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

/// Text bound for a vendor must be valid UTF-8 without NUL bytes: anything else would be
/// repaired into U+FFFD or stored as a NUL in a vendor record, silently.
enum VendorText {
    /// Raises an argument error naming the argument (and field or item) that holds bad text.
    static func check(_ call: LuaCall, _ parameters: [LuaParameter]) throws {
        guard call.count > 0 else { return }
        for index in 1...call.count where !call.isNil(index) {
            guard let problem = problem(in: try call.value(index)) else { continue }
            let name = Int(index) <= parameters.count ? " (\(parameters[Int(index) - 1].name))" : ""
            throw LuaError("argument #\(index)\(name) \(problem)")
        }
    }

    /// What is wrong with the first bad string in `value`, with its path: `field email holds
    /// a NUL byte`, `item 2 is not valid UTF-8`.
    static func problem(in value: LuaValue) -> String? {
        switch value {
        case .string(let string): return problem(in: string)
        case .table(let table):
            for (offset, element) in table.sequence.enumerated() {
                if let problem = problem(in: element) { return "item \(offset + 1) " + problem }
            }
            for (key, element) in table.fields {
                if case .string(let name) = key, let problem = problem(in: name) { return "has a key that " + problem }
                if let problem = problem(in: element) { return "field \(key.text ?? key.typeName) " + problem }
            }
            return nil
        default: return nil
        }
    }

    private static func problem(in string: LuaString) -> String? {
        if string.bytes.contains(0) { return "holds a NUL byte" }
        if String(validating: string.bytes, as: UTF8.self) == nil { return "is not valid UTF-8" }
        return nil
    }
}

/// What a planned change answers.
enum DryRun {
    /// `{dry_run = true}`, printing as "(dry run)" and concatenating as it.
    static let result = LuaTable(["dry_run": true], metatable: metatable.name)

    static let metatable = LuaMetatable("roster.dry_run", metamethods: [
        LuaFunction("__tostring", "Reads \"(dry run)\".", parameters: [LuaParameter("result", .any, doc: "a dry-run result")]) { _ in
            "(dry run)"
        },
        LuaFunction("__concat", "Concatenates as \"(dry run)\".", parameters: [
            LuaParameter("a", .any, doc: "left operand"), LuaParameter("b", .any, doc: "right operand"),
        ]) { call in
            let left = call.isDryRun(1) ? "(dry run)" : (try call.value(1)).concatenationText
            let right = call.isDryRun(2) ? "(dry run)" : (try call.value(2)).concatenationText
            return .string(LuaString(left + right))
        },
    ])
}

extension LuaTable {
    init(_ fields: KeyValuePairs<String, LuaValue>, metatable: String) {
        self.init(fields)
        self.metatable = metatable
    }
}

extension LuaCall {
    /// Whether argument `index` is a dry-run result.
    fileprivate func isDryRun(_ index: Int32) -> Bool {
        guard case .table(let table)? = try? value(index) else { return false }
        return table["dry_run"] == true
    }
}

extension LuaValue {
    /// How `..` shows a string or number.
    fileprivate var concatenationText: String {
        switch self {
        case .string(let string): string.text
        case .integer(let value): String(value)
        case .number(let value): String(value)
        default: typeName
        }
    }
}

/// A vendor failure as the script sees it: a table with `vendor`, `operation`, `status`,
/// `code`, `message` and `retryable`, whose `tostring` is one readable line. `pcall`
/// catches it like any error.
struct VendorErrorObject: LuaErrorConvertible {
    var error: VendorError

    var luaErrorValue: LuaValue {
        var table = LuaTable([
            "vendor": .string(LuaString(error.vendor.rawValue)),
            "operation": .string(LuaString(error.operation)),
            "status": error.status.map { .integer(Int64($0)) } ?? .nil,
            "code": error.code.map { .string(LuaString($0)) } ?? .nil,
            "message": .string(LuaString(error.message)),
            "retryable": .boolean(error.retryable),
            // It may have reached the vendor: check before sending it again.
            "outcome_unknown": .boolean(error.outcomeUnknown),
        ])
        table.metatable = Self.metatable.name
        return .table(table)
    }

    static let metatable = LuaMetatable("roster.vendor_error", metamethods: [
        LuaFunction("__tostring", "One line: `encore.get_user: HTTP 404 (code 128): User not found`.", parameters: [
            LuaParameter("error", .table, doc: "a vendor error object"),
        ]) { call in
            let text = { (key: String) throws -> String? in try call.field(1, key).text }
            var line = "\(try text("vendor") ?? "?").\(try text("operation") ?? "?"): "
            if let status = try call.field(1, "status").integerValue { line += "HTTP \(status)" } else { line += "no response" }
            if let code = try text("code") { line += " (code \(code))" }
            line += ": " + (try text("message") ?? "")
            return .string(LuaString(line))
        },
    ])
}
