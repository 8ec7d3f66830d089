/// VendorOperation.swift: the one declaration of a vendor operation in Lua — name, docs,
/// parameters and their forms, result form, effect, change semantics — and the generic
/// part every operation shares: argument checks, dry runs, the call record (derived from
/// the declaration), answers written by the result's form, failures raised as error objects.
import Crypto
import Foundation
import LuaHost
import Vendors

/// The work an operation's check hands back: given the vendor's client, it sends the
/// request and returns the answer as JSON, which the declared result form writes into Lua.
public typealias VendorWork<Client> = @Sendable (Client) async throws(VendorError) -> JSONValue

/// The work of a read answered as the vendor sent it (`VendorOperation.read`).
public typealias VendorReadWork<Client> = @Sendable (Client) async throws(VendorError) -> VendorAnswer

/// What an operation's work answered: JSON made (or read) in Swift, or the vendor's
/// document as it came, which the declared form writes into Lua from its bytes.
public enum VendorAnswer: Sendable {
    case json(JSONValue)
    case document(JSONDocument)
    /// A list the vendor sent in pages, each an array (or an object holding it at
    /// `itemsAt`, as its client checked): read as one list.
    case pages([JSONDocument], itemsAt: String? = nil)

    /// The answer as a `JSONValue` (for the journal, an undo, a check).
    public var json: JSONValue {
        switch self {
        case .json(let value): value
        case .document(let document): document.value
        case .pages(let pages, let key): .array(pages.flatMap { page in (key.map { page.value[$0] } ?? page.value)?.array ?? [] })
        }
    }

    /// Roughly the bytes it holds in memory (for the budget of kept reads).
    var estimatedMemory: Int {
        switch self {
        case .json(let value): value.estimatedMemory
        case .document(let document): document.estimatedMemory
        case .pages(let pages, _): pages.reduce(32) { $0 + $1.estimatedMemory }
        }
    }
}

/// What a write declares for the case where an earlier attempt sent it and no answer came.
public enum IfUnknown<Client>: Sendable {
    /// Sending it again is harmless: it sets a state, or the vendor reports what exists.
    case resend
    /// Nothing can tell whether it took effect (an SMS sent): the admin decides.
    case ask
    /// This read tells: the answer the change gave if it took effect.
    case check(@Sendable (CheckedTable, Client) async throws(VendorError) -> Reconciliation)
    /// A toggle: this read gives the target's state. It is made just before the change is
    /// sent and journaled with it; after an unknown outcome a different state means the
    /// change took effect, the same state that it did not.
    case compareState(@Sendable (CheckedTable, Client) async throws(VendorError) -> JSONValue)
}

/// What a check found of a change whose outcome was unknown.
public enum Reconciliation: Sendable {
    /// It took effect; this is what it answered (or would have).
    case applied(JSONValue)
    case notApplied
    /// Part of it, or nothing can tell.
    case undecidable(String)
}

/// What a change means beyond its arguments, declared with the operation for the journal
/// and plans (how it is undone is declared beside it: `Undo`).
public struct ChangeSemantics: Sendable {
    /// The arguments (or `argument.field`) that identify the change: two calls with the
    /// same values make the same change (the idempotency key). Empty for reads.
    public var identity: [String] {
        didSet { identityPaths = Self.paths(identity) }
    }
    /// Vendor refusals that mean the target is already in the state asked for.
    public var already: [AlreadyAnswer]
    /// `identity` sorted and split at its dot, once: the key is computed for every change.
    private(set) var identityPaths: [IdentityPath]

    /// One identifying argument, or one field of a table argument (`fields.user_name`).
    /// Its names are kept as Lua keys: looking up a `String` in a table makes its key anew.
    struct IdentityPath: Sendable {
        let label: String
        let argument: LuaValue
        let field: LuaValue?

        init(label: String, argument: String, field: String?) {
            self.label = label
            self.argument = .string(LuaString(argument))
            self.field = field.map { .string(LuaString($0)) }
        }

