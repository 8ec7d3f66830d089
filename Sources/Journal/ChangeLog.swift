/// ChangeLog.swift: the append-only log of one attempt's journal writes, beside the
/// journal's database. A change is appended here (a copy into a shared mapping, no
/// transaction) before it is sent: that is what makes it durable against a killed process, and the database takes
/// the log's records in batches, off the calls' path. The attempt holds an exclusive lock on
/// its log while it runs; a log whose lock is free belongs to a process that is gone, and the
/// next process to open the journal stores what it holds, then deletes it.
import Foundation
import Synchronization

/// One attempt's change log: a file mapped into memory (shared with the page cache), so
/// that appending a record is a copy, not a system call; the page cache keeps it when the
/// process is killed. Records are length-prefixed and the file is zero beyond the last one.
public final class ChangeLog: Sendable {
    public let path: String
    private let descriptor: Int32

    /// The pointer is only used under the lock.
    private struct Mapping: @unchecked Sendable {
        var base: UnsafeMutableRawPointer?
        var capacity: Int
        var end = 0
        /// Where the records not yet in the database start.
        var stored = 0
        var removed = false
    }

    /// Held while a record is copied (and while the mapping grows).
    private let mapping: Mutex<Mapping>

    private init(path: String, descriptor: Int32, base: UnsafeMutableRawPointer, capacity: Int) {
        self.path = path
        self.descriptor = descriptor
        mapping = Mutex(Mapping(base: base, capacity: capacity))
    }

    deinit {
        mapping.withLock { mapping in
            if let base = mapping.base { munmap(base, mapping.capacity) }
            if !mapping.removed { close(descriptor) }
        }
    }

    /// The first size of a log's file; it doubles as it fills.
    public static let initialCapacity = 1 << 20
    /// The size of a log made for a few records (an attempt's end the database could not
    /// take): a disk with no room for a megabyte may still have a page.
    public static let smallCapacity = 1 << 12

    /// The folder of `store`'s logs: `journal.sqlite.changes/` (mode 0700).
    static func folder(of store: any JournalStore) -> String { store.changeLogFolder }

    /// A new log for attempt `attempt` of run `runID`, locked by this process.
    public static func create(for store: any JournalStore, runID: Int64, attempt: Int, capacity: Int = initialCapacity) throws(JournalError) -> ChangeLog {
        let folder = folder(of: store)
        if !FileManager.default.fileExists(atPath: folder) {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let name = "\(runID)-\(attempt)-\(UUID().uuidString.lowercased())"
        // Locked under a name recovery ignores, then renamed: recovery never takes a log
        // between its creation and its lock.
        let temporary = folder + "/" + name + ".new", final = folder + "/" + name + ".log"
        let descriptor = open(temporary, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw JournalError("cannot create the change log \(temporary): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX) == 0, reserve(descriptor, capacity),
              let base = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), base != MAP_FAILED,
              rename(temporary, final) == 0
        else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            unlink(temporary)
            throw JournalError("cannot create the change log \(final): \(reason)")
        }
        return ChangeLog(path: final, descriptor: descriptor, base: base, capacity: capacity)
    }

    /// Appends `operations`, then `last`: once it returns, a killed process loses none of them.
    /// The records are written straight into the mapping (their size first, so that it
    /// grows before any byte is written), the first record's length last: a copy cut short
    /// reads as the log's end.
    public func append(_ operations: [JournalOperation], then last: JournalOperation? = nil) throws(JournalError) {
        guard !operations.isEmpty || last != nil else { return } // no record: nothing to copy
        var size = last.map(LogRecord.size(of:)) ?? 0
        for operation in operations { size += LogRecord.size(of: operation) }
        try mapping.withLock { mapping throws(JournalError) in
            guard !mapping.removed else { throw JournalError("the change log \(path) is closed") }
            if mapping.end + size + 8 > mapping.capacity { try grow(&mapping, toHold: mapping.end + size + 8) }
            guard let base = mapping.base else { throw JournalError("the change log \(path) is not mapped") }
            var writer = LogRecord.Writer(at: base + mapping.end)
            for operation in operations { writer.write(operation) }
            if let last { writer.write(last) }
            writer.seal()
            mapping.end += size
        }
    }

    /// Stores in `store` (one transaction) the records appended since the last call. A
    /// failure leaves them for the next call, or for the next process to open the journal:
    /// the log is the queue of what the database has yet to take, so nothing waits in
    /// memory. Calls must not overlap (batches go in order).
    public func storeAppended(in store: any JournalStore) throws(JournalError) {
        // Copied out under the lock, read and stored outside it: appends go on meanwhile.
        let (bytes, end) = mapping.withLock { mapping -> ([UInt8], Int) in
            guard let base = mapping.base, mapping.end > mapping.stored else { return ([], mapping.end) }
            return (Array(UnsafeRawBufferPointer(start: base + mapping.stored, count: mapping.end - mapping.stored)), mapping.end)
        }
        guard !bytes.isEmpty else { return }
        try store.commit(records: bytes, idempotent: false)
        mapping.withLock { $0.stored = end }
    }

    /// A larger file, mapped again.
    private func grow(_ mapping: inout Mapping, toHold size: Int) throws(JournalError) {
        var capacity = mapping.capacity
        while capacity < size { capacity *= 2 }
        if let base = mapping.base { munmap(base, mapping.capacity) }
        mapping.base = nil
        guard Self.reserve(descriptor, capacity),
              let base = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), base != MAP_FAILED else {
            throw JournalError("cannot grow the change log \(path): \(String(cString: strerror(errno)))")
        }
        mapping.base = base
        mapping.capacity = capacity
    }

