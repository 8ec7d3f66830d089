/// VendorSession.swift: what one run's vendor modules share — the tenant's clients, whether
/// changes are only planned (`--dry-run`), and the record of every vendor call.
import Foundation
import LuaHost
import Synchronization
import Vendors

/// One recorded vendor call: planned under a dry run, else done or failed. Arguments are
/// as the script gave them, with passwords redacted; credentials never appear (they are not
/// arguments).
public struct VendorCallRecord: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// Not sent: a dry run.
        case planned
        case succeeded
        /// The vendor refused it, or it certainly never reached the vendor.
        case failed(String)
        /// It may have reached the vendor, and no answer came (cut, timed out, or the run
        /// ended first): whether it took effect is not known.
        case unknown(String)
        /// An earlier attempt of the run made it: answered from the journal, not sent.
        case replayed
    }

    public var vendor: Vendor
    public var operation: String
    public var effect: String
    public var arguments: [VendorArgument]
    public var outcome: Outcome
    public var duration: Duration
    /// The vendor said it was already so: nothing changed, and that counts as done.
    public var already = false
    /// A digest of the change with every argument in full, passwords included (a saved
    /// plan keeps it, salted, to check that an apply makes exactly this change); set only
    /// when planning or applying a plan.
    public var fingerprint: String?
    /// The people a change affects: a `delete_users` of three affects three (the items of
    /// its list-valued identifying arguments), any other change one.
    public var people = 1

    /// `encore.deactivate_user id=42 external=false`
    public var summary: String { vendor.rawValue + "." + operation + (arguments.isEmpty ? "" : " " + Self.argumentText(arguments)) }

    /// The arguments as one JSON object, keys sorted (what the journal keeps).
    public static func canonicalText(_ arguments: [VendorArgument]) -> String {
        // As JSONValue.object(...).canonicalText, without building the dictionary.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        bytes.append(UInt8(ascii: "{"))
        func write(_ argument: VendorArgument) {
            JSONValue.quote(argument.name, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            argument.value.writeCanonical(into: &bytes)
        }
        if arguments.count == 1 {
            write(arguments[0]) // most writes take one table: nothing to sort
        } else {
            // By name; of equal names the last given first, and only it written (as a dictionary keeps).
            let order = arguments.indices.sorted { (arguments[$0].name, $1) < (arguments[$1].name, $0) }
            var previous: String?
            for index in order where arguments[index].name != previous {
                if previous != nil { bytes.append(UInt8(ascii: ",")) }
                write(arguments[index])
                previous = arguments[index].name
            }
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `id=42 external=false`
    public static func argumentText(_ arguments: [VendorArgument]) -> String {
        arguments.map { "\($0.name)=\($0.value.compactText)" }.joined(separator: " ")
    }
}

/// A named argument of a recorded call.
public struct VendorArgument: Sendable, Equatable {
    public var name: String
    public var value: JSONValue

    public init(_ name: String, _ value: JSONValue) {
        self.name = name
        self.value = value
    }
}

/// The clients, the dry-run switch and the call record of one run. Shared by the run's
/// bindings (their checks run on the Lua thread, their work in tasks).
public final class VendorSession: Sendable {
    public let tenant: Tenant
    public let dryRun: Bool
    /// Where writes are journaled before they are sent, if anywhere.
    public let journal: (any ChangeJournal)?
    /// One client per configured vendor.
    private let clients: [Vendor: any VendorClient]
    private let records = Mutex<[VendorCallRecord]>([])
    /// Whether reads are kept in the call record, or only counted: a report that lists
    /// every call (`--json`, the REPL) needs them; otherwise a run's memory would grow with
    /// every read it makes (about 250 bytes each). Changes are always kept.
    public let recordsReads: Bool
    /// Reads made and not kept in the call record.
    private let readsNotRecorded = Atomic<Int>(0)
    /// Counts calls as they end, for progress lines (shared by the rows of a run).
    public let counter: CallCounter?
    /// Applying a saved plan: each change is checked against it before it is sent.
    public let planCheck: (any PlanCheck)?
    /// A confirmed run's reads: kept by its rehearsal, answered again in the real pass.
    public let reads: ReadReplay?
    /// Secrets the script holds as handles (a plugin's secret settings).
    public let sealedSecrets: SealedSecrets?
    /// Where the text of redacted arguments (passwords) is kept, when something the session
    /// feeds is stored outside the journal (a REPL's history); nil for a script.
    public let passedSecrets: PassedSecrets?
    /// Asked before a destructive call is journaled or sent, with the call (`encore.deactivate_user
    /// id=1001`) and the tenant's name: nil lets it go, a message refuses it. A REPL asks
    /// whoever is at its terminal; reading piped statements without `--yes`, it has no one to
    /// ask and refuses.
    public let destructiveCheck: DestructiveCheck?

    /// See `destructiveCheck`.
    public typealias DestructiveCheck = @Sendable (_ call: String, _ tenant: String) -> String?
    private let destructiveRefusals = Atomic<Int>(0)

    /// How many destructive calls `destructiveCheck` refused.
    public var destructiveCallsRefused: Int { destructiveRefusals.load(ordering: .relaxed) }

    /// Counts a refused destructive call and returns the error the script gets.
    func refuseDestructive(_ reason: String) -> LuaError {
        destructiveRefusals.add(1, ordering: .relaxed)
        return LuaError(reason)
    }

    /// Whether changes get fingerprints: when planning, or applying a plan.
    var fingerprints: Bool { dryRun || planCheck != nil }

    public init(tenant: Tenant, dryRun: Bool = false, http: VendorHTTP = .shared, journal: (any ChangeJournal)? = nil,
                counter: CallCounter? = nil, planCheck: (any PlanCheck)? = nil, reads: ReadReplay? = nil, sealedSecrets: SealedSecrets? = nil,
                recordsReads: Bool = true, destructiveCheck: DestructiveCheck? = nil, passedSecrets: PassedSecrets? = nil) {
        self.recordsReads = recordsReads
        self.passedSecrets = passedSecrets
        self.destructiveCheck = destructiveCheck
        self.sealedSecrets = sealedSecrets
        self.planCheck = planCheck
        self.reads = reads
        self.tenant = tenant
        self.dryRun = dryRun
        self.journal = journal
        self.counter = counter
        // A session that can call vendors counts among those whose calls may be batched.
        counted = !tenant.configurations.isEmpty
        if counted { OperationBatcher.sessionsOpen.add(1, ordering: .relaxed) }
        var clients: [Vendor: any VendorClient] = [:]
        for configuration in tenant.configurations {
            clients[type(of: configuration).vendor] = configuration.makeClient(http: http)
        }
        self.clients = clients
    }

    private let counted: Bool
    private let dryRunAsked = Atomic<Bool>(false)

    /// Whether the script read `roster.dry_run`: a rehearsal that did not, and planned no
    /// change, ran exactly as the run itself would, so the run need not run again.
    public var askedDryRun: Bool { dryRunAsked.load(ordering: .relaxed) }

    /// `roster.dry_run`, noting that the script asked.
    public func answerDryRun() -> Bool {
        dryRunAsked.store(true, ordering: .relaxed)
        return dryRun
    }

    deinit { if counted { OperationBatcher.sessionsOpen.subtract(1, ordering: .relaxed) } }

    /// A session with no vendor configured: for documentation and stubs, which only read
    /// the declarations.
    public static let documentation = VendorSession(tenant: Tenant(name: "documentation"))

    /// Every call so far, in the order made (reads only if `recordsReads`).
    public var calls: [VendorCallRecord] { records.withLock { $0 } }

    /// Reads made so far, kept in the call record or not.
    public var readCount: Int {
        readsNotRecorded.load(ordering: .relaxed) + records.withLock { $0.count { $0.effect == LuaEffect.read.rawValue } }
    }

    /// Scrubs the tenant's secrets, and those its clients obtained (access tokens), from a vendor's
    /// error before it reaches the script, the output or the call record.
    func scrubbed(_ error: VendorError) -> VendorError {
        error.scrubbed(by: SecretScrubber(tenant.secretValues + clients.values.flatMap(\.liveSecrets) + (sealedSecrets?.values ?? [])))
    }

    /// The vendor failures the script was given lately, by their line (`VendorError.description`),
    /// at most `failuresKept`: what explains a run that one of them ended.
    private let failures = Mutex<[String: VendorError]>([:])
    private static let failuresKept = 32

    /// `error` as the script gets it, as a Lua error; kept, so that a run it ends can say what
    /// to do about it (`failure(ending:)`).
    func failure(_ error: VendorError) -> VendorErrorObject {
        failures.withLock { kept in
            if kept.count >= Self.failuresKept, kept[error.description] == nil { kept.removeAll() }
            kept[error.description] = error
        }
        return VendorErrorObject(error: error)
    }

    /// The vendor failure a run's error `message` (`FILE:LINE: encore.get_user: HTTP 401: ...`)
    /// is, when the script ended on one it was given (uncaught, or raised again as it was).
    public func failure(ending message: String) -> VendorError? {
        failures.withLock { kept in kept.first { message.hasSuffix($0.key) }?.value }
    }

    /// The changes a dry run planned (and did not send).
    public var plan: [VendorCallRecord] { calls.filter { $0.outcome == .planned } }

    func record(_ record: VendorCallRecord) {
        if keeps(record) {
            records.withLock { $0.append(record) }
        } else {
            readsNotRecorded.add(1, ordering: .relaxed)
        }
        counter?.count(record)
    }

    private func keeps(_ record: VendorCallRecord) -> Bool {
        recordsReads || record.effect != LuaEffect.read.rawValue
    }

    /// A call under way: its place in the call record, or, for a read not kept there, the
    /// call itself (still counted for progress when it ends).
    struct CallSlot: Sendable {
        fileprivate var index: Int?
        fileprivate var unrecorded: VendorCallRecord?
    }

    /// What a call about to be sent reads as until it finishes: if the run ends first (a
    /// limit, a stop), that is what it stays.
    static let cutShort = VendorCallRecord.Outcome.unknown(cutShortMessage)

    /// Why a call the run's end cut has an unknown outcome: in the call record and the journal.
    public static let cutShortMessage = "the run ended before the vendor answered"

    /// Records a call as it is sent (outcome `cutShort`); returns its slot for `finish`.
    func begin(_ record: VendorCallRecord) -> CallSlot {
        guard keeps(record) else {
            readsNotRecorded.add(1, ordering: .relaxed)
            return CallSlot(unrecorded: record)
        }
        return records.withLock {
            $0.append(record)
            return CallSlot(index: $0.count - 1)
        }
    }

    /// The outcome of the call `begin` recorded in `slot`.
    func finish(_ slot: CallSlot, _ outcome: VendorCallRecord.Outcome, duration: Duration, already: Bool = false) {
        func update(_ record: inout VendorCallRecord) {
            record.outcome = outcome
            record.duration = duration
            record.already = already
        }
        guard let index = slot.index else {
            guard var record = slot.unrecorded else { return }
            update(&record)
            counter?.count(record)
            return
        }
        let record = records.withLock {
            update(&$0[index])
            return $0[index]
        }
        counter?.count(record)
    }

    /// The client of `type`'s vendor, or the error naming the missing configuration section.
    func client<Client: VendorClient>(_ type: Client.Type) throws(LuaError) -> Client {
        guard let client = clients[Client.vendor] as? Client else {
            let vendor = Client.vendor.rawValue
            throw LuaError("\(vendor) is not configured for tenant '\(tenant.name)'; add a [tenants.\(tenant.name).\(vendor)] section to roster.toml")
        }
        return client
    }
}

/// The reads of a rehearsal, answered again in the run that follows it: a confirmed run
/// reads each thing once (Active911's budget is 25 requests a minute), and makes the
/// changes its rehearsal showed. Reads are matched by operation, full arguments and order;
/// one the rehearsal did not make is sent. Once the run sends its first change, reads go to
/// the vendor again: a script that reads back what it changed sees the change.
///
/// What is kept has a budget (about 16 MB; the rows of a run row by row share one): a
/// rehearsal that reads more, say a report over 100,000 people, keeps its first reads only,
/// and the run sends the rest again, as it sends any read the rehearsal did not make.
/// Bounded memory over a perfect replay: a plan that must not move is a saved plan
/// (`--plan-out`, then `apply`), whose every change is checked before it is sent.
public final class ReadReplay: Sendable {
    /// `kept`: the rehearsal planned a change, or filled its budget; what it reads after
    /// that is never replayed (the real pass reads it live), so it is not kept.
    private enum Phase { case keeping, kept, replaying, live }

    /// About how many bytes of answers a rehearsal keeps. Kept until the run ends, they grew
    /// with every read: 40,000 reads of an Encore user by a script that dropped each answer
    /// peaked at 91 MB (58 MB with the budget).
    public static let defaultBudget = 16 << 20

    /// The answers kept for one read, in order, and the next to give.
    private struct Answers {
        var kept: [VendorAnswer] = []
        var next = 0

        /// The next answer, its slot let go (a run may repeat one read thousands of times:
        /// taking one must not copy or shift the rest).
        mutating func take() -> VendorAnswer? {
            guard next < kept.count else { return nil }
            defer { kept[next] = .json(.null); next += 1 }
            return kept[next]
        }
    }

    private struct State {
        var phase = Phase.keeping
        var answers: [String: Answers] = [:]
    }

    private let state = Mutex(State())
    /// What is left to keep (shared by the rows of a run row by row).
    let budget: Budget

    /// Estimated bytes a rehearsal may still keep; the rows of a run share one.
    final class Budget: Sendable {
        let bytes: Int
        private let used = Atomic<Int>(0)

        init(bytes: Int) { self.bytes = bytes }

        /// Takes `size` bytes, if they are left.
        func take(_ size: Int) -> Bool {
            var current = used.load(ordering: .relaxed)
            while current + size <= bytes {
                let (exchanged, original) = used.compareExchange(expected: current, desired: current + size, ordering: .relaxed)
                if exchanged { return true }
                current = original
            }
            return false
        }
    }

    public convenience init(keptBytes: Int = ReadReplay.defaultBudget) {
        self.init(budget: Budget(bytes: keptBytes))
    }

    init(budget: Budget) {
        self.budget = budget
    }

    /// From now on, reads are answered from what was kept.
    public func startReplaying() { state.withLock { $0.phase = .replaying } }

    /// The rehearsal planned a change: it keeps no later read.
    func changePlanned() {
        state.withLock { state in
            if state.phase == .keeping { state.phase = .kept }
        }
    }

    /// The run is about to send a change: later reads go to the vendor.
    func changeSent() {
        state.withLock { state in
            if state.phase == .replaying { state.phase = .live }
        }
    }

    /// Whether a read's key is of any use now: while the rehearsal keeps answers, or while
    /// the run replays them (a read's key is a digest of its arguments: not worth making
    /// for a read that goes to the vendor anyway).
    var usesKeys: Bool {
        state.withLock { $0.phase == .keeping || $0.phase == .replaying }
    }

    /// The kept answer to the next read of `key`, when replaying.
    func take(_ key: String) -> VendorAnswer? {
        state.withLock { state in
            guard state.phase == .replaying else { return nil }
            return state.answers[key]?.take()
        }
    }

    /// Keeps a rehearsal's answer to a read of `key`, within the budget: the first answer
    /// past it ends the keeping (later reads of a key must not be replayed before earlier ones).
    func keep(_ key: String, _ answer: VendorAnswer) {
        let size = key.utf8.count + answer.estimatedMemory
        state.withLock { state in
            guard state.phase == .keeping else { return }
            guard budget.take(size) else {
                state.phase = .kept
                return
            }
            state.answers[key, default: Answers()].kept.append(answer)
        }
    }
}

extension JSONValue {
    /// Roughly the bytes this value holds in memory: its nodes, keys and texts, with a
    /// dictionary's slack. An estimate for a budget, not an accounting.
    var estimatedMemory: Int {
        switch self {
        case .null, .bool, .int, .double: return 24
        case .string(let text): return 24 + text.utf8.count
        case .array(let values): return values.reduce(32) { $0 + $1.estimatedMemory }
        case .object(let fields): return fields.reduce(64) { $0 + 40 + $1.key.utf8.count + $1.value.estimatedMemory }
        }
    }
}

/// The reads of a rehearsal row by row (`--each`): each row's own `ReadReplay`, so that a
/// row reads from its rehearsal until it sends its own first change, whatever other rows do.
public final class RowReadReplays: Sendable {
    private let replays = Mutex<[Int: ReadReplay]>([:])
    /// One budget for all the rows' kept answers.
    private let budget: ReadReplay.Budget

    public init(keptBytes: Int = ReadReplay.defaultBudget) {
        budget = ReadReplay.Budget(bytes: keptBytes)
    }

    /// Row `number`'s reads.
    public func forRow(_ number: Int) -> ReadReplay {
        replays.withLock { replays in
            if let replay = replays[number] { return replay }
            let replay = ReadReplay(budget: budget)
            replays[number] = replay
            return replay
        }
    }

    /// From now on, every row's reads are answered from what its rehearsal kept.
    public func startReplaying() {
        for replay in replays.withLock({ Array($0.values) }) { replay.startReplaying() }
    }
}

/// A saved plan being applied, as the vendor modules see it: each change, before it is
/// sent, must be the plan's next one.
public protocol PlanCheck: Sendable {
    /// Nil when `change` is the plan's next change; else why the plan is stale, in one line.
    func check(_ change: VendorCallRecord) -> String?
    /// The check of row `number` of a run row by row (`--each`): its own changes, in order.
    func row(_ number: Int) -> any PlanCheck
}

/// Calls as they end: changes made (or replayed, or planned) and reads, for progress lines.
public final class CallCounter: Sendable {
    private let changes = Atomic<Int>(0)
    private let reads = Atomic<Int>(0)

    public init() {}

    /// Changes made, replayed or planned so far.
    public var changesDone: Int { changes.load(ordering: .relaxed) }
    public var readsDone: Int { reads.load(ordering: .relaxed) }

    func count(_ record: VendorCallRecord) {
        switch record.outcome {
        case .succeeded, .replayed, .planned:
            if record.effect == LuaEffect.read.rawValue {
                reads.add(1, ordering: .relaxed)
            } else {
                changes.add(1, ordering: .relaxed)
            }
        case .failed, .unknown:
            break
        }
    }
}

extension JSONValue {
    /// `42`, `"a b"`, `["x","y"]`, `{a=1}`: short and unambiguous, for plan lines.
    public var compactText: String {
        var bytes: [UInt8] = []
        writeCompact(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the compact text's UTF-8 to `bytes` (a change's key is written so, on every change).
    public func writeCompact(into bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: "nil".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): Self.writeDecimal(value, into: &bytes)
        case .double(let value): bytes.append(contentsOf: String(value).utf8)
        case .string(var value):
            bytes.append(UInt8(ascii: "\""))
            // `\`, `"` and newlines escaped (ASCII bytes never occur inside a longer UTF-8 sequence).
            value.withUTF8 { utf8 in
                for byte in utf8 {
                    switch byte {
                    case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
                    case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
                    case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
                    default: bytes.append(byte)
                    }
                }
            }
            bytes.append(UInt8(ascii: "\""))
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value.writeCompact(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let fields):
            bytes.append(UInt8(ascii: "{"))
            for (index, field) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(contentsOf: field.key.utf8)
                bytes.append(UInt8(ascii: "="))
                field.value.writeCompact(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }
}

/// The text a session's calls passed where a record redacts it (passwords), kept so that what
/// is stored outside the journal, a REPL's history, holds none of it: a password typed in a
/// REPL was written to its history file as typed.
public final class PassedSecrets: Sendable {
    private let values = Mutex<Set<String>>([])

    public init() {}

    func add(_ secrets: [String]) {
        guard !secrets.isEmpty else { return }
        values.withLock { $0.formUnion(secrets) }
    }

    /// Every value passed so far.
    public var all: [String] { values.withLock { Array($0) } }
}
