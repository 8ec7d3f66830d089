/// UndoPlan.swift: the undo of a journaled run — each change it made, newest first, with how
/// its operation declares it is undone — written as the Lua script an undo runs. The script
/// is an ordinary run's: planned by a dry run, confirmed, journaled (its text is the run's
/// snapshot) and resumed like any other.
import Bindings
import Foundation
import Journal
import LuaHost
import Vendors

/// How each change of a run is undone.
public struct UndoPlan: Sendable {
    /// One change of the run, and what its undo does.
    public struct Step: Sendable {
        public enum Action: Sendable {
            /// These calls undo it; `check` (when the state can be read) must first find the
            /// target as the change left it.
            case revert([InverseCall], check: UndoneChange?, note: String?)
            /// The journal shows that a later change altered what it set.
            case altered(String)
            /// It cannot be undone, and why.
            case impossible(String)
            /// It changed nothing (the target was already so).
            case nothing
            /// Sent, and its answer never came (no later attempt settled it): the undo first
            /// reads whether it took effect, as its operation declares, and undoes it if so.
            case settle(UnsettledChange)
            /// The same, where nothing declared can tell: it may have been made, so it is
            /// named, never passed over in silence.
            case unknownOutcome
        }

        /// The journal's id of the change.
        public var change: Int64
        public var vendor: String
        /// `allthenticate.set_rank user_id=3 rank="ADMIN"`
        public var summary: String
        public var action: Action
    }

    public let run: JournalRun
    /// Newest change first.
    public let steps: [Step]

    /// The plan for `run`, whose changes are `changes`; `history` gives every change of one
    /// operation that succeeded, of the run's tenant (for state only the journal knows, such as ranks).
    public init(run: JournalRun, changes: [JournalChange], history: @escaping (_ vendor: String, _ operation: String) -> [JournalChange],
                registry: VendorRegistry = .standard) {
        self.run = run
        // Each change as its latest row says (a resume replays what an earlier attempt made,
        // and settles what it left unknown): made, or sent without an answer.
        var latest: [String: JournalChange] = [:]
        for change in changes where change.state != .planned { latest["\(change.key)#\(change.occurrence)"] = change }
        let unsettled = Set(latest.values.filter { $0.state == .sending || $0.state == .unknown }.map(\.id))
        let made = changes.filter { $0.state == .succeeded || unsettled.contains($0.id) }.sorted { $0.id > $1.id }
        var journalState = JournalKnownState(history: history)
        steps = made.map { change in
            let operation = registry.unit(named: change.vendor)?.module.operations.first { $0.name == change.operation }
            let facts = ChangeFacts(arguments: JSONValue.parse(change.arguments) ?? .object([:]),
                                    answer: change.result.flatMap(JSONValue.parse) ?? .null,
                                    before: change.stateBefore.flatMap(JSONValue.parse))
            let summary = Self.summary(change, facts, operation)
            func step(_ action: Step.Action) -> Step { Step(change: change.id, vendor: change.vendor, summary: summary, action: action) }
            if unsettled.contains(change.id) {
                guard let operation, UndoModule.canSettle(operation) else { return step(.unknownOutcome) }
                return step(.settle(UnsettledChange(change: change.id, vendor: change.vendor, operation: change.operation,
                                                    arguments: facts.arguments, before: facts.before)))
            }
            guard let operation, let undo = operation.undo else {
                return step(.impossible(operation == nil ? "this build of Roster does not know \(change.vendor).\(change.operation)" : "no inverse is declared"))
            }
            guard let check = undo.check else { return step(.impossible(undo.impossible ?? "no inverse is declared")) }
            if change.already { return step(.nothing) }
            switch check {
            case .read(let first):
                if first, facts.before == nil { return step(.impossible("its state before was not journaled (a run journaled before undo existed)")) }
                guard let left = undo.left(facts) else {
                    return step(.impossible("what it left cannot be told from its state before (\(facts.before?.compactText ?? "none"))"))
                }
                if facts.before == left { return step(.nothing) }
                let calls = undo.inverse(facts)
                guard let first = calls.first else { return step(.nothing) }
                return step(.revert(calls, check: UndoneChange(change: change.id, vendor: change.vendor, operation: change.operation, facts: facts,
                                                               left: left, inverse: first), note: undo.note(facts)))
            case .journal(let target, let why):
                var facts = facts
                switch journalState.revert(change, facts: facts, undo: undo, target: target) {
                case .unknownBefore:
                    return step(.impossible("\(why), and no earlier journaled change set it, so what it was is unknown"))
                case .altered(let by):
                    return step(.altered("changed since by run \(by.runID) (\(by.vendor).\(by.operation) \(by.arguments))"))
                case .revert(let before):
                    facts.before = before
                    if before == undo.left(facts) { return step(.nothing) }
                    return step(.revert(undo.inverse(facts), check: nil, note: "\(why): checked against the journal only"))
                }
            case .unchecked(let why):
                let calls = undo.inverse(facts)
                if calls.isEmpty { return step(.nothing) }
                return step(.revert(calls, check: nil, note: "\(why): not checked for changes since"))
            }
        }
    }