    /// Makes the file `capacity` bytes long with its blocks allocated (errno set when not).
    /// A file only made long (ftruncate) has holes, and a copy into a hole of the mapping
    /// on a full disk is not an error but SIGBUS: the process died (exit 135) before the
    /// change it was journaling was sent, its log cut. Reserved here, a full disk is this
    /// call's error, and the change is not sent.
    private static func reserve(_ descriptor: Int32, _ capacity: Int) -> Bool {
        let result = posix_fallocate(descriptor, 0, off_t(capacity))
        if result != 0 { errno = result }
        return result == 0
    }

    /// Deletes the log (everything in it is stored) and releases it.
    public func remove() {
        mapping.withLock { mapping in
            guard !mapping.removed else { return }
            mapping.removed = true
            if let base = mapping.base { munmap(base, mapping.capacity) }
            mapping.base = nil
            unlink(path)
            close(descriptor)
        }
    }

    /// What an open does with a change log the journal cannot take (a full disk, say).
    public enum Recovery: Sendable {
        /// The open fails: a command that sends changes or reads a run's state to go on
        /// from it must not see the journal without what waits in the logs.
        case required
        /// The log is left for the next open, the failure handed to `report` (once), and
        /// the open goes on: for commands that only show what the journal holds.
        case whenPossible(report: @Sendable (JournalError) -> Void)
    }

    /// Stores what the logs of processes that are gone hold, then deletes them.
    static func recover(into store: any JournalStore, _ recovery: Recovery) throws(JournalError) {
        do {
            try recover(into: store)
        } catch {
            guard case .whenPossible(let report) = recovery else { throw error }
            report(error)
        }
    }

