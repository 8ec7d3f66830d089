/// JSONValue.swift: a vendor response whose shape is not documented, kept as it came.
import Foundation

/// Any JSON value.
public enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        // JSON has no infinity or NaN (JSONEncoder would refuse the whole document): null,
        // as the canonical text writes them.
        case .double(let value): if value.isFinite { try container.encode(value) } else { try container.encodeNil() }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    /// The text, when this is a string.
    public var string: String? { if case .string(let text) = self { text } else { nil } }
    /// The number, when this is an integer.
    public var int: Int? { if case .int(let number) = self { number } else { nil } }
    /// The elements, when this is an array.
    public var array: [JSONValue]? { if case .array(let values) = self { values } else { nil } }
}

extension JSONValue {
    /// Sorted keys, no spaces: the form the journal stores and keys compare. Written by hand:
    /// every journaled change is serialized, and JSONEncoder costs several times more.
    public var canonicalText: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        writeCanonical(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the canonical text's UTF-8 to `bytes` (bytes, not a String: appending to a
    /// String checks and grows more per piece).
    public func writeCanonical(into bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let flag): bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): Self.writeDecimal(number, into: &bytes)
        case .double(let number): bytes.append(contentsOf: (number.isFinite ? "\(number)" : "null").utf8)
        case .string(let string): Self.quote(string, into: &bytes)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value.writeCanonical(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let fields):
            bytes.append(UInt8(ascii: "{"))
            // The positions sorted by key, in a buffer on the stack: no key is hashed again
            // to find its value, and no array of pairs is made.
            withUnsafeTemporaryAllocation(of: Dictionary<String, JSONValue>.Index.self, capacity: fields.count) { buffer in
                var order = buffer
                _ = order.initialize(from: fields.indices)
                order.sort { fields.keys[$0] < fields.keys[$1] }
                for (index, position) in order.enumerated() {
                    if index > 0 { bytes.append(UInt8(ascii: ",")) }
                    let field = fields[position]
                    Self.quote(field.key, into: &bytes)
                    bytes.append(UInt8(ascii: ":"))
                    field.value.writeCanonical(into: &bytes)
                }
                order.deinitialize()
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Whether a double is anywhere in it.
    var holdsDouble: Bool {
        switch self {
        case .double: true
        case .null, .bool, .int, .string: false
        case .array(let values): values.contains { $0.holdsDouble }
        case .object(let fields): fields.values.contains { $0.holdsDouble }
        }
    }

    /// `number` in decimal, as `String(number)` writes it (without making the String).
    public static func writeDecimal(_ number: Int, into bytes: inout [UInt8]) {
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        // The leading digit's place first, then the digits in order.
        var place: UInt = 1
        while place <= magnitude / 10 { place *= 10 }
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude / place))
            magnitude %= place
            place /= 10
        } while place > 0
    }

    /// `string` between JSON's quotes, with the escapes JSONEncoder writes.
    public static func quote(_ string: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied at once, from the string's own storage.
        let copied = string.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            bytes.append(contentsOf: utf8)
            return true
        } ?? false
        if copied { return bytes.append(UInt8(ascii: "\"")) }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case 0x08: bytes.append(contentsOf: #"\b"#.utf8)
            case 0x0C: bytes.append(contentsOf: #"\f"#.utf8)
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `string` as it reads between JSON's quotes (the escapes JSONEncoder writes).
    static func escaped(_ string: String) -> String {
        var bytes: [UInt8] = []
        quote(string, into: &bytes)
        return String(decoding: bytes.dropFirst().dropLast(), as: UTF8.self)
    }

    /// The JSON in `text`, if it is JSON.
    public static func parse(_ text: String) -> JSONValue? {
        try? JSONValue(parsing: text.utf8)
    }
}
