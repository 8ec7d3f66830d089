/// LuaShape.swift: the declared form of a table that crosses the boundary — an option
/// table, a record a script passes, a result — declared once as fields, as Neovim declares
/// its keyword dictionaries. The declaration checks what a script passes (unknown keys,
/// types, required fields), names the type in docs, and becomes a LuaLS class in stubs.

/// A table's declared fields. A named shape (`GuardantUser`) is a class in the stubs; an
/// unnamed one is written inline (`{archived: boolean?, sort: string?}`).
public struct LuaShape: Sendable {
    public var name: String?
    public var fields: [LuaField]
    /// Whether keys beyond `fields` are kept (a vendor answer passed on as it is).
    public var open: Bool

    public init(_ name: String?, open: Bool = false, _ fields: [LuaField]) {
        self.name = name
        self.open = open
        self.fields = fields
    }

    /// An unnamed shape (an option table): written inline in docs and stubs.
    public init(_ fields: [LuaField]) {
        self.init(nil, fields)
    }

    public func field(_ name: String) -> LuaField? { fields.first { $0.name == name } }

    /// `{a: string, b: integer?}`, the fields a script may read or write.
    public var inlineText: String {
        "{" + fields.map { field in
            let type = field.type.typeText
            guard field.optional else { return "\(field.name): \(type)" }
            return "\(field.name): " + (type.contains("|") ? "(\(type))?" : type + "?")
        }.joined(separator: ", ") + (open ? ", ..." : "") + "}"
    }
}

/// One declared field of a shape.
public struct LuaField: Sendable {
    /// The key in Lua (snake_case).
    public var name: String
    public var type: LuaForm
    public var doc: String
    /// May be nil: not required in what a script passes; may be absent in an answer.
    public var optional: Bool
    /// Never written to a record or a plan as given (a password).
    public var redacted: Bool
    /// Accepted from scripts but never read back (the vendor does not return it).
    public var writeOnly: Bool
    /// Read back but never accepted from scripts (an id the vendor assigns).
    public var readOnly: Bool
    /// What an answer without this field reads as (an empty list), if not nil.
    public var absent: LuaValue
    /// Where the value is in the vendor's JSON, as keys from the object's root
    /// (`["userdetails", "firstname"]`); empty: the Lua name.
    public var wire: [String]

    public init(_ name: String, _ type: LuaForm, optional: Bool = true, redacted: Bool = false, writeOnly: Bool = false,
                readOnly: Bool = false, absent: LuaValue = .nil, wire: String? = nil, doc: String) {
        self.readOnly = readOnly
        self.absent = absent
        self.name = name
        self.type = type
        self.doc = doc
        self.optional = optional
        self.redacted = redacted
        self.writeOnly = writeOnly
        self.wire = wire.map { $0.split(separator: ".").map(String.init) } ?? []
    }

    /// The JSON keys that lead to the value.
    public var wirePath: [String] { wire.isEmpty ? [name] : wire }
}