    /// Stores what the logs of processes that are gone hold, then deletes them.
    public static func recover(into store: any JournalStore) throws(JournalError) {
        let folder = folder(of: store)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names.sorted() where name.hasSuffix(".log") {
            let path = folder + "/" + name
            let descriptor = open(path, O_RDWR | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            // Locked: its process still runs (and stores it itself).
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            try store.commit(records: [UInt8](data), idempotent: true)
            unlink(path)
        }
    }
}

/// A log record: one operation, its fields length-prefixed (no escaping on the path of
/// every change): the record's length, a kind byte (`i` a change, `f` an outcome, `r` a
/// row's end, `e` an attempt's end), then its fields in a fixed order, each a string
/// (length and UTF-8, or -1 for none) or an integer. A record cut short by a kill is left
/// out when the log is read.
enum LogRecord {
    /// The bytes `operation`'s record takes.
    static func size(of operation: JournalOperation) -> Int {
        func text(_ value: String?) -> Int { 8 + (value?.utf8.count ?? 0) }
        // The length, the kind, the place (3 integers), the time, the state.
        let common = 8 + 1 + 24 + 8
        switch operation {
        case .insert(let change, _, let state, let replayedFrom, _):
            return common + text(state.rawValue) + text(change.vendor) + text(change.operation) + text(change.effect) + text(change.key)
                + text(change.arguments) + text(change.stateBefore) + 24 + text(replayedFrom?.result)
        case .finish(_, let state, _, let result, let error, _, _):
            return common + text(state.rawValue) + 16 + text(result) + text(error)
        case .row(let row):
            // The length, the kind, run and attempt, the time, the number, the changes.
            return 8 + 1 + 16 + 8 + 8 + 8 + text(row.key) + text(row.sha256) + text(row.state.rawValue) + text(row.error)
        case .end(let end):
            // The length, the kind, run and attempt, the time, the exit code, the reads.
            return 8 + 1 + 16 + 8 + 8 + 8 + text(end.outcome) + text(end.error)
        }
    }

    /// Writes records at a place with room for them (`size(of:)` each): plain stores, no
    /// buffer in between. The first record's length is held back until `seal()`: zero
    /// there (the file beyond the log's end) reads as the end, so a write cut short by a
    /// kill leaves the log as it was.
    struct Writer {
        private var pointer: UnsafeMutableRawPointer
        private var first: (at: UnsafeMutableRawPointer, length: Int64)?

        init(at pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

        mutating func write(_ operation: JournalOperation) {
            let start = pointer
            pointer += 8 // the record's length, set below
            switch operation {
            case .insert(let change, let place, let state, let replayedFrom, let at):
                pointer.storeBytes(of: UInt8(ascii: "i"), as: UInt8.self)
                pointer += 1
                common(place, state, at)
                string(change.vendor)
                string(change.operation)
                string(change.effect)
                string(change.key)
                string(change.arguments)
                string(change.stateBefore)
                integer(Int64(change.occurrence))
                integer(replayedFrom?.id ?? -1)
                integer(replayedFrom?.already == true ? 1 : 0)
                string(replayedFrom?.result)
            case .finish(let place, let state, let already, let result, let error, let notApplied, let at):
                pointer.storeBytes(of: UInt8(ascii: "f"), as: UInt8.self)
                pointer += 1
                common(place, state, at)
                integer(already ? 1 : 0)
                integer(notApplied ? 1 : 0)
                string(result)
                string(error)
            case .row(let row):
                end("r", row.runID, row.attempt, row.finishedAt, numbers: (row.number, row.changes),
                    texts: [row.key, row.sha256, row.state.rawValue, row.error])
            case .end(let end):
                self.end("e", end.runID, end.attempt, end.endedAt, numbers: (end.exitCode, end.reads), texts: [end.outcome, end.error])
            }
            let length = Int64(pointer - start).littleEndian
            if first == nil { first = (start, length) } else { start.storeBytes(of: length, as: Int64.self) }
        }

        /// Writes the first record's length, after everything it covers.
        func seal() {
            guard let first else { return }
            first.at.storeBytes(of: first.length, as: Int64.self)
        }

        /// A row's end (`r`) or an attempt's (`e`): its kind, run, attempt and time, two
        /// numbers, then its texts (as `Reader.rowOrEnd` reads them).
        private mutating func end(_ kind: Unicode.Scalar, _ runID: Int64, _ attempt: Int, _ at: Date, numbers: (Int, Int), texts: [String?]) {
            pointer.storeBytes(of: UInt8(ascii: kind), as: UInt8.self)
            pointer += 1
            integer(runID)
            integer(Int64(attempt))
            integer(Int64(bitPattern: at.timeIntervalSince1970.bitPattern))
            integer(Int64(numbers.0))
            integer(Int64(numbers.1))
            texts.forEach { string($0) }
        }

        private mutating func common(_ place: ChangeReference, _ state: ChangeState, _ at: Date) {
            integer(place.runID)
            integer(Int64(place.attempt))
            integer(Int64(place.sequence))
            integer(Int64(bitPattern: at.timeIntervalSince1970.bitPattern))
            string(state.rawValue)
        }

        private mutating func integer(_ value: Int64) {
            pointer.storeBytes(of: value.littleEndian, as: Int64.self)
            pointer += 8
        }

        private mutating func string(_ value: String?) {
            guard var text = value else { return integer(-1) }
            text.withUTF8 { utf8 in
                integer(Int64(utf8.count))
                if let source = utf8.baseAddress { pointer.copyMemory(from: source, byteCount: utf8.count) }
                pointer += utf8.count
            }
        }
    }

