/// WireForm.swift: a declared form applied to JSON — a vendor's answer written into Lua
/// by its declared shape (each field from its wire path), and a script's arguments
/// written into the call record (redacted fields replaced).
import LuaHost
import Vendors

/// Why an answer did not fit its declared shape.
struct WireMismatch: Error {
    var description: String
}

extension LuaForm {
    /// Walks the vendor's answer as the declared form says Lua sees it, into `sink`: shape
    /// fields taken from their wire paths, write-only fields never read back, extra keys
    /// kept only in an open shape. A missing required field or a value of the wrong type is
    /// a mismatch. Run twice per answer: as a check (`WireCheck`) where the answer arrives,
    /// then onto the script's stack (`LuaStackWriter`) as it resumes, with no Swift table
    /// built between. The answer is a `JSONValue`, or a `JSONNode` read where it lies in
    /// the bytes the vendor sent (no dictionary or string made for it).
    func walk<Source: WireJSON, Sink: WireSink>(_ value: Source, into sink: inout Sink, at path: @autoclosure () -> String = "the answer") throws(WireMismatch) {
        if value.isNull { return sink.push(.nil) }
        switch self {
        case .any, .table: sink.pushJSON(value)
        case .string, .choice, .digits:
            guard value.pushString(into: &sink) else { throw mismatch(value, path()) }
        case .integer:
            if let number = value.int {
                sink.pushInteger(Int64(number))
            } else if let number = value.double, let integer = Int64(exactly: number) {
                sink.pushInteger(integer)
            } else {
                throw mismatch(value, path())
            }
        case .number:
            if let number = value.int {
                sink.pushInteger(Int64(number))
            } else if let number = value.double {
                sink.pushNumber(number)
            } else {
                throw mismatch(value, path())
            }
        case .boolean:
            guard let flag = value.bool else { throw mismatch(value, path()) }
            sink.pushBoolean(flag)
        case .list(let element):
            guard value.isArray else { throw mismatch(value, path()) }
            guard sink.pushTable(sequence: value.count, fields: 0) else { return }
            var index = 0
            try value.forEachItem { item throws(WireMismatch) in
                index += 1
                try element.walk(item, into: &sink, at: "\(path())[\(index)]")
                sink.setItem(index)
            }
        case .shape(let shape):
            guard value.isObject else { throw mismatch(value, path()) }
            guard sink.pushTable(sequence: 0, fields: shape.fields.count) else { return }
            if shape.open { sink.pushUndeclaredFields(of: value, declared: shape) }
            // Each field read where it lies: copying a field (its name, form, docs, ...)
            // retains and releases each of them, for every field of every answer.
            try shape.fields.withUnsafeBufferPointer { fields throws(WireMismatch) in
                for index in fields.indices where !fields[index].writeOnly {
                    guard let found = value.value(at: fields[index].wire, named: fields[index].name), !found.isNull else {
                        if fields[index].absent != .nil {
                            sink.push(fields[index].absent)
                            sink.setField(fields[index].name)
                            continue
                        }
                        if !fields[index].optional {
                            throw WireMismatch(description: "\(path()) has no \(fields[index].wirePath.joined(separator: "."))")
                        }
                        continue
                    }
                    // The path is spelled out only for an error message.
                    try fields[index].type.walk(found, into: &sink, at: "\(path()).\(fields[index].wirePath.joined(separator: "."))")
                    sink.setField(fields[index].name)
                }
            }
        }
    }

    /// `walk` over a vendor's answer, whichever form it came in.
    func walk<Sink: WireSink>(_ answer: VendorAnswer, into sink: inout Sink) throws(WireMismatch) {
        switch answer {
        case .json(let value): try walk(value, into: &sink)
        case .document(let document):
            try document.withRoot { root throws(WireMismatch) in try walk(root, into: &sink) }
        case .pages(let pages, let key):
            // One list of every page's items (each page's an array, as its client checked).
            guard case .list(let element) = self else { return try walk(answer.json, into: &sink) }
            func items(_ root: JSONNode) -> JSONNode? { key.map { root[$0] } ?? root }
            let count = pages.reduce(0) { $0 + $1.withRoot { items($0)?.count ?? 0 } }
            guard sink.pushTable(sequence: count, fields: 0) else { return }
            var index = 0
            for page in pages {
                try page.withRoot { root throws(WireMismatch) in
                    try items(root)?.forEachItem { item throws(WireMismatch) in
                        index += 1
                        try element.walk(item, into: &sink, at: "the answer[\(index)]")
                        sink.setItem(index)
                    }
                }
            }
        }
    }

