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

/// The `undo` module of an undo's script.
public enum UndoModule {
    /// The module, reading through `session` with the operations of `declarations`.
    public static func module(_ declarations: [any VendorModule.Type], session: VendorSession) -> LuaModule {
        LuaModule("undo", "What an undo's script needs beyond the vendor modules (roster undo RUN writes the script).",
                  functions: [unchanged(declarations, session: session)])
    }

    static func unchanged(_ declarations: [any VendorModule.Type], session: VendorSession) -> LuaFunction {
        let parameters = [LuaParameter("change", .string, doc: "the change, as JSON: what the journal kept of it, the state it left and its inverse")]
        return LuaFunction("unchanged", "Whether a change's target is still as the change left it: true, or what it is now.",
                           parameters: parameters, result: LuaResult("true|string", doc: "true, or the state found instead"),
                           body: .async { call in
            try VendorText.check(call, parameters)
            let text = call.string(1).text
            guard let change = try? JSONDecoder().decode(UndoneChange.self, from: Data(text.utf8)),
                  let declaration = declarations.first(where: { $0.vendor.rawValue == change.vendor }),
                  let operation = declaration.operations.first(where: { $0.name == change.operation }),
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
                    throw VendorErrorObject(error: session.scrubbed(error))
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