    /// The operations of records `bytes`, in order; a last record cut short is left out.
    static func operations(in bytes: [UInt8]) -> [JournalOperation] {
        var reader = Reader(bytes: bytes)
        var operations: [JournalOperation] = []
        while let view = reader.next() { operations.append(view.operation(in: bytes)) }
        return operations
    }

    /// The bytes of `operations`' records.
    static func records(of operations: [JournalOperation]) -> [UInt8] {
        let total = operations.reduce(0) { $0 + size(of: $1) }
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            guard let base = buffer.baseAddress else { return }
            var writer = Writer(at: UnsafeMutableRawPointer(base))
            for operation in operations { writer.write(operation) }
            writer.seal()
            count = total
        }
    }

    /// A record read in place: its numbers, and its texts as ranges of the records' bytes
    /// (a store binds them from there; nothing is copied into a String).
    struct View {
        /// An outcome (`f`), or a change's row (`i`).
        var isOutcome: Bool
        /// A row's end (`r`) or an attempt's (`e`), read whole (they are rare): the fields
        /// below are then not used.
        var rowOrEnd: JournalOperation?
        var place: ChangeReference
        /// Seconds since 1970.
        var time: Double
        var state: ChangeState
        var already = false
        var result: Range<Int>?
        // A change's row:
        var vendor = 0..<0, operation = 0..<0, effect = 0..<0, key = 0..<0, arguments = 0..<0
        var stateBefore: Range<Int>?
        var occurrence = 0
        /// The earlier change it was replayed from (its `already` and `result` are this record's).
        var replayedFrom: Int64?
        // An outcome:
        var error: Range<Int>?
        var notApplied = false

        /// The text at `range` of `bytes`.
        static func text(_ range: Range<Int>?, in bytes: [UInt8]) -> String? {
            range.map { range in bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) } }
        }