        /// Its value in `arguments` (`.nil` when absent).
        func value(in arguments: CheckedTable) -> LuaValue {
            let value = arguments.table.fields[argument] ?? .nil
            guard let field else { return value }
            guard case .table(let nested) = value else { return .nil }
            return nested.fields[field] ?? .nil
        }
    }

    public init(identity: [String] = [], already: [AlreadyAnswer] = []) {
        self.identity = identity
        self.already = already
        identityPaths = Self.paths(identity)
    }

    private static func paths(_ identity: [String]) -> [IdentityPath] {
        identity.sorted().map { entry in
            guard let dot = entry.firstIndex(of: ".") else { return IdentityPath(label: entry, argument: entry, field: nil) }
            return IdentityPath(label: entry, argument: String(entry[..<dot]), field: String(entry[entry.index(after: dot)...]))
        }
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
    /// What to do when an earlier attempt sent it and no answer came.
    public var ifUnknown: UnknownOutcomeRule
    /// Calls made together are sent as one request (the operation declares how).
    public var batched: Bool
    /// How a change it made is undone, or why it cannot be (nil for reads).
    public var undo: UndoDeclaration?
    /// Turns checked arguments into work for this session's client (throwing when the
    /// tenant does not configure the vendor). Never sends anything itself.
    let start: @Sendable (CheckedTable, VendorSession) throws -> @Sendable () async throws(VendorError) -> VendorAnswer
    /// The declared read that tells whether a change of unknown outcome took effect.
    let check: (@Sendable (CheckedTable, VendorSession) throws -> @Sendable () async throws(VendorError) -> Reconciliation)?
    /// The read of its target's state made just before it is sent and journaled with it: a
    /// toggle's (`IfUnknown.compareState`), or the one its undo needs.
    let readState: (@Sendable (CheckedTable, VendorSession) throws -> @Sendable () async throws(VendorError) -> JSONValue)?

    /// `prepare` reads the checked arguments (raising what the declaration cannot say,
    /// such as "email_id or email") and returns the work for `Client`.
    public init<Client: VendorClient>(
        _ client: Client.Type, _ name: String, _ summary: String, effect: LuaEffect, parameters: [LuaParameter] = [],
        result: LuaResult, semantics: ChangeSemantics = .read, ifUnknown: IfUnknown<Client> = .ask, undo: Undo<Client>? = nil,
        batching: Batching<Client>? = nil, prepare: @escaping @Sendable (CheckedTable) throws -> VendorWork<Client>
    ) {
        self.init(client, name, summary, effect: effect, parameters: parameters, result: result, semantics: semantics,
                  ifUnknown: ifUnknown, undo: undo, batched: batching != nil) { arguments, session in
            let work = try prepare(arguments)
            let client = try session.client(Client.self)
            guard let batching else { return { () async throws(VendorError) in .json(try await work(client)) } }
            let alone: @Sendable () async throws(VendorError) -> JSONValue = { () async throws(VendorError) in try await work(client) }
            let key = "\(client.account) \(Client.vendor.rawValue).\(name) \(batching.group(arguments))"
            return { () async throws(VendorError) in
                .json(try await OperationBatcher.shared.submit(key: key, arguments, client: client, batching: batching, alone: alone))
            }
        }
    }

    /// A read whose answer the script gets as the vendor sent it, by its declared form:
    /// written into Lua from the answer's bytes, with no `JSONValue` made on the way (every
    /// `get_user` of a report goes this way).
    public static func read<Client: VendorClient>(
        _ client: Client.Type, _ name: String, _ summary: String, parameters: [LuaParameter] = [], result: LuaResult,
        prepare: @escaping @Sendable (CheckedTable) throws -> VendorReadWork<Client>
    ) -> VendorOperation {
        VendorOperation(client, name, summary, effect: .read, parameters: parameters, result: result, semantics: .read,
                        ifUnknown: IfUnknown<Client>.ask, undo: nil, batched: false) { arguments, session in
            let work = try prepare(arguments)
            let client = try session.client(Client.self)
            return { () async throws(VendorError) in try await work(client) }
        }
    }

    private init<Client: VendorClient>(
        _ client: Client.Type, _ name: String, _ summary: String, effect: LuaEffect, parameters: [LuaParameter],
        result: LuaResult, semantics: ChangeSemantics, ifUnknown: IfUnknown<Client>, undo: Undo<Client>?, batched: Bool,
        start: @escaping @Sendable (CheckedTable, VendorSession) throws -> @Sendable () async throws(VendorError) -> VendorAnswer
    ) {
        self.vendor = Client.vendor
        self.name = name
        self.summary = summary
        self.effect = effect
        self.parameters = parameters
        self.result = result
        self.semantics = semantics
        self.batched = batched
        self.start = start
        let undo = undo.map(UndoDeclaration.init)
        self.undo = undo
        // An undo's read before the change, unless a toggle's own read is made then.
        let undoRead = undo.flatMap { undo in undo.readsFirst ? undo.read : nil }.map { read in
            { @Sendable (arguments: CheckedTable, session: VendorSession) in
                try read(ChangeFacts(arguments: JSONValue(recording: .table(arguments.table))), session)
            }
        }
        switch ifUnknown {
        case .resend: self.ifUnknown = .resend; check = nil; readState = undoRead
        case .ask: self.ifUnknown = .ask; check = nil; readState = undoRead
        case .check(let read):
            self.ifUnknown = .check
            readState = undoRead
            check = { arguments, session in
                let client = try session.client(Client.self)
                return { () async throws(VendorError) in try await read(arguments, client) }
            }
        case .compareState(let read):
            self.ifUnknown = .compareState
            check = nil
            readState = { arguments, session in
                let client = try session.client(Client.self)
                return { () async throws(VendorError) in try await read(arguments, client) }
            }
        }
    }

    /// The Lua function for `session`: under a dry run a write or destructive call is
    /// recorded as planned and answers `{dry_run = true}` without being sent. With a
    /// journal, a write is journaled before it is sent, and one an earlier attempt of the
    /// run made is answered from the journal.
    func function(in session: VendorSession) -> LuaFunction {
        let operation = self
        let summary = batched ? self.summary + " Calls made at the same moment (rows of --each, parallel coroutines) go as one request." : self.summary
        var function = LuaFunction(name, summary, effect: effect, parameters: parameters, result: result, body: .async { call in
            let arguments = try operation.checkedArguments(call, sealed: session.sealedSecrets)
            if let passed = session.passedSecrets { passed.add(operation.redactedText(arguments)) }
            let work = try operation.start(arguments, session)
            let recorded = operation.recorded(arguments)
            let effect = operation.effect
            let fingerprint = session.fingerprints && effect != .read ? operation.fingerprint(arguments) : nil
            let people = effect == .read ? 1 : operation.people(arguments)
            @Sendable func record(_ outcome: VendorCallRecord.Outcome, already: Bool = false) -> VendorCallRecord {
                VendorCallRecord(vendor: operation.vendor, operation: operation.name, effect: effect.rawValue, arguments: recorded,
                                 outcome: outcome, duration: .zero, already: already, fingerprint: fingerprint, people: people)
            }
            if session.dryRun && effect != .read {
                session.reads?.changePlanned()
                session.record(record(.planned))
                return { .value(.table(DryRun.result)) }
            }
            if effect == .destructive, let check = session.destructiveCheck, let refusal = check(record(.planned).summary, session.tenant.name) {
                throw session.refuseDestructive(refusal)
            }
            if effect != .read { session.reads?.changeSent() }
            // Applying a saved plan: a change the plan does not hold (or has made) is not sent, nor anything after it.
            if effect != .read, let planCheck = session.planCheck, let stale = planCheck.check(record(.planned)) {
                throw call.stopRun(.stalePlan, stale)
            }
            var ticket: JournalTicket?
            var check: (@Sendable () async throws(VendorError) -> Reconciliation)?
            // A toggle reads its target's state before it is sent; resuming one of unknown
            // outcome, `earlierState` is what the earlier attempt found.
            var readState: (@Sendable () async throws(VendorError) -> JSONValue)?
            var earlierState: JSONValue?
            // A confirmed run's reads are answered as its rehearsal's were.
            let readKey = effect == .read && session.reads?.usesKeys == true ? operation.fingerprint(arguments) : nil
            if let readKey, let answer = session.reads?.take(readKey) {
                // Sent once, by the rehearsal, which had no journal to count it.
                session.journal?.didRead()
                session.record(record(.succeeded))
                return { try operation.answer(answer, already: false) }
            }
            if effect == .read {
                session.journal?.didRead()
            } else if let journal = session.journal {
                let decision = journal.willSend(PendingChange(vendor: operation.vendor, operation: operation.name, effect: effect,
                                                              key: operation.changeKey(arguments), arguments: recorded,
                                                              ifUnknown: operation.ifUnknown, readsStateFirst: operation.readState != nil))
                switch decision {
                case .send(let recording):
                    ticket = recording
                case .replay(let answer, let already):
                    session.record(record(.replayed, already: already))
                    return { try operation.answer(.json(answer), already: already) }
                case .reconcile(let recording, let assumption, let stateBefore):
                    ticket = recording
                    switch (operation.ifUnknown, assumption) {
                    case (.resend, _), (.ask, .notSent?):
                        break
                    case (.check, _):
                        check = try operation.check?(arguments, session)
                    case (.compareState, _) where stateBefore != nil:
                        earlierState = stateBefore
                    case (.compareState, .notSent?):
                        break
                    case (.ask, .sent?), (.compareState, .sent?):
                        session.record(record(.replayed))
                        return {
                            let id = try journal.recordSending(recording, stateBefore: nil)
                            journal.didFinish(id, .succeeded(answer: .null, already: false))
                            return .value(.nil)
                        }
                    case (.ask, nil), (.compareState, nil):
                        // A toggle journaled before states were kept has none to compare with.
                        throw call.stopRun(.decision, """
                            \(operation.qualifiedName) \(VendorCallRecord.argumentText(recorded)) was sent by an earlier attempt and no \
                            answer came; nothing tells whether it took effect: resume with --assume-sent (take it as done) or \
                            --assume-not-sent (send it again)
                            """)
                    }
                }
                readState = try operation.readState?(arguments, session)
            }
            let handedOver = VendorCallProfile.shared.now
            return { [ticket, check, readState, earlierState] in
                if let handedOver { VendorCallProfile.shared.add(.dispatch, since: handedOver) }
                OperationBatcher.callsInFlight.add(1, ordering: .relaxed)
                defer { OperationBatcher.callsInFlight.subtract(1, ordering: .relaxed) }
                let start = ContinuousClock.now
                var stateBefore: JSONValue?
                var compared: Reconciliation?
                if let readState {
                    let state: JSONValue
                    do throws(VendorError) {
                        state = try await Self.withRunDeadline(readState)
                    } catch {
                        let error = session.scrubbed(error)
                        session.record(record(.failed("not sent: \(error.description)")))
                        throw session.failure(VendorError(vendor: operation.vendor, operation: operation.name, status: error.status,
                                                                   message: "not sent: its target's state could not be read first: \(error.message)",
                                                                   retryable: error.retryable))
                    }
                    // A state that moved since the earlier attempt read it: that attempt's change took effect.
                    compared = earlierState.map { $0 != state ? .applied(state) : .notApplied }
                    stateBefore = state
                }
                // Journaled, and recorded, before it is sent, so that a call the run's end cuts
                // is reported (as unknown), never dropped.
                var row: Int64?
                if let ticket, let journal = session.journal {
                    do {
                        row = try journal.recordSending(ticket, stateBefore: stateBefore)
                    } catch {
                        session.record(record(.failed("not sent: \(error)")))
                        throw session.failure(VendorError(vendor: operation.vendor, operation: operation.name, status: nil,
                                                                   message: "not sent: \(error)", retryable: false))
                    }
                }
                let slot = session.begin(record(VendorSession.cutShort))
                do throws(VendorError) {
                    var reconciliation = compared
                    if let check { reconciliation = try await Self.withRunDeadline(check) }
                    if let reconciliation {
                        switch reconciliation {
                        case .applied(let answer):
                            if let row { session.journal?.didFinish(row, .succeeded(answer: answer, already: false)) }
                            session.finish(slot, .succeeded, duration: .now - start)
                            return try operation.answer(.json(answer), already: false)
                        case .notApplied:
                            break
                        case .undecidable(let why):
                            throw VendorError(vendor: operation.vendor, operation: operation.name, status: nil,
                                              message: "an earlier attempt's outcome is unknown and \(why); check the vendor, then resume with --assume-sent or --assume-not-sent",
                                              retryable: false, outcomeUnknown: true)
                        }
                    }
                    let answer = try await Self.withRunDeadline(work)
                    if let readKey { session.reads?.keep(readKey, answer) }
                    if let row { session.journal?.didFinish(row, .succeeded(answer: answer.json, already: false)) }
                    let value = try operation.answer(answer, already: false)
                    session.finish(slot, .succeeded, duration: .now - start)
                    return value
                } catch {
                    let error = session.scrubbed(error)
                    if operation.semantics.already.contains(where: { $0.matches(error) }) {
                        // Already in the state asked for: the change converged.
                        if let row { session.journal?.didFinish(row, .succeeded(answer: VendorResults.okAnswer, already: true)) }
                        session.finish(slot, .succeeded, duration: .now - start, already: true)
                        return try operation.answer(.json(VendorResults.okAnswer), already: true)
                    }
                    let unknown = error.outcomeUnknown && effect != .read
                    // Cancelled: the run ended (a limit, a stop) and cut the call. Said the
                    // same way whether this catch or the run's end records it first.
                    let why = unknown && Task.isCancelled ? VendorSession.cutShortMessage : error.description
                    if let row {
                        session.journal?.didFinish(row, unknown ? .unknown(message: why)
                                                                : .failed(message: error.description, notApplied: !error.outcomeUnknown))
                    }
                    session.finish(slot, unknown ? .unknown(why) : .failed(error.description), duration: .now - start)
                    throw session.failure(error)
                }
            }
        })
        function.notes = undo.map { [$0.documentation] } ?? []
        return function
    }

    /// `encore.deactivate_user`
    var qualifiedName: String { "\(vendor.rawValue).\(name)" }

    /// A digest of the change with every argument in full (passwords too): two calls with
    /// the same digest make the same change.
    func fingerprint(_ arguments: CheckedTable) -> String {
        var full: [String: JSONValue] = [:]
        for parameter in parameters {
            let value = arguments[parameter.name]
            if value != .nil { full[parameter.name] = (parameter.form ?? .any).recorded(value, revealing: true) }
        }
        let text = qualifiedName + " " + JSONValue.object(full).canonicalText
        return SHA256.hash(data: Data(text.utf8)).hexText
    }

    /// The idempotency key (without the occurrence): vendor, operation and the values of
    /// the arguments the declaration says identify the change.
    func changeKey(_ arguments: CheckedTable) -> String {
        // The text of `JSONValue.object(identity).compactText`, written directly (it is
        // computed for every change; journals keep it, so its form never changes).
        var key: [UInt8] = []
        key.reserveCapacity(64)
        key.append(contentsOf: vendor.rawValue.utf8)
        key.append(UInt8(ascii: "."))
        key.append(contentsOf: name.utf8)
        key.append(contentsOf: " {".utf8)
        for (index, path) in semantics.identityPaths.enumerated() {
            if index > 0 { key.append(UInt8(ascii: ",")) }
            let value = path.value(in: arguments)
            key.append(contentsOf: path.label.utf8)
            key.append(UInt8(ascii: "="))
            JSONValue(recording: value).writeCompact(into: &key)
        }
        key.append(UInt8(ascii: "}"))
        return String(decoding: key, as: UTF8.self)
    }

    /// The answer as the script sees it, checked against the declared result form here and
    /// written onto the script's stack as it resumes; `already` adds `already = true` to a table.
    func answer(_ answer: VendorAnswer, already: Bool) throws(VendorError) -> LuaAnswer {
        let form = result.form ?? .any
        do throws(WireMismatch) {
            try VendorCallProfile.shared.measure(.convert) { () throws(WireMismatch) in
                var check = WireCheck()
                try form.walk(answer, into: &check)
            }
        } catch {
            throw VendorError(vendor: vendor, operation: name, status: 200,
                              message: "unexpected answer: \(error.description)", retryable: false)
        }
        return .written(WireAnswer(form: form, answer: answer, already: already, checked: VendorCallProfile.shared.now))
    }

    /// The work for `arguments` (by parameter name, already valid), without Lua: for
    /// benchmarks of the vendor path alone.
    @_spi(Benchmarks) public func work(_ arguments: LuaTable, in session: VendorSession) throws -> @Sendable () async throws(VendorError) -> VendorAnswer {
        try start(CheckedTable(arguments), session)
    }

    /// Each given argument by its parameter's name, checked against its declared form (a
    /// secret handle unsealed where a secret goes: `sealed`).
    func checkedArguments(_ call: LuaCall, sealed: SealedSecrets? = nil) throws -> CheckedTable {
        // Text is checked first, in every argument (extra ones too), each read from Lua once.
        var values: [LuaValue?] = []
        if call.count > 0 {
            for index in 1...call.count {
                let value: LuaValue? = call.isNil(index) ? nil : try call.value(index)
                if let value { try VendorText.check(value, argument: index, parameters) }
                values.append(value)
            }
        }
        var table = LuaTable()
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            guard offset < values.count, var value = values[offset] else { continue }
            if let sealed {
                value = try (parameter.form ?? .any).unsealing(value, redacted: parameter.redacted, secrets: sealed,
                                                               label: "argument #\(index) (\(parameter.name))")
            }
            table[parameter.name] = try parameter.form.map { form throws(LuaError) in
                try form.check(value, label: "argument #\(index) (\(parameter.name))")
            } ?? value
            if parameter.urlPathSegment, case .string(let text) = value, let problem = VendorEncoding.pathSegmentProblem(text.bytes) {
                throw LuaError("argument #\(index) (\(parameter.name)) \(problem)")
            }
        }
        return CheckedTable(table)
    }