    /// The answer as a Lua value, for Swift code that reads it as a script would (an undo
    /// comparing a record's state); a script gets it written straight onto its stack.
    func lua(fromWire value: JSONValue) throws(WireMismatch) -> LuaValue {
        try lua(fromWire: .json(value))
    }

    func lua(fromWire answer: VendorAnswer) throws(WireMismatch) -> LuaValue {
        var builder = LuaValueBuilder()
        try walk(answer, into: &builder)
        return builder.value
    }

    /// The vendor's JSON for a checked table of this shape: each field at its wire path.
    func wire(from table: CheckedTable) -> JSONValue {
        guard case .shape(let shape) = self else { return JSONValue(recording: .table(table.table)) }
        var object = JSONValue.object(Dictionary(minimumCapacity: table.table.fields.count))
        // The fields the table holds (a few of a shape's many), found by name among the
        // declared ones and set in declaration order: one pass over the table, no lookup
        // in it per declared field.
        var present: [(declared: Int, value: LuaValue)] = []
        present.reserveCapacity(table.table.fields.count)
        for (key, value) in table.table.fields where value != .nil {
            guard case .string(let name) = key,
                  let declared = shape.fields.firstIndex(where: { $0.name.utf8.elementsEqual(name.bytes) }) else { continue }
            present.append((declared, value))
        }
        present.sort { $0.declared < $1.declared }
        for (declared, value) in present {
            let field = shape.fields[declared]
            object.set(field.wirePath[...], field.type.wire(from: value))
        }
        return object
    }

    private func wire(from value: LuaValue) -> JSONValue {
        if case .table(let nested) = value, case .shape = self { return wire(from: CheckedTable(nested)) }
        return JSONValue(recording: value)
    }

    private func mismatch(_ value: some WireJSON, _ path: String) -> WireMismatch {
        WireMismatch(description: "\(path) is not \(spokenWireType): \(value.json.compactText.prefix(40))")
    }

    private var spokenWireType: String {
        switch self {
        case .list: "a list"
        case .shape: "an object"
        default: typeText
        }
    }

    /// What a script passed, for the call record: redacted fields (and values of a redacted
    /// parameter) read `<redacted>`, unless `revealing` (for a fingerprint, never stored as is).
    func recorded(_ value: LuaValue, redacted: Bool = false, revealing: Bool = false) -> JSONValue {
        if redacted && !revealing { return .string(SecretScrubber.replacement) }
        switch (self, value) {
        case (.list(let element), .table(let table)):
            return .array(table.sequence.map { element.recorded($0, revealing: revealing) })
        case (.shape(let shape), .table(let table)):
            var object: [String: JSONValue] = [:]
            for (key, field) in table.fields {
                guard let name = key.text else { continue }
                let declared = shape.field(name)
                object[name] = (declared?.type ?? .any).recorded(field, redacted: declared?.redacted ?? false, revealing: revealing)
            }
            return .object(object)
        default:
            return JSONValue(recording: value)
        }
    }
}

extension LuaForm {
    /// The text of `value` that a record redacts (`recorded`): every string in a redacted
    /// parameter or field, added to `secrets`.
    func redactedText(_ value: LuaValue, redacted: Bool = false, into secrets: inout [String]) {
        if redacted {
            switch value {
            case .string(let string): secrets.append(String(decoding: string.bytes, as: UTF8.self))
            case .table(let table): for item in table.sequence + Array(table.fields.values) { LuaForm.any.redactedText(item, redacted: true, into: &secrets) }
            default: break
            }
            return
        }
        switch (self, value) {
        case (.list(let element), .table(let table)):
            for item in table.sequence { element.redactedText(item, into: &secrets) }
        case (.shape(let shape), .table(let table)):
            for (key, field) in table.fields {
                guard let name = key.text, let declared = shape.field(name) else { continue }
                declared.type.redactedText(field, redacted: declared.redacted, into: &secrets)
            }
        default:
            break
        }
    }
}

extension LuaField {
    /// The first JSON key of the field's wire path.
    var wireKey: String { wire.first ?? name }
}