        /// The operation it records, its texts copied out of `bytes`.
        func operation(in bytes: [UInt8]) -> JournalOperation {
            if let rowOrEnd { return rowOrEnd }
            let at = Date(timeIntervalSince1970: time)
            let text = { (range: Range<Int>) in Self.text(range, in: bytes)! }
            if isOutcome {
                return .finish(place, state: state, already: already, result: Self.text(result, in: bytes), error: Self.text(error, in: bytes),
                               notApplied: notApplied, at: at)
            }
            let change = NewChange(vendor: text(vendor), operation: text(operation), effect: text(effect), key: text(key), occurrence: occurrence,
                                   arguments: text(arguments), stateBefore: Self.text(stateBefore, in: bytes))
            return .insert(change, place, state: state,
                           replayedFrom: replayedFrom.map { ReplaySource(id: $0, already: already, result: Self.text(result, in: bytes)) }, at: at)
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        /// The next record, or nil at the end (or at a record cut short).
        mutating func next() -> View? {
            let start = offset
            guard let length = integer(), length > 9, start + Int(length) <= bytes.count else { return nil }
            defer { offset = start + Int(length) }
            let kind = bytes[offset]
            offset += 1
            if kind == UInt8(ascii: "r") || kind == UInt8(ascii: "e") { return rowOrEnd(kind) }
            guard let run = integer(), let attempt = integer(), let sequence = integer(), let time = integer(),
                  let stateName = string(), let state = stateName.flatMap(state(named:))
            else { return nil }
            var view = View(isOutcome: kind == UInt8(ascii: "f"), rowOrEnd: nil, place: ChangeReference(runID: run, attempt: Int(attempt), sequence: Int(sequence)),
                            time: Double(bitPattern: UInt64(bitPattern: time)), state: state)
            if view.isOutcome {
                guard let already = integer(), let notApplied = integer(), let result = string(), let error = string() else { return nil }
                view.already = already == 1
                view.notApplied = notApplied == 1
                view.result = result
                view.error = error
                return view
            }
            guard let vendor = string() ?? nil, let operation = string() ?? nil, let effect = string() ?? nil, let key = string() ?? nil,
                  let arguments = string() ?? nil, let before = string(), let occurrence = integer(), let from = integer(),
                  let already = integer(), let result = string() else { return nil }
            (view.vendor, view.operation, view.effect, view.key, view.arguments) = (vendor, operation, effect, key, arguments)
            view.stateBefore = before
            view.occurrence = Int(occurrence)
            view.replayedFrom = from < 0 ? nil : from
            view.already = already == 1
            view.result = result
            return view
        }

        /// A row's end (`r`) or an attempt's (`e`), its texts copied out.
        private mutating func rowOrEnd(_ kind: UInt8) -> View? {
            guard let run = integer(), let attempt = integer(), let time = integer(), let first = integer(), let second = integer(),
                  let firstText = string() ?? nil, let secondText = string() else { return nil }
            let at = Date(timeIntervalSince1970: Double(bitPattern: UInt64(bitPattern: time)))
            let bytes = bytes
            func text(_ range: Range<Int>?) -> String? { View.text(range, in: bytes) }
            let operation: JournalOperation
            if kind == UInt8(ascii: "e") {
                operation = .end(AttemptEnd(runID: run, attempt: Int(attempt), outcome: text(firstText)!, exitCode: Int(first),
                                            reads: Int(second), error: text(secondText), endedAt: at))
            } else {
                guard let sha256 = secondText, let stateName = string() ?? nil, let state = text(stateName).flatMap(RowState.init(rawValue:)),
                      let error = string() else { return nil }
                operation = .row(JournalRow(runID: run, number: Int(first), attempt: Int(attempt), key: text(firstText)!, sha256: text(sha256)!,
                                            state: state, error: text(error), changes: Int(second), finishedAt: at))
            }
            return View(isOutcome: false, rowOrEnd: operation, place: ChangeReference(runID: run, attempt: Int(attempt), sequence: 0),
                        time: at.timeIntervalSince1970, state: .planned)
        }

        /// The state whose name lies at `range`, compared in place (every record names one).
        private func state(named range: Range<Int>) -> ChangeState? {
            bytes.withUnsafeBufferPointer { buffer in
                let name = UnsafeBufferPointer(rebasing: buffer[range])
                return Self.states.first { $0.name.elementsEqual(name) }?.state
            }
        }

        private static let states = ChangeState.allCases.map { (name: Array($0.rawValue.utf8), state: $0) }

        private mutating func integer() -> Int64? {
            guard offset + 8 <= bytes.count else { return nil }
            let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int64.self) }
            offset += 8
            return Int64(littleEndian: value)
        }

        /// A text's range, `.some(nil)` for none, nil when the record is cut short.
        private mutating func string() -> Range<Int>?? {
            guard let length = integer() else { return nil }
            if length < 0 { return .some(nil) }
            guard offset + Int(length) <= bytes.count else { return nil }
            defer { offset += Int(length) }
            return .some(offset..<offset + Int(length))
        }
    }
}
