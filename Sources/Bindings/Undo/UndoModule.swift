/// UndoModule.swift: `undo.unchanged`, the one host function an undo's generated script
/// needs beyond the vendor modules: whether a change's target is still as the change left
/// it, read live as its operation declares (`Reversal.Check.read`). The inverse calls
/// themselves are ordinary vendor calls in the script, so they are planned, confirmed,
/// journaled and resumed like any other change.
import Foundation
import LuaHost
import Vendors

/// A change to undo, as an undo's script passes it to `undo.unchanged` (JSON).
public struct UndoneChange: Codable, Sendable, Equatable {
    /// The journal's id of the change.
    public var change: Int64
    public var vendor: String
    public var operation: String
    public var arguments: JSONValue
    public var answer: JSONValue
    public var before: JSONValue?
    /// The state it left, as its declared read gives it.
    public var left: JSONValue
    /// The first call that undoes it.
    public var inverse: InverseCallRecord

    /// An inverse call as JSON.
    public struct InverseCallRecord: Codable, Sendable, Equatable {
        public var operation: String
        public var arguments: [String: JSONValue]
    }

    public init(change: Int64, vendor: String, operation: String, facts: ChangeFacts, left: JSONValue, inverse: InverseCall) {
        self.change = change
        self.vendor = vendor
        self.operation = operation
        arguments = facts.arguments
        answer = facts.answer
        before = facts.before
        self.left = left
        self.inverse = InverseCallRecord(operation: inverse.operation, arguments: inverse.arguments)
    }

    var facts: ChangeFacts { ChangeFacts(arguments: arguments, answer: answer, before: before) }
}

/// A change sent whose answer never came, as an undo's script passes it to `undo.settle`
/// (JSON): what the journal kept of it.
public struct UnsettledChange: Codable, Sendable, Equatable {
    /// The journal's id of the change.
    public var change: Int64
    public var vendor: String
    public var operation: String
    public var arguments: JSONValue
    public var before: JSONValue?

    public init(change: Int64, vendor: String, operation: String, arguments: JSONValue, before: JSONValue?) {
        self.change = change
        self.vendor = vendor
        self.operation = operation
        self.arguments = arguments
        self.before = before
    }
}

/// The `undo` module of an undo's script.
public enum UndoModule {
    /// The module, reading through `session` with the operations of `declarations`.
    public static func module(_ declarations: [any VendorModule.Type], session: VendorSession) -> LuaModule {
        LuaModule("undo", "What an undo's script needs beyond the vendor modules (roster undo RUN writes the script).",
                  functions: [unchanged(declarations, session: session), settle(declarations, session: session), inverse(declarations)])
    }

    /// The module and operation a change names, when this build of Roster knows them.
    static func declared(_ vendor: String, _ operation: String, in declarations: [any VendorModule.Type])
        -> (module: any VendorModule.Type, operation: VendorOperation)? {
        guard let module = declarations.first(where: { $0.vendor.rawValue == vendor }),
              let declared = module.operations.first(where: { $0.name == operation }) else { return nil }
        return (module, declared)
    }

    /// Whether a change of unknown outcome can be settled by what its operation declares: a
    /// read that tells whether it took effect (a setter's: its undo's read of the target),
    /// and a read its undo checks the target with.
    public static func canSettle(_ operation: VendorOperation) -> Bool {
        guard case .read = operation.undo?.check else { return false }
        return operation.check != nil || operation.ifUnknown == .resend || (operation.ifUnknown == .compareState && operation.readState != nil)
    }

