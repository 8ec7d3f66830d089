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
    /// built between.
    func walk<Sink: WireSink>(_ value: JSONValue, into sink: inout Sink, at path: @autoclosure () -> String = "the answer") throws(WireMismatch) {
        if value == .null { return sink.push(.nil) }
        switch self {
        case .any, .table: sink.pushJSON(value)
        case .string, .choice, .digits:
            guard case .string(let text) = value else { throw mismatch(value, path()) }
            sink.pushString(text)
        case .integer:
            switch value {
            case .int(let number): sink.pushInteger(Int64(number))
            case .double(let number) where Int64(exactly: number) != nil: sink.pushInteger(Int64(number))
            default: throw mismatch(value, path())
            }
        case .number:
            switch value {
            case .int(let number): sink.pushInteger(Int64(number))
            case .double(let number): sink.pushNumber(number)
            default: throw mismatch(value, path())
            }
        case .boolean:
            guard case .bool(let flag) = value else { throw mismatch(value, path()) }
            sink.pushBoolean(flag)
        case .list(let element):
            guard case .array(let items) = value else { throw mismatch(value, path()) }
            guard sink.pushTable(sequence: items.count, fields: 0) else { return }
            for (offset, item) in items.enumerated() {
                try element.walk(item, into: &sink, at: "\(path())[\(offset + 1)]")
                sink.setItem(offset + 1)
            }
        case .shape(let shape):
            guard case .object(let object) = value else { throw mismatch(value, path()) }
            guard sink.pushTable(sequence: 0, fields: shape.fields.count) else { return }
            if shape.open {
                for (key, field) in object where field != .null && shape.fields.allSatisfy({ $0.wireKey != key }) {
                    sink.pushJSON(field)
                    sink.setField(key)
                }
            }
            // Each field read where it lies: copying a field (its name, form, docs, ...)
            // retains and releases each of them, for every field of every answer.
            try shape.fields.withUnsafeBufferPointer { fields throws(WireMismatch) in
                for index in fields.indices where !fields[index].writeOnly {
                    guard let found = LuaField.value(at: fields[index].wire, named: fields[index].name, in: object), found != .null else {
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

    /// The answer as a Lua value, for Swift code that reads it as a script would (an undo
    /// comparing a record's state); a script gets it written straight onto its stack.
    func lua(fromWire value: JSONValue) throws(WireMismatch) -> LuaValue {
        var builder = LuaValueBuilder()
        try walk(value, into: &builder)
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

    private func mismatch(_ value: JSONValue, _ path: String) -> WireMismatch {
        WireMismatch(description: "\(path) is not \(spokenWireType): \(value.compactText.prefix(40))")
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

extension LuaField {
    /// The first JSON key of the field's wire path.
    var wireKey: String { wire.first ?? name }

    /// The value at a field's wire path (`wire`, or its `name` when empty) in `object`, if
    /// any; found without making the path's array, from the field's parts (a field copied
    /// whole retains each of them), for every field of every answer.
    static func value(at wire: [String], named name: String, in object: [String: JSONValue]) -> JSONValue? {
        guard let first = wire.first else { return object[name] }
        var found = object[first]
        for key in wire.dropFirst() { found = found?[key] }
        return found
    }
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

    /// A Lua value as the record keeps it: lists as arrays, named fields as objects.
    init(recording value: LuaValue) {
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
                for (key, element) in table.fields { object[key.text ?? key.typeName] = JSONValue(recording: element) }
                self = .object(object)
            }
        }
    }
}

/// Lua values built from a vendor's answers where no declared form applies.
enum VendorAnswer {
    /// A JSON answer kept as the vendor sent it (keys as they are; null dropped).
    static func json(_ value: JSONValue) -> LuaValue {
        switch value {
        case .null: .nil
        case .bool(let flag): .boolean(flag)
        case .int(let number): .integer(Int64(number))
        case .double(let number): .number(number)
        case .string(let text): .string(LuaString(text))
        case .array(let values): .table(LuaTable(sequence: values.map(json)))
        case .object(let fields):
            .table(LuaTable(fields: Dictionary(uniqueKeysWithValues: fields.compactMap { key, field in
                let converted = json(field)
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
    /// A new table; false when there was no room for it (nil was pushed: fill nothing).
    mutating func pushTable(sequence: Int, fields: Int) -> Bool
    mutating func setField(_ name: String)
    mutating func setItem(_ index: Int)
    /// A JSON value kept as the vendor sent it (keys as they are; null dropped).
    mutating func pushJSON(_ value: JSONValue)
}

extension WireSink {
    mutating func pushJSON(_ value: JSONValue) {
        switch value {
        case .null: push(.nil)
        case .bool(let flag): pushBoolean(flag)
        case .int(let number): pushInteger(Int64(number))
        case .double(let number): pushNumber(number)
        case .string(let text): pushString(text)
        case .array(let items):
            guard pushTable(sequence: items.count, fields: 0) else { return }
            for (offset, item) in items.enumerated() {
                pushJSON(item)
                setItem(offset + 1)
            }
        case .object(let fields):
            guard pushTable(sequence: 0, fields: fields.count) else { return }
            for (key, field) in fields where field != .null {
                pushJSON(field)
                setField(key)
            }
        }
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

    mutating func pushTable(sequence: Int, fields: Int) -> Bool {
        var table = LuaTable()
        table.sequence.reserveCapacity(sequence)
        table.fields.reserveCapacity(fields)
        stack.append(.table(table))
        return true
    }

    mutating func setField(_ name: String) {
        let value = stack.removeLast()
        guard case .table(var table) = stack.removeLast() else { return }
        table[name] = value
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
    mutating func pushTable(sequence: Int, fields: Int) -> Bool { true }
    mutating func setField(_ name: String) {}
    mutating func setItem(_ index: Int) {}
    mutating func pushJSON(_ value: JSONValue) {}
}

/// A checked answer, written onto the script's stack by its form as the script resumes;
/// `already` adds `already = true` to a table.
struct WireAnswer: LuaStackWritable {
    let form: LuaForm
    let json: JSONValue
    let already: Bool

    func write(to stack: inout LuaStackWriter) {
        let top = stack.top
        do throws(WireMismatch) {
            try VendorCallProfile.shared.measure(.convert) { () throws(WireMismatch) in try form.walk(json, into: &stack) }
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