    /// The people a change affects: the items of its list-valued identifying arguments
    /// (`delete_users({a, b, c})`: three), else one.
    func people(_ arguments: CheckedTable) -> Int {
        let counts = semantics.identity.compactMap { name -> Int? in
            guard !name.contains("."), case .table(let table) = arguments[name], !table.sequence.isEmpty else { return nil }
            return table.sequence.count
        }
        return max(1, counts.max() ?? 1)
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

    /// The text of `arguments` that a record redacts (a password), for a session that keeps
    /// it out of what it stores (`PassedSecrets`).
    func redactedText(_ arguments: CheckedTable) -> [String] {
        var secrets: [String] = []
        for parameter in parameters where arguments[parameter.name] != .nil {
            (parameter.form ?? .any).redactedText(arguments[parameter.name], redacted: parameter.redacted, into: &secrets)
        }
        return secrets
    }

    /// Runs `perform` with the run's deadline visible to the HTTP layer (`VendorDeadline`).
    static func withRunDeadline<Value: Sendable>(_ perform: @Sendable () async throws(VendorError) -> Value) async throws(VendorError) -> Value {
        let outcome: Result<Value, VendorError> = await VendorDeadline.$current.withValue(LuaRunDeadline.current) {
            do throws(VendorError) { return .success(try await perform()) } catch { return .failure(error) }
        }
        return try outcome.get()
    }
}

/// Results many operations share.
public enum VendorResults {
    /// `{ok = true}`: what an operation with no answer returns.
    public static let ok: LuaResult = {
        var result = LuaResult(.shape(LuaShape([
            LuaField("ok", .boolean, optional: false, doc: "true"),
            LuaField("already", .boolean, doc: "true when the vendor said it was already so (nothing changed)"),
        ])), doc: "done")
        result.type = "{ok: true}"
        return result
    }()
    public static let okAnswer = JSONValue.object(["ok": .bool(true)])
}
