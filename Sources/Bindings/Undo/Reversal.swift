/// Reversal.swift: how a change is undone, declared with its operation — the read that
/// gives the state it alters (made just before it is sent and kept in the journal, and again
/// when it is undone), the state it left, and the calls that set the state before back; or
/// why it cannot be undone. `roster undo` is derived from these declarations.
import LuaHost
import Vendors

/// What the journal kept of a change, for undoing it: its arguments as recorded (by Lua
/// name, redacted as declared), the vendor's answer, and the state read just before it.
public struct ChangeFacts: Sendable {
    public var arguments: JSONValue
    public var answer: JSONValue
    public var before: JSONValue?

    public init(arguments: JSONValue, answer: JSONValue = .null, before: JSONValue? = nil) {
        self.arguments = arguments
        self.answer = answer
        self.before = before
    }

    /// An argument by name (`"fields.user_name"` for a field of a table argument).
    public func argument(_ path: String) -> JSONValue? {
        var value: JSONValue? = arguments
        for key in path.split(separator: ".") { value = value?[String(key)] }
        return value == .null ? nil : value
    }

    /// The Lua value of argument `name` as recorded: what an inverse passes back.
    public func lua(_ name: String) -> LuaValue { argument(name).map(\.luaValue) ?? .nil }
}

/// One call that undoes (part of) a change: an operation of the same vendor and its
/// arguments by parameter name.
public struct InverseCall: Sendable, Equatable {
    public var operation: String
    public var arguments: [String: JSONValue]

    public init(_ operation: String, _ arguments: [String: JSONValue]) {
        self.operation = operation
        self.arguments = arguments
    }
}

/// How a change of an operation is undone.
public enum Undo<Client: VendorClient>: Sendable {
    /// Other calls set the state before back.
    case reverse(Reversal<Client>)
    /// It cannot be undone, and why (an undo lists it so).
    case impossible(String)
}

/// The parts of a reversal.
public struct Reversal<Client: VendorClient>: Sendable {
    public typealias Read = @Sendable (ChangeFacts, Client) async throws(VendorError) -> JSONValue

    /// How an undo tells whether someone changed the target since the run.
    public enum Check: Sendable {
        /// This read gives the state (a JSON object in the form `left` gives). With
        /// `first`, it is also made just before the change is sent (`ChangeFacts.before`);
        /// the answer is not there yet then.
        case read(Read, first: Bool)
        /// The vendor cannot tell; the journal can: the state is what the latest journaled
        /// change of this operation with the same values of these arguments left.
        case journal(target: [String], why: String)
        /// Nothing can tell: the change is reverted unchecked, and the plan says why.
        case unchecked(String)
    }

    public var check: Check
    /// The state the change left, in the read's form; nil when that cannot be known.
    public var left: @Sendable (ChangeFacts) -> JSONValue?
    /// The calls that undo it, in order; none when it changed nothing.
    public var inverse: @Sendable (ChangeFacts) -> [InverseCall]
    /// Said with an undo of it (what the undo cannot give back), if anything.
    public var note: @Sendable (ChangeFacts) -> String?

    public init(check: Check, note: @escaping @Sendable (ChangeFacts) -> String? = { _ in nil }, left: @escaping @Sendable (ChangeFacts) -> JSONValue?,
                inverse: @escaping @Sendable (ChangeFacts) -> [InverseCall]) {
        self.check = check
        self.note = note
        self.left = left
        self.inverse = inverse
    }

    /// The common case: the state is one read's answer, made before the change is sent and
    /// again when it is undone, and the inverse sets it back.
    public static func restoring(_ read: @escaping Read, left: @escaping @Sendable (ChangeFacts) -> JSONValue?,
                                 inverse: @escaping @Sendable (ChangeFacts) -> [InverseCall]) -> Reversal {
        Reversal(check: .read(read, first: true), left: left, inverse: inverse)
    }
}