/// What a declared value is: a scalar, one of some strings, a list, or a shaped table.
public indirect enum LuaForm: Sendable {
    case string
    case integer
    case number
    case boolean
    /// A string of digits; an integer is accepted and written as its digits.
    case digits
    /// One of these strings (matched without regard to case; the declared spelling is kept).
    case choice([String])
    case list(LuaForm)
    case shape(LuaShape)
    /// Any table, not checked further.
    case table
    /// Anything.
    case any

    /// The type as docs and stubs write it: `string`, `"asc"|"desc"`, `GuardantUser[]`.
    public var typeText: String {
        switch self {
        case .string, .digits: "string"
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .choice(let values): values.map { "\"\($0)\"" }.joined(separator: "|")
        case .list(let element):
            if case .shape(let shape) = element, shape.name == nil { "(\(element.typeText))[]" } else { element.typeText + "[]" }
        case .shape(let shape): shape.name ?? shape.inlineText
        case .table: "table"
        case .any: "any"
        }
    }

    /// The host type a parameter of this form is checked against first.
    public var luaTypes: [LuaType] {
        switch self {
        case .string, .choice: [.string]
        case .digits: [.string, .integer]
        case .integer: [.integer]
        case .number: [.number]
        case .boolean: [.boolean]
        case .list, .shape, .table: [.table]
        case .any: [.any]
        }
    }

    /// The named shapes this form mentions, nested ones first (each once), for stubs.
    public var namedShapes: [LuaShape] {
        var seen: Set<String> = []
        var shapes: [LuaShape] = []
        func visit(_ form: LuaForm) {
            switch form {
            case .list(let element): visit(element)
            case .shape(let shape):
                for field in shape.fields { visit(field.type) }
                if let name = shape.name, seen.insert(name).inserted { shapes.append(shape) }
            default: break
            }
        }
        visit(self)
        return shapes
    }

    /// Checks what a script passed as `label` (`argument #2 (options)`) and returns it
    /// normalized: integral floats as integers, choices in their declared spelling.
    public func check(_ value: LuaValue, label: @autoclosure () -> String) throws(LuaError) -> LuaValue {
        // The label and the known fields are spelled out only for a message: this runs on
        // every argument of every call.
        switch self {
        case .any: return value
        case .string:
            guard case .string = value else { throw mismatch(value, label()) }
            return value
        case .integer:
            guard let integer = value.integerValue else { throw mismatch(value, label()) }
            return .integer(integer)
        case .number:
            switch value {
            case .integer, .number: return value
            default: throw mismatch(value, label())
            }
        case .boolean:
            guard case .boolean = value else { throw mismatch(value, label()) }
            return value
        case .digits:
            let text: String
            if case .integer(let number) = value, number >= 0 {
                text = String(number)
            } else if let string = value.text {
                text = string
            } else {
                throw mismatch(value, label())
            }
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw LuaError("\(label()) must be digits, got \"\(QuotedText.shown(text))\"")
            }
            return .string(LuaString(text))
        case .choice(let values):
            guard let text = value.text else { throw mismatch(value, label()) }
            guard let match = values.first(where: { $0.lowercased() == text.lowercased() }) else {
                throw LuaError("\(label()) must be \(Self.spoken(values)), got \"\(QuotedText.shown(text))\"")
            }
            return .string(LuaString(match))
        case .table:
            guard case .table = value else { throw mismatch(value, label()) }
            return value
        case .list(let element):
            guard case .table(let table) = value, table.fields.isEmpty else {
                if case .table = value { throw LuaError("\(label()) expected a list of \(element.pluralType), got a table with named fields") }
                throw LuaError("\(label()) expected a list of \(element.pluralType), got \(value.typeName)")
            }
            var items: [LuaValue] = []
            items.reserveCapacity(table.sequence.count)
            for (offset, item) in table.sequence.enumerated() {
                items.append(try element.check(item, label: "\(label()) item \(offset + 1)"))
            }
            return .table(LuaTable(sequence: items))
        case .shape(let shape):
            guard case .table(let table) = value else { throw mismatch(value, label()) }
            func known() -> String { shape.fields.filter { !$0.readOnly }.map(\.name).joined(separator: ", ") }
            if !table.sequence.isEmpty && !shape.open {
                throw LuaError("\(label()) expected named fields (\(known())), got a list")
            }
            var checked = LuaTable()
            for (key, field) in table.fields {
                guard let name = key.text, let declared = shape.field(name), !declared.readOnly else {
                    if shape.open { checked.fields[key] = field; continue }
                    let shown = key.text.map { "'\(QuotedText.shown($0))'" } ?? LuaState.keyDescription(key)
                    throw LuaError("\(label()) has unknown field \(shown); known fields: \(known())")
                }
                checked[name] = try declared.type.check(field, label: "\(label()) field \(name)")
            }
            for field in shape.fields where !field.optional && !field.readOnly && checked[field.name] == .nil {
                throw LuaError("\(label()) field \(field.name) is required (\(field.type.spokenType))")
            }
            return .table(checked)
        }
    }

    /// `a string`, `an integer`, `a table`: for messages.
    var spokenType: String {
        switch self {
        case .integer: "an integer"
        case .any: "any value"
        case .choice(let values): Self.spoken(values)
        case .list(let element): "a list of \(element.pluralType)"
        case .digits: "a string of digits"
        default: "a " + typeText
        }
    }

    /// `strings`, `tables`: for "a list of ...".
    var pluralType: String {
        switch self {
        case .string, .integer, .number, .boolean, .table: typeText + "s"
        case .digits: "strings of digits"
        case .shape(let shape): shape.name.map { "\($0) tables" } ?? "tables"
        case .choice(let values): "strings (\(Self.spoken(values)))"
        case .list: "lists"
        case .any: "values"
        }
    }

    private static func spoken(_ values: [String]) -> String {
        let quoted = values.map { "\"\($0)\"" }
        return quoted.count <= 2 ? quoted.joined(separator: " or ") : quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
    }

    private func mismatch(_ value: LuaValue, _ label: String) -> LuaError {
        switch self {
        case .shape, .table: LuaError("\(label) expected table, got \(value.typeName)")
        default: LuaError("\(label) expected \(typeText), got \(value.typeName)" + (value.text.map { TextGivenForValue.hint($0, wanted: luaTypes) } ?? ""))
        }
    }
}