/// A JSON answer as the walk by declared form reads it: a `JSONValue`, or a `JSONNode` read
/// where it lies in the bytes the vendor sent.
protocol WireJSON {
    var isNull: Bool { get }
    var bool: Bool? { get }
    var int: Int? { get }
    /// A number that is not an `int`.
    var double: Double? { get }
    var isArray: Bool { get }
    var isObject: Bool { get }
    /// An array's elements, an object's fields.
    var count: Int { get }
    func forEachItem<Failure: Error>(_ body: (Self) throws(Failure) -> Void) throws(Failure)
    /// The value at a field's wire path (`wire`, or its `name` when empty), if any; given
    /// the field's parts, not the field (a field copied whole retains each of them), for
    /// every field of every answer.
    func value(at wire: [String], named name: String) -> Self?
    /// Pushes the text onto `sink`; false (nothing pushed) when this is not a string.
    func pushString<Sink: WireSink>(into sink: inout Sink) -> Bool
    /// Pushes it as the vendor sent it (keys as they are; null dropped).
    func pushJSON<Sink: WireSink>(into sink: inout Sink)
    /// Sets each non-null field of this object that `shape` does not declare into the table
    /// on top of `sink`, as sent.
    func pushUndeclaredFields<Sink: WireSink>(of shape: LuaShape, into sink: inout Sink)
    /// It as a `JSONValue` (for an error message).
    var json: JSONValue { get }
}

extension JSONValue: WireJSON {
    var isNull: Bool { self == .null }
    var bool: Bool? { if case .bool(let flag) = self { flag } else { nil } }
    var double: Double? { if case .double(let number) = self { number } else { nil } }
    var isArray: Bool { if case .array = self { true } else { false } }
    var isObject: Bool { if case .object = self { true } else { false } }

    var count: Int {
        switch self {
        case .array(let items): items.count
        case .object(let fields): fields.count
        default: 0
        }
    }

    func forEachItem<Failure: Error>(_ body: (JSONValue) throws(Failure) -> Void) throws(Failure) {
        guard case .array(let items) = self else { return }
        for item in items { try body(item) }
    }

    func value(at wire: [String], named name: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        guard let first = wire.first else { return object[name] }
        var found = object[first]
        for key in wire.dropFirst() { found = found?[key] }
        return found
    }

    func pushString<Sink: WireSink>(into sink: inout Sink) -> Bool {
        guard case .string(let text) = self else { return false }
        sink.pushString(text)
        return true
    }

    func pushJSON<Sink: WireSink>(into sink: inout Sink) {
        switch self {
        case .null: sink.push(.nil)
        case .bool(let flag): sink.pushBoolean(flag)
        case .int(let number): sink.pushInteger(Int64(number))
        case .double(let number): sink.pushNumber(number)
        case .string(let text): sink.pushString(text)
        case .array(let items):
            guard sink.pushTable(sequence: items.count, fields: 0) else { return }
            for (offset, item) in items.enumerated() {
                item.pushJSON(into: &sink)
                sink.setItem(offset + 1)
            }
        case .object(let fields):
            guard sink.pushTable(sequence: 0, fields: fields.count) else { return }
            for (key, field) in fields where field != .null {
                field.pushJSON(into: &sink)
                sink.setField(key)
            }
        }
    }

    func pushUndeclaredFields<Sink: WireSink>(of shape: LuaShape, into sink: inout Sink) {
        guard case .object(let object) = self else { return }
        for (key, field) in object where field != .null && shape.fields.allSatisfy({ $0.wireKey != key }) {
            field.pushJSON(into: &sink)
            sink.setField(key)
        }
    }

    var json: JSONValue { self }
}

extension JSONNode: WireJSON {
    func value(at wire: [String], named name: String) -> JSONNode? {
        guard let first = wire.first else { return self[name] }
        var found = self[first]
        for key in wire.dropFirst() { found = found?[key] }
        return found
    }

    func pushString<Sink: WireSink>(into sink: inout Sink) -> Bool {
        guard let bytes = stringBytes else { return false }
        sink.pushString(bytes: bytes)
        return true
    }