    /// `undo.settle(change)`: whether a change sent without an answer took effect, by the
    /// read its operation declares for a resume: `{made = true, change = JSON}` (the change
    /// as `undo.unchanged` and `undo.inverse` take it, its answer now known), `{made = true,
    /// nothing = true}` when it changed nothing, `{made = false}`, or `{why = "..."}` when
    /// that cannot be told.
    static func settle(_ declarations: [any VendorModule.Type], session: VendorSession) -> LuaFunction {
        let parameters = [LuaParameter("change", .string, doc: "the change, as JSON: what the journal kept of it")]
        return LuaFunction("settle", "Whether a change whose answer never came took effect, read as its operation declares.", effect: .read,
                           parameters: parameters, result: LuaResult("table", doc: "{made = true, change = JSON}, {made = true, nothing = true}, {made = false} or {why = text}"),
                           body: .async { call in
            try VendorText.check(call, parameters)
            let text = call.string(1).text
            guard let unsettled = try? JSONDecoder().decode(UnsettledChange.self, from: Data(text.utf8)),
                  let operation = declared(unsettled.vendor, unsettled.operation, in: declarations)?.operation,
                  let undo = operation.undo, canSettle(operation)
            else { throw LuaError("undo.settle: not a change this build of Roster can settle: \(text.prefix(80))") }
            var table = LuaTable()
            if case .object(let fields) = unsettled.arguments { for (name, value) in fields { table[name] = value.luaValue } }
            let arguments = CheckedTable(table)
            // What it would have left, had it answered as a setter does.
            let answered = ChangeFacts(arguments: unsettled.arguments, answer: VendorResults.okAnswer, before: unsettled.before)
            // The declared check, or (a toggle) the state now against the one read before it.
            let work: @Sendable () async throws(VendorError) -> Reconciliation
            if let check = operation.check {
                work = try check(arguments, session)
            } else if operation.ifUnknown == .compareState, let read = operation.readState, let before = unsettled.before {
                let readNow = try read(arguments, session)
                work = { () async throws(VendorError) in try await readNow() == before ? .notApplied : .applied(VendorResults.okAnswer) }
            } else if operation.ifUnknown == .resend, let read = undo.read, let left = undo.left?(answered) {
                // A setter: made if its target is as it would have left it. (Someone may have
                // set it so since: an answered change's undo cannot tell that apart either.)
                let readNow = try read(answered, session)
                work = { () async throws(VendorError) in try await readNow() == left ? .applied(VendorResults.okAnswer) : .notApplied }
            } else {
                return { .value(.table(LuaTable(["why": "nothing can tell whether it took effect"]))) }
            }
            return {
                let found: Reconciliation
                do throws(VendorError) {
                    found = try await VendorOperation.withRunDeadline(work)
                } catch {
                    throw session.failure(session.scrubbed(error))
                }
                session.journal?.didRead()
                switch found {
                case .notApplied:
                    return .value(.table(LuaTable(["made": false])))
                case .undecidable(let why):
                    return .value(.table(LuaTable(["why": .string(LuaString(why))])))
                case .applied(let answer):
                    let facts = ChangeFacts(arguments: unsettled.arguments, answer: answer, before: unsettled.before)
                    guard let left = undo.left?(facts) else {
                        return .value(.table(LuaTable(["why": "it took effect, and what it left cannot be told"])))
                    }
                    // Already so before it was sent, or nothing to call: it changed nothing.
                    guard facts.before != left, let first = undo.inverse?(facts).first else {
                        return .value(.table(LuaTable(["made": true, "nothing": true])))
                    }
                    let settled = UndoneChange(change: unsettled.change, vendor: unsettled.vendor, operation: unsettled.operation,
                                               facts: facts, left: left, inverse: first)
                    let json = String(decoding: (try? JSONEncoder.sorted.encode(settled)) ?? Data(), as: UTF8.self)
                    return .value(.table(LuaTable(["made": true, "change": .string(LuaString(json))])))
                }
            }
        })
    }