/// An operation's undo, for any client: what `VendorOperation` keeps of `Undo<Client>`.
public struct UndoDeclaration: Sendable {
    public enum Check: Sendable {
        case read(first: Bool)
        case journal(target: [String], why: String)
        case unchecked(String)
    }

    /// Nil when it cannot be undone.
    public let check: Check?
    /// Why it cannot be undone (when `check` is nil).
    public let impossible: String?
    let note: (@Sendable (ChangeFacts) -> String?)?
    let left: (@Sendable (ChangeFacts) -> JSONValue?)?
    let inverse: (@Sendable (ChangeFacts) -> [InverseCall])?
    /// The declared read, for this session's client.
    let read: (@Sendable (ChangeFacts, VendorSession) throws -> @Sendable () async throws(VendorError) -> JSONValue)?

    init<Client: VendorClient>(_ undo: Undo<Client>) {
        switch undo {
        case .impossible(let why):
            (check, impossible, note, left, inverse, read) = (nil, why, nil, nil, nil, nil)
        case .reverse(let reversal):
            impossible = nil
            note = reversal.note
            left = reversal.left
            inverse = reversal.inverse
            switch reversal.check {
            case .read(let perform, let first):
                check = .read(first: first)
                read = { facts, session in
                    let client = try session.client(Client.self)
                    return { () async throws(VendorError) in try await perform(facts, client) }
                }
            case .journal(let target, let why):
                check = .journal(target: target, why: why)
                read = nil
            case .unchecked(let why):
                check = .unchecked(why)
                read = nil
            }
        }
    }

    /// The state `facts`' change left, by the declaration.
    public func left(_ facts: ChangeFacts) -> JSONValue? { left?(facts) }

    /// What an undo of `facts`' change cannot give back, if anything.
    public func note(_ facts: ChangeFacts) -> String? { note?(facts) }

    /// The calls that undo `facts`' change.
    public func inverse(_ facts: ChangeFacts) -> [InverseCall] { inverse?(facts) ?? [] }

    /// `undo: ...`: how `roster undo` reverses a change of the operation, for its docs.
    var documentation: String {
        switch check {
        case nil: "undo: not undoable: \(impossible ?? "no inverse is declared")"
        case .read(let first)?: "undo: roster undo reverses it" + (first ? " (its target's state is read just before it is sent, and kept in the journal)" : "")
            + ", unless its target changed since"
        case .journal(_, let why)?: "undo: roster undo reverses it to what the journal last set (\(why))"
        case .unchecked(let why)?: "undo: roster undo reverses it, unchecked (\(why))"
        }
    }

    /// Whether the state is read just before the change is sent.
    var readsFirst: Bool {
        if case .read(true)? = check { return true }
        return false
    }
}

extension JSONValue {
    /// `{key = value}`: a state of one field.
    static func state(_ key: String, _ value: JSONValue) -> JSONValue { .object([key: value]) }
}

extension ChangeFacts {
    /// The arguments as a checked table again (they were checked when the change was made).
    var checked: CheckedTable { CheckedTable(arguments.luaValue.tableValue) }

    /// These arguments, those given: an inverse passing them on unchanged.
    public func passing(_ names: String...) -> [String: JSONValue] {
        var passed: [String: JSONValue] = [:]
        for name in names { passed[name] = argument(name) }
        return passed
    }
}

extension LuaShape {
    /// A vendor's record as the state an undo compares: the fields named `keys`, by their
    /// Lua names, as a script would pass them back (nil when the record does not fit).
    func state(fromWire record: JSONValue, keeping keys: some Sequence<String>) -> JSONValue? {
        guard let value = try? LuaForm.shape(self).lua(fromWire: record), case .object(let fields) = JSONValue(recording: value) else { return nil }
        var kept: [String: JSONValue] = [:]
        for key in keys { kept[key] = fields[key] ?? .null }
        return .object(kept)
    }
}