    func pushJSON<Sink: WireSink>(into sink: inout Sink) {
        if let bytes = stringBytes {
            sink.pushString(bytes: bytes)
        } else if let number = int {
            sink.pushInteger(Int64(number))
        } else if let number = double {
            sink.pushNumber(number)
        } else if let flag = bool {
            sink.pushBoolean(flag)
        } else if isArray {
            guard sink.pushTable(sequence: count, fields: 0) else { return }
            var index = 0
            forEachItem { item in
                index += 1
                item.pushJSON(into: &sink)
                sink.setItem(index)
            }
        } else if isObject {
            guard sink.pushTable(sequence: 0, fields: count) else { return }
            forEachField { key, field in
                guard !field.isNull else { return }
                field.pushJSON(into: &sink)
                sink.setField(bytes: key)
            }
        } else {
            sink.push(.nil)
        }
    }

    func pushUndeclaredFields<Sink: WireSink>(of shape: LuaShape, into sink: inout Sink) {
        forEachField { key, field in
            guard !field.isNull, shape.fields.allSatisfy({ !$0.wireKey.utf8.elementsEqual(key) }) else { return }
            field.pushJSON(into: &sink)
            sink.setField(bytes: key)
        }
    }

    var json: JSONValue { value }
}

extension JSONValue {
    /// Sets the value at `path` in this object, creating objects on the way.
    mutating func set(_ path: ArraySlice<String>, _ value: JSONValue) {
        guard let key = path.first else { self = value; return }
        guard case .object(var fields) = self else { return }
        // Let go of this value's hold on the fields first, so that they change in place
        // (kept, each field set would copy the whole object).
        self = .null
        var child = fields.removeValue(forKey: key) ?? .object([:])
        child.set(path.dropFirst(), value)
        fields[key] = child
        self = .object(fields)
    }

    /// A Lua value as the record keeps it: lists as arrays, named fields as objects (a key
    /// that is not a string by its Lua text: `[10]` is `"10"`).
    public init(recording value: LuaValue) {
        switch value {
        case .nil: self = .null
        case .boolean(let flag): self = .bool(flag)
        case .integer(let number): self = .int(Int(truncatingIfNeeded: number))
        case .number(let number): self = .double(number)
        case .string(let string): self = .string(string.text)
        case .table(let table):
            if table.fields.isEmpty {
                self = .array(table.sequence.map(JSONValue.init(recording:)))
            } else {
                var object: [String: JSONValue] = [:]
                for (index, element) in table.sequence.enumerated() { object[String(index + 1)] = JSONValue(recording: element) }
                for (key, element) in table.fields { object[key.keyText] = JSONValue(recording: element) }
                self = .object(object)
            }
        }
    }
}

extension LuaValue {
    /// A table key as a JSON object's key: a string as it is, a number or boolean as Lua
    /// writes it.
    var keyText: String {
        switch self {
        case .string(let string): string.text
        case .integer(let number): String(number)
        case .number(let number): String(number)
        case .boolean(let flag): String(flag)
        case .nil, .table: typeName
        }
    }
}

extension JSONValue {
    /// This answer as a Lua value where no declared form applies: kept as the vendor sent
    /// it (keys as they are; null dropped).
    var luaValue: LuaValue {
        switch self {
        case .null: .nil
        case .bool(let flag): .boolean(flag)
        case .int(let number): .integer(Int64(number))
        case .double(let number): .number(number)
        case .string(let text): .string(LuaString(text))
        case .array(let values): .table(LuaTable(sequence: values.map(\.luaValue)))
        case .object(let fields):
            .table(LuaTable(fields: Dictionary(uniqueKeysWithValues: fields.compactMap { key, field in
                let converted = field.luaValue
                return converted == .nil ? nil : (LuaValue.string(LuaString(key)), converted)
            })))
        }
    }
}

/// Where the walk of an answer by its declared form puts what it finds (each push is one
/// value; `setField` and `setItem` pop it into the table pushed before it).
protocol WireSink {
    mutating func push(_ value: LuaValue)
    mutating func pushBoolean(_ flag: Bool)
    mutating func pushInteger(_ integer: Int64)
    mutating func pushNumber(_ number: Double)
    mutating func pushString(_ text: String)
    /// A string from UTF-8 that was checked when it was parsed.
    mutating func pushString(bytes: UnsafeBufferPointer<UInt8>)
    /// A new table; false when there was no room for it (nil was pushed: fill nothing).
    mutating func pushTable(sequence: Int, fields: Int) -> Bool
    mutating func setField(_ name: String)
    mutating func setField(bytes name: UnsafeBufferPointer<UInt8>)
    mutating func setItem(_ index: Int)
    /// A JSON value kept as the vendor sent it (keys as they are; null dropped).
    mutating func pushJSON(_ value: some WireJSON)
    /// The fields of `object` that `shape` does not declare, into the table on top.
    mutating func pushUndeclaredFields(of object: some WireJSON, declared shape: LuaShape)
}