    /// The undo's Lua script.
    public func script(registry: VendorRegistry = .standard) -> String {
        var text = """
            -- roster undo \(run.id): undoes run \(run.id) (\(run.run.script), tenant '\(run.run.tenant)', \(Self.timestamp(run.startedAt))), newest change first.
            -- A change is undone only while its target is still as the run left it: one changed since is skipped, never overwritten.
            local function step(change, summary, state, revert)
              local unchanged = state == nil or undo.unchanged(state)
              if unchanged ~= true then
                print(("skipped change %d, %s: changed since the run: %s"):format(change, summary, unchanged))
                return
              end
              revert()
              print(("%s change %d, %s"):format(roster.dry_run and "would undo" or "undid", change, summary))
            end

            -- A change whose answer never came: undone if a read finds it took effect.
            local function settle(change, summary, vendor, unsettled)
              local found = undo.settle(unsettled)
              if found.made == false then
                print(("nothing to undo: change %d, %s: its answer never came, and it was not made"):format(change, summary))
              elseif found.nothing then
                print(("nothing to undo: change %d, %s: it changed nothing"):format(change, summary))
              elseif found.made then
                step(change, summary, found.change, function()
                  for _, call in ipairs(undo.inverse(found.change)) do
                    _ENV[call.vendor][call.operation](table.unpack(call.arguments, 1, call.count))
                  end
                end)
              else
                print(("not undone: change %d, %s: its answer never came, and whether it was made cannot be told (%s); check %s for it"):format(change, summary, found.why, vendor))
              end
            end


            """
        for step in steps {
            switch step.action {
            case .revert(let calls, let check, let note):
                let state = check.map { LuaLiteral.string(String(decoding: (try? JSONEncoder.sorted.encode($0)) ?? Data(), as: UTF8.self)) } ?? "nil"
                let summary = LuaLiteral.string(step.summary + (note.map { " (\($0))" } ?? ""))
                text += "step(\(step.change), \(summary), \(state), function()\n"
                for call in calls { text += "  " + Self.luaCall(call, vendor: step.vendor, registry: registry) + "\n" }
                text += "end)\n"
            case .altered(let why):
                text += "print(\(LuaLiteral.string("skipped change \(step.change), \(step.summary): \(why)")))\n"
            case .impossible(let why):
                text += "print(\(LuaLiteral.string("not undoable: change \(step.change), \(step.summary): \(why)")))\n"
            case .nothing:
                text += "print(\(LuaLiteral.string("nothing to undo: change \(step.change), \(step.summary): it changed nothing")))\n"
            case .settle(let unsettled):
                let json = String(decoding: (try? JSONEncoder.sorted.encode(unsettled)) ?? Data(), as: UTF8.self)
                text += "settle(\(step.change), \(LuaLiteral.string(step.summary)), \(LuaLiteral.string(step.vendor)), \(LuaLiteral.string(json)))\n"
            case .unknownOutcome:
                text += "print(\(LuaLiteral.string("not undone: change \(step.change), \(step.summary): it was sent and its answer never came (the run was cut, or the answer lost), so whether it was made is not known; check \(step.vendor) for it")))\n"
            }
        }
        return text
    }

    /// The name an undo's script runs under (in its messages and the journal).
    public static func scriptName(of run: Int64) -> String { "(undo of run \(run))" }

    /// The steps that cannot be undone.
    public var impossible: [Step] { steps.filter { if case .impossible = $0.action { true } else { false } } }

