/// LuaArguments.swift: reading a binding's table arguments — options and field tables — with
/// errors that name the function, the argument and the key.
import LuaHost
import Vendors

/// A table argument whose keys are names: checked against the keys it may have, read with
/// typed accessors. Every mistake is an argument error: `argument #2 (options): ...`.
struct NamedFields {
    let table: LuaTable
    /// `argument #2 (options)`
    let label: String

    /// Reads argument `index` (nil or absent gives an empty table) and refuses unknown keys.
    init(_ call: LuaCall, _ index: Int32, label: String, known: [String]) throws {
        self.label = "argument #\(index) (\(label))"
        switch try call.value(index) {
        case .nil: table = LuaTable()
        case .table(let table): self.table = table
        case let other: throw LuaError("\(self.label) expected table, got \(other.typeName)")
        }
        try check(known: known)
    }

    init(_ table: LuaTable, label: String, known: [String]) throws {
        self.table = table
        self.label = label
        try check(known: known)
    }

    private func check(known: [String]) throws {
        if !table.sequence.isEmpty {
            throw LuaError("\(label) expected named fields (\(known.joined(separator: ", "))), got a list")
        }
        for key in table.fields.keys {
            guard let name = key.text, known.contains(name) else {
                let shown = key.text.map { "'\($0)'" } ?? key.typeName
                throw LuaError("\(label) has unknown field \(shown); known fields: \(known.joined(separator: ", "))")
            }
        }
    }

    func has(_ key: String) -> Bool { table[key] != .nil }

    func string(_ key: String) throws -> String? {
        switch table[key] {
        case .nil: return nil
        case .string(let string): return string.text
        case let other: throw LuaError("\(label) field \(key) expected string, got \(other.typeName)")
        }
    }

    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key) else { throw LuaError("\(label) field \(key) is required (a string)") }
        return value
    }

    func integer(_ key: String) throws -> Int? {
        let value = table[key]
        if value == .nil { return nil }
        guard let integer = value.integerValue, let exact = Int(exactly: integer) else {
            throw LuaError("\(label) field \(key) expected integer, got \(value.typeName)")
        }
        return exact
    }

    func requiredInteger(_ key: String) throws -> Int {
        guard let value = try integer(key) else { throw LuaError("\(label) field \(key) is required (an integer)") }
        return value
    }

    func boolean(_ key: String) throws -> Bool? {
        switch table[key] {
        case .nil: return nil
        case .boolean(let flag): return flag
        case let other: throw LuaError("\(label) field \(key) expected boolean, got \(other.typeName)")
        }
    }

    func strings(_ key: String) throws -> [String]? {
        let value = table[key]
        if value == .nil { return nil }
        return try stringList(value, label: "\(label) field \(key)")
    }
}

/// A list of strings (`{"a", "b"}`).
func stringList(_ value: LuaValue, label: String) throws -> [String] {
    guard case .table(let table) = value, table.fields.isEmpty else {
        throw LuaError("\(label) expected a list of strings, got \(value.typeName == "table" ? "a table with named fields" : value.typeName)")
    }
    return try table.sequence.enumerated().map { offset, element in
        guard let text = element.text else {
            throw LuaError("\(label) item \(offset + 1) expected string, got \(element.typeName)")
        }
        return text
    }
}

extension LuaCall {
    /// Argument `index`, declared a table: a list of strings.
    func strings(_ index: Int32, _ name: String) throws -> [String] {
        try stringList(try value(index), label: "argument #\(index) (\(name))")
    }

    /// Argument `index`, declared integer: as an Int.
    func int(_ index: Int32) -> Int { Int(truncatingIfNeeded: integer(index)) }

    /// Argument `index`, declared optional string: nil when absent.
    func optionalText(_ index: Int32) -> String? { isNil(index) ? nil : text(index) }
}

/// Lua values built from a vendor's answers (not `LuaResult`, which declares a result).
enum VendorAnswer {
    static func string(_ text: String?) -> LuaValue { text.map { .string(LuaString($0)) } ?? .nil }
    static func integer(_ value: Int?) -> LuaValue { value.map { .integer(Int64($0)) } ?? .nil }
    static func boolean(_ value: Bool?) -> LuaValue { value.map { .boolean($0) } ?? .nil }
    static func list(_ values: [LuaValue]) -> LuaValue { .table(LuaTable(sequence: values)) }
    static func strings(_ values: [String]) -> LuaValue { list(values.map { .string(LuaString($0)) }) }

    /// `{ok = true}`: what an operation with no answer returns.
    static let ok = LuaValue.table(LuaTable(["ok": true]))

    /// A JSON answer kept as the vendor sent it (keys as they are; null dropped).
    static func json(_ value: JSONValue) -> LuaValue {
        switch value {
        case .null: .nil
        case .bool(let flag): .boolean(flag)
        case .int(let number): .integer(Int64(number))
        case .double(let number): .number(number)
        case .string(let text): .string(LuaString(text))
        case .array(let values): list(values.map(json))
        case .object(let fields):
            .table(LuaTable(fields: Dictionary(uniqueKeysWithValues: fields.compactMap { key, field in
                let converted = json(field)
                return converted == .nil ? nil : (LuaValue.string(LuaString(key)), converted)
            })))
        }
    }
}

extension JSONValue {
    /// A string argument for the record.
    static func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
}

/// The record's arguments, nils dropped.
func arguments(_ pairs: KeyValuePairs<String, JSONValue?>) -> [VendorArgument] {
    pairs.compactMap { name, value in
        guard let value, value != .null else { return nil }
        return VendorArgument(name, value)
    }
}