extension WireSink {
    mutating func pushJSON(_ value: some WireJSON) { value.pushJSON(into: &self) }

    mutating func pushUndeclaredFields(of object: some WireJSON, declared shape: LuaShape) {
        object.pushUndeclaredFields(of: shape, into: &self)
    }
}

extension LuaStackWriter: WireSink {}

/// The walk building a Lua value, for Swift code that reads an answer as a script would
/// (an undo comparing a record's state).
struct LuaValueBuilder: WireSink {
    private var stack: [LuaValue] = []

    /// What the walk built.
    var value: LuaValue { stack.last ?? .nil }

    mutating func push(_ value: LuaValue) { stack.append(value) }
    mutating func pushBoolean(_ flag: Bool) { stack.append(.boolean(flag)) }
    mutating func pushInteger(_ integer: Int64) { stack.append(.integer(integer)) }
    mutating func pushNumber(_ number: Double) { stack.append(.number(number)) }
    mutating func pushString(_ text: String) { stack.append(.string(LuaString(text))) }
    mutating func pushString(bytes: UnsafeBufferPointer<UInt8>) { stack.append(.string(LuaString(bytes: Array(bytes)))) }

    mutating func pushTable(sequence: Int, fields: Int) -> Bool {
        var table = LuaTable()
        table.sequence.reserveCapacity(sequence)
        table.fields.reserveCapacity(fields)
        stack.append(.table(table))
        return true
    }

    mutating func setField(_ name: String) { set(value: stack.removeLast(), key: .string(LuaString(name))) }

    mutating func setField(bytes name: UnsafeBufferPointer<UInt8>) { set(value: stack.removeLast(), key: .string(LuaString(bytes: Array(name)))) }

    private mutating func set(value: LuaValue, key: LuaValue) {
        guard case .table(var table) = stack.removeLast() else { return }
        table.fields[key] = value == .nil ? nil : value
        stack.append(.table(table))
    }

    mutating func setItem(_ index: Int) {
        let value = stack.removeLast()
        guard case .table(var table) = stack.removeLast() else { return }
        table.sequence.append(value)
        stack.append(.table(table))
    }
}

/// The walk as a check: nothing is built, a mismatch is thrown.
struct WireCheck: WireSink {
    mutating func push(_ value: LuaValue) {}
    mutating func pushBoolean(_ flag: Bool) {}
    mutating func pushInteger(_ integer: Int64) {}
    mutating func pushNumber(_ number: Double) {}
    mutating func pushString(_ text: String) {}
    mutating func pushString(bytes: UnsafeBufferPointer<UInt8>) {}
    mutating func pushTable(sequence: Int, fields: Int) -> Bool { true }
    mutating func setField(_ name: String) {}
    mutating func setField(bytes name: UnsafeBufferPointer<UInt8>) {}
    mutating func setItem(_ index: Int) {}
    // A value kept as sent has nothing to check.
    mutating func pushJSON(_ value: some WireJSON) {}
    mutating func pushUndeclaredFields(of object: some WireJSON, declared shape: LuaShape) {}
}

/// A checked answer, written onto the script's stack by its form as the script resumes;
/// `already` adds `already = true` to a table.
struct WireAnswer: LuaStackWritable {
    let form: LuaForm
    let answer: VendorAnswer
    let already: Bool
    /// When it was checked, while a profile is on: the script resumes with it from then.
    var checked: ContinuousClock.Instant? = nil

    func write(to stack: inout LuaStackWriter) {
        if let checked { VendorCallProfile.shared.add(.resume, since: checked) }
        let top = stack.top
        do throws(WireMismatch) {
            try VendorCallProfile.shared.measure(.convert) { () throws(WireMismatch) in try form.walk(answer, into: &stack) }
        } catch {
            // Checked when it arrived, so never here; if it were, the script gets nil.
            stack.restore(top)
            stack.push(.nil)
            return
        }
        if already, stack.topIsTable {
            stack.pushBoolean(true)
            stack.setField("already")
        }
    }
}
