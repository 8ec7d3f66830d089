/// ChangeJournal.swift: what the vendor modules need of a journal — every write recorded
/// before it is sent and its outcome after; in a resumed run, a change an earlier attempt
/// made is answered from the journal, and one whose outcome is unknown is checked first.
import LuaHost
import Vendors

/// The journal of one attempt of one run, as the vendor modules use it (Engine provides
/// it over the journal's store).
public protocol ChangeJournal: Sendable {
    /// Before a write or destructive call is sent: says what to do with it, from what earlier
    /// attempts of the run made of it (no I/O: called on the Lua thread, in call order).
    func willSend(_ change: PendingChange) -> JournalDecision
    /// Records the change as about to be sent, with the state a toggle found just before
    /// (`stateBefore`); returns its row once that is committed (the request is sent only then).
    func recordSending(_ ticket: JournalTicket, stateBefore: JSONValue?) throws -> Int64
    /// The outcome of the change recorded as `id` (committed with the next group).
    func didFinish(_ id: Int64, _ outcome: JournaledOutcome)
    /// A read was made (reads are counted, not stored).
    func didRead()
    /// Whether an earlier attempt of the run sent `change` as its next occurrence (it
    /// succeeded, or its outcome is unknown): an undo resumed does not check again the
    /// state a change of its own already altered. Counts nothing.
    func sentEarlier(_ change: PendingChange) -> Bool
}

/// A change the journal has decided on and will record: what `recordSending` commits.
public struct JournalTicket: Sendable {
    /// The journal's own description of the row (opaque to the vendor modules).
    public let row: AnyObject & Sendable

    public init(row: AnyObject & Sendable) { self.row = row }
}

/// A write about to be sent.
public struct PendingChange: Sendable {
    public var vendor: Vendor
    public var operation: String
    public var effect: LuaEffect
    /// The idempotency key without the occurrence: vendor, operation and the identifying
    /// arguments' values (canonical JSON).
    public var key: String
    /// The arguments as recorded (redacted as declared).
    public var arguments: [VendorArgument]
    /// What to do if an earlier attempt's outcome is unknown.
    public var ifUnknown: UnknownOutcomeRule
    /// Its target's state is read just before it is sent, and journaled with it (a toggle's,
    /// or the one its undo needs).
    public var readsStateFirst: Bool

    public init(vendor: Vendor, operation: String, effect: LuaEffect, key: String, arguments: [VendorArgument],
                ifUnknown: UnknownOutcomeRule, readsStateFirst: Bool) {
        self.vendor = vendor
        self.operation = operation
        self.effect = effect
        self.key = key
        self.arguments = arguments
        self.ifUnknown = ifUnknown
        self.readsStateFirst = readsStateFirst
    }
}

/// What a write's declaration says to do when an earlier attempt sent it and no answer came.
public enum UnknownOutcomeRule: String, Sendable {
    /// Sending it again is harmless (it sets a state, or the vendor reports what exists).
    case resend
    /// A read tells whether it took effect.
    case check
    /// A toggle: the target's state is read just before it is sent and kept with it; a
    /// state that differs from it later means it took effect.
    case compareState
    /// Nothing tells: the admin decides (`--assume-sent` or `--assume-not-sent`).
    case ask
}

/// What to do with a write, given the run's journal.
public enum JournalDecision: Sendable {
    /// Send it, once its row is recorded.
    case send(JournalTicket)
    /// An earlier attempt made it: answer this, send nothing.
    case replay(answer: JSONValue, already: Bool)
    /// An earlier attempt sent it and no answer came: check with the declared read (or
    /// compare the state with `stateBefore`, the one the earlier attempt found, or apply
    /// the admin's decision) before sending.
    case reconcile(JournalTicket, assumption: UnknownAssumption?, stateBefore: JSONValue?)
}

/// The admin's decision for changes of unknown outcome that nothing can check.
public enum UnknownAssumption: String, Sendable {
    /// Take them as done.
    case sent
    /// Send them again.
    case notSent = "not-sent"
}

/// How a journaled write ended.
public enum JournaledOutcome: Sendable {
    case succeeded(answer: JSONValue, already: Bool)
    /// Refused, or certainly never applied (`notApplied`), or failed in a way that may have
    /// reached the vendor.
    case failed(message: String, notApplied: Bool)
    case unknown(message: String)
}
