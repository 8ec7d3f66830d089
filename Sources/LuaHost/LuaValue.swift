/// LuaValue.swift: the values that cross between Lua and Swift.

/// A Lua value that can cross into Swift and back: nil, booleans, integers and floats kept
/// apart, byte strings, and tables (a sequence part and a map part, nested).
///
/// Functions, userdata and threads cannot cross; reading one is a ``LuaConversionError``.
public enum LuaValue: Sendable, Hashable {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(LuaString)
    case table(LuaTable)

    /// The Lua type name, as `type()` would say it ("integer" and "float" are told apart).
    public var typeName: String {
        switch self {
        case .nil: "nil"
        case .boolean: "boolean"
        case .integer: "integer"
        case .number: "float"
        case .string: "string"
        case .table: "table"
        }
    }

    /// The string's text when this is a string (invalid UTF-8 is repaired).
    public var text: String? {
        if case .string(let string) = self { return string.text }
        return nil
    }

    /// The integer when this is an integer, or a float with an integral value.
    public var integerValue: Int64? {
        switch self {
        case .integer(let value): value
        case .number(let value): Int64(exactly: value)
        default: nil
        }
    }
}

extension LuaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(LuaString(value)) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(nilLiteral: ()) { self = .nil }
}

/// A Lua string: bytes, which need not be UTF-8.
public struct LuaString: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The string's bytes, exactly as Lua holds them.
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { self.bytes = Array(text.utf8) }
    public init(stringLiteral value: String) { self.init(value) }

    /// The text, with invalid UTF-8 sequences replaced.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public var description: String { text }

    /// The bytes hashed at once (an array hashes its elements one by one): every lookup of
    /// a table's field by name hashes its key.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.count)
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

/// A Lua table as a value: its sequence `1...n` and the remaining fields.
public struct LuaTable: Sendable, Hashable {
    /// Values at keys 1, 2, ... n with no gap.
    public var sequence: [LuaValue]
    /// Every other key.
    public var fields: [LuaValue: LuaValue]
    /// A metatable registered by a module (`LuaMetatable`), set when the table is pushed:
    /// how error objects get their `__tostring`. Not read back from Lua.
    public var metatable: String?

    public init(sequence: [LuaValue] = [], fields: [LuaValue: LuaValue] = [:], metatable: String? = nil) {
        self.sequence = sequence
        self.fields = fields
        self.metatable = metatable
    }

    /// A table of string keys, the shape of most vendor results.
    public init(_ fields: KeyValuePairs<String, LuaValue>) {
        self.sequence = []
        self.fields = [:]
        for (key, value) in fields where value != .nil {
            self.fields[.string(LuaString(key))] = value
        }
    }

    /// The field at a string key (`.nil` when absent).
    public subscript(key: String) -> LuaValue {
        get { fields[.string(LuaString(key))] ?? .nil }
        set {
            if newValue == .nil {
                fields[.string(LuaString(key))] = nil
            } else {
                fields[.string(LuaString(key))] = newValue
            }
        }
    }
}

/// A Lua value that cannot cross into Swift: a function, userdata, a thread, a cycle, or a
/// table nested too deeply.
public struct LuaConversionError: Error, CustomStringConvertible, Sendable {
    /// Why, naming where in the value: `cannot pass a function (at key "callback")`.
    public var description: String
}

extension LuaValue {
    /// A short Lua literal of the value for one-line messages (an error object that is a
    /// plain table): `{code = 1, message = "no such user"}`. Sequence first, then fields in
    /// key order; tables nested past two levels read `{…}`; cut with `…` past `limit`
    /// characters.
    public func literal(limit: Int = 200) -> String {
        var text = ""
        append(to: &text, depth: 0)
        guard text.count > limit else { return text }
        return String(text.prefix(limit)) + "…"
    }

    private func append(to text: inout String, depth: Int) {
        switch self {
        case .nil: text += "nil"
        case .boolean(let flag): text += flag ? "true" : "false"
        case .integer(let integer): text += String(integer)
        case .number(let number): text += number.isFinite ? String(number) : (number.isNaN ? "0/0" : (number > 0 ? "1/0" : "-1/0"))
        case .string(let string): text += LuaLiteral.string(string.text)
        case .table(let table):
            guard depth < 2 else {
                text += table.sequence.isEmpty && table.fields.isEmpty ? "{}" : "{…}"
                return
            }
            text += "{"
            var first = true
            func separate() {
                if !first { text += ", " }
                first = false
            }
            for element in table.sequence {
                separate()
                element.append(to: &text, depth: depth + 1)
            }
            for (key, element) in table.fields.sorted(by: { Self.displayOrder($0.key, $1.key) }) {
                separate()
                if case .string(let name) = key, LuaLiteral.isName(name.text) {
                    text += name.text
                } else {
                    text += "["
                    key.append(to: &text, depth: 2)
                    text += "]"
                }
                text += " = "
                element.append(to: &text, depth: depth + 1)
            }
            text += "}"
        }
    }

    /// Orders keys for display: numbers by value, then strings, then the rest.
    private static func displayOrder(_ left: LuaValue, _ right: LuaValue) -> Bool {
        func rank(_ value: LuaValue) -> (Int, Double, String) {
            switch value {
            case .integer(let integer): (0, Double(integer), "")
            case .number(let number): (0, number, "")
            case .string(let string): (1, 0, string.text)
            default: (2, 0, value.typeName)
            }
        }
        let (a, b) = (rank(left), rank(right))
        if a.0 != b.0 { return a.0 < b.0 }
        if a.1 != b.1 { return a.1 < b.1 }
        return a.2 < b.2
    }
}

/// Lua source for a string and a field name: what a literal, a generated script or a
/// message shows.
public enum LuaLiteral {
    /// A quoted Lua string: quotes, backslashes and control characters escaped.
    public static func string(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: quoted += "\\\(scalar.value)"
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    /// Whether `key` can be written bare (`name = …`) rather than as `["key"] = …`.
    public static func isName(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return !keywords.contains(key) && key.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) }
    }

    private static let keywords: Set<String> = [
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
        "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
    ]
}
