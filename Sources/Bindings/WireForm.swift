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
    /// The vendor's answer as the declared form says Lua sees it: shape fields taken from
    /// their wire paths, write-only fields never read back, extra keys kept only in an open
    /// shape. A missing required field or a value of the wrong type is a mismatch.
    func lua(fromWire value: JSONValue, at path: @autoclosure () -> String = "the answer") throws(WireMismatch) -> LuaValue {
        if value == .null { return .nil }
        switch self {
        case .any, .table: return VendorAnswer.json(value)
        case .string, .choice, .digits:
            guard case .string(let text) = value else { throw mismatch(value, path()) }
            return .string(LuaString(text))
        case .integer:
            switch value {
            case .int(let number): return .integer(Int64(number))
            case .double(let number) where Int64(exactly: number) != nil: return .integer(Int64(number))
            default: throw mismatch(value, path())
            }
        case .number:
            switch value {
            case .int(let number): return .integer(Int64(number))
            case .double(let number): return .number(number)
            default: throw mismatch(value, path())
            }
        case .boolean:
            guard case .bool(let flag) = value else { throw mismatch(value, path()) }
            return .boolean(flag)
        case .list(let element):
            guard case .array(let items) = value else { throw mismatch(value, path()) }
            var values: [LuaValue] = []
            values.reserveCapacity(items.count)
            for (offset, item) in items.enumerated() {
                values.append(try element.lua(fromWire: item, at: "\(path())[\(offset + 1)]"))
            }
            return .table(LuaTable(sequence: values))
        case .shape(let shape):
            guard case .object(let object) = value else { throw mismatch(value, path()) }
            var table = LuaTable()
            // Sized once: growing a dictionary field by field rehashes it again and again.
            table.fields.reserveCapacity(shape.fields.count)
            if shape.open {
                for (key, field) in object where shape.fields.allSatisfy({ $0.wirePath.first != key }) {
                    let converted = VendorAnswer.json(field)
                    if converted != .nil { table[key] = converted }
                }
            }
            for field in shape.fields where !field.writeOnly {
                let wirePath = field.wirePath
                var found = object[wirePath[0]]
                for key in wirePath.dropFirst() { found = found?[key] }
                guard let found, found != .null else {
                    if field.absent != .nil { table[field.name] = field.absent; continue }
                    if !field.optional { throw WireMismatch(description: "\(path()) has no \(wirePath.joined(separator: "."))") }
                    continue
                }
                // The path is spelled out only for an error message.
                table[field.name] = try field.type.lua(fromWire: found, at: "\(path()).\(wirePath.joined(separator: "."))")
            }
            return .table(table)
        }
    }

    /// The vendor's JSON for a checked table of this shape: each field at its wire path.
    func wire(from table: CheckedTable) -> JSONValue {
        guard case .shape(let shape) = self else { return JSONValue(recording: .table(table.table)) }
        var object = JSONValue.object([:])
        for field in shape.fields where table.has(field.name) {
            object.set(field.wirePath[...], field.type.wire(from: table[field.name]))
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

extension JSONValue {
    /// Sets the value at `path` in this object, creating objects on the way.
    mutating func set(_ path: ArraySlice<String>, _ value: JSONValue) {
        guard let key = path.first else { self = value; return }
        guard case .object(var fields) = self else { return }
        var child = fields[key] ?? .object([:])
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