    /// `undo.inverse(change)`: the calls that undo a settled change, each `{vendor =,
    /// operation =, arguments = {...}, count = n}` with its arguments in parameter order.
    static func inverse(_ declarations: [any VendorModule.Type]) -> LuaFunction {
        let parameters = [LuaParameter("change", .string, doc: "the change, as undo.settle gives it")]
        return LuaFunction("inverse", "The calls that undo a change settled by undo.settle.", parameters: parameters,
                           result: LuaResult("table", doc: "a list of {vendor, operation, arguments, count}"), body: .sync { call in
            try VendorText.check(call, parameters)
            let text = call.string(1).text
            guard let change = try? JSONDecoder().decode(UndoneChange.self, from: Data(text.utf8)),
                  let (declaration, operation) = declared(change.vendor, change.operation, in: declarations),
                  let inverse = operation.undo?.inverse
            else { throw LuaError("undo.inverse: not a change this build of Roster can undo: \(text.prefix(80))") }
            let calls = inverse(change.facts).map { call -> LuaValue in
                let names = declaration.operations.first { $0.name == call.operation }?.parameters.map(\.name) ?? call.arguments.keys.sorted()
                var values = names.map { call.arguments[$0]?.luaValue ?? .nil }
                while values.last == .nil { values.removeLast() }
                return .table(LuaTable(["vendor": .string(LuaString(change.vendor)), "operation": .string(LuaString(call.operation)),
                                        "arguments": .table(LuaTable(sequence: values)), "count": .integer(Int64(values.count))]))
            }
            return .table(LuaTable(sequence: calls))
        })
    }

    static func unchanged(_ declarations: [any VendorModule.Type], session: VendorSession) -> LuaFunction {
        let parameters = [LuaParameter("change", .string, doc: "the change, as JSON: what the journal kept of it, the state it left and its inverse")]
        return LuaFunction("unchanged", "Whether a change's target is still as the change left it: true, or what it is now.", effect: .read,
                           parameters: parameters, result: LuaResult("true|string", doc: "true, or the state found instead"),
                           body: .async { call in
            try VendorText.check(call, parameters)
            let text = call.string(1).text
            guard let change = try? JSONDecoder().decode(UndoneChange.self, from: Data(text.utf8)),
                  let (declaration, operation) = declared(change.vendor, change.operation, in: declarations),
                  let read = operation.undo?.read
            else { throw LuaError("undo.unchanged: not a change this build of Roster can check: \(text.prefix(80))") }
            // An undo resumed: its own inverse, sent by an earlier attempt, altered the state.
            if let journal = session.journal, let inverse = declaration.operations.first(where: { $0.name == change.inverse.operation }),
               journal.sentEarlier(inverse.pending(change.inverse.arguments)) {
                return { .value(.boolean(true)) }
            }
            let replayKey = "undo \(change.change)"
            if let kept = session.reads?.take(replayKey) { return { .value(compared(kept.json, change.left)) } }
            let work = try read(change.facts, session)
            return {
                let state: JSONValue
                do throws(VendorError) {
                    state = try await VendorOperation.withRunDeadline(work)
                } catch {
                    throw session.failure(session.scrubbed(error))
                }
                session.journal?.didRead()
                session.reads?.keep(replayKey, .json(state))
                return .value(compared(state, change.left))
            }
        })
    }

    /// True when `state` is `left`; else what it is.
    static func compared(_ state: JSONValue, _ left: JSONValue) -> LuaValue {
        state == left ? .boolean(true) : .string(LuaString("now \(state.compactText), where the run left \(left.compactText)"))
    }
}

extension VendorOperation {
    /// The journal's view of a call of this operation with `arguments` (by parameter name),
    /// before it is sent: enough to ask whether an earlier attempt sent it.
    func pending(_ arguments: [String: JSONValue]) -> PendingChange {
        var table = LuaTable()
        for (name, value) in arguments { table[name] = value.luaValue }
        let checked = CheckedTable(table)
        return PendingChange(vendor: vendor, operation: name, effect: effect, key: changeKey(checked), arguments: recorded(checked),
                             ifUnknown: ifUnknown, readsStateFirst: readState != nil)
    }
}

extension JSONEncoder {
    /// Keys sorted: the same value always encodes the same way (an undo's script carries its
    /// changes as JSON, and so does `undo.settle`'s answer).
    public static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