    /// `vendor.operation(a, b)` with the arguments in the operation's parameter order.
    static func luaCall(_ call: InverseCall, vendor: String, registry: VendorRegistry) -> String {
        let parameters = registry.unit(named: vendor)?.module.operations.first { $0.name == call.operation }?.parameters.map(\.name)
            ?? call.arguments.keys.sorted()
        var values = parameters.map { call.arguments[$0].map(JSONLiteral.value) ?? "nil" }
        while values.last == "nil" { values.removeLast() }
        return "\(vendor).\(call.operation)(\(values.joined(separator: ", ")))"
    }

    /// `encore.activate_user id=1002`: the change with its arguments in parameter order.
    static func summary(_ change: JournalChange, _ facts: ChangeFacts, _ operation: VendorOperation?) -> String {
        let names = operation?.parameters.map(\.name) ?? (facts.arguments.objectKeys ?? [])
        let arguments = names.compactMap { name in facts.argument(name).map { "\(name)=\($0.compactText)" } }
        return "\(change.vendor).\(change.operation)" + (arguments.isEmpty ? "" : " " + arguments.joined(separator: " "))
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }
}

extension VendorScriptRunner {
    /// A runner for an undo's script: the vendor modules and `undo`.
    public static func undoing(tenant: Tenant, limits: LuaLimits, http: VendorHTTP, registry: VendorRegistry = .standard) -> VendorScriptRunner {
        VendorScriptRunner(tenant: tenant, limits: limits, http: http) { session in
            registry.luaModules(for: session) + [UndoModule.module(registry.modules, session: session)]
        }
    }
}

/// State only the journal knows (a rank Allthenticate does not tell): what the latest
/// journaled change to each target left, followed through the undo as it is planned.
struct JournalKnownState {
    enum Verdict {
        /// No earlier change set it: what it was is unknown.
        case unknownBefore
        /// A later change (not undone by this plan) set it otherwise.
        case altered(by: JournalChange)
        /// Undo it: the state before it.
        case revert(before: JSONValue)
    }

    let history: (_ vendor: String, _ operation: String) -> [JournalChange]
    private var changesByOperation: [String: [JournalChange]] = [:]
    /// Per target: the state as this undo will have left it so far.
    private var current: [String: (state: JSONValue?, by: JournalChange?)] = [:]

    init(history: @escaping (_ vendor: String, _ operation: String) -> [JournalChange]) { self.history = history }

    mutating func revert(_ change: JournalChange, facts: ChangeFacts, undo: UndoDeclaration, target: [String]) -> Verdict {
        let operation = "\(change.vendor).\(change.operation)"
        if changesByOperation[operation] == nil {
            changesByOperation[operation] = history(change.vendor, change.operation).sorted { $0.id < $1.id }
        }
        func targetKey(_ facts: ChangeFacts) -> String { target.map { facts.argument($0)?.compactText ?? "null" }.joined(separator: " ") }
        func left(_ change: JournalChange) -> JSONValue? {
            undo.left(ChangeFacts(arguments: JSONValue.parse(change.arguments) ?? .null))
        }
        let key = targetKey(facts)
        let same = (changesByOperation[operation] ?? []).filter { targetKey(ChangeFacts(arguments: JSONValue.parse($0.arguments) ?? .null)) == key }
        if current[key] == nil, let latest = same.last { current[key] = (left(latest), latest) }
        let now = current[key]
        if let now, now.state != undo.left(facts) {
            return .altered(by: now.by ?? change)
        }
        guard let earlier = same.last(where: { $0.id < change.id }), let before = left(earlier) else { return .unknownBefore }
        current[key] = (before, earlier)
        return .revert(before: before)
    }
}

/// Lua source for JSON values: what an undo's script passes.
enum JSONLiteral {
    static func value(_ json: JSONValue) -> String {
        switch json {
        case .null: "nil"
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .double(let number): number.isFinite ? "\(number)" : "0"
        case .string(let text): LuaLiteral.string(text)
        case .array(let items): "{" + items.map(value).joined(separator: ", ") + "}"
        case .object(let fields):
            "{" + fields.keys.sorted().compactMap { key in
                guard let field = fields[key], field != .null else { return nil }
                return (LuaLiteral.isName(key) ? key : "[\(LuaLiteral.string(key))]") + " = " + value(field)
            }.joined(separator: ", ") + "}"
        }
    }
}

extension JSONValue {
    var objectKeys: [String]? {
        if case .object(let fields) = self { return fields.keys.sorted() }
        return nil
    }
}
