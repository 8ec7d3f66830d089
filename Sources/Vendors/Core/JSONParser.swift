/// JSONParser.swift: vendor answers read in one pass over their bytes into a `JSONDocument`,
/// a flat list of entries over the bytes themselves. An answer written straight into Lua
/// is read from there (no dictionary or string made per field); `JSONValue` is built from
/// it where Swift code reads an answer. JSONDecoder, going through Codable (trying each
/// type in turn, an error thrown per miss), cost a sixth of a call's CPU.

import Foundation

/// Why a text is not JSON: what was found, and at which byte.
public struct JSONParseError: Error, CustomStringConvertible, Equatable {
    public let offset: Int
    public let reason: String

    public var description: String { "\(reason) at byte \(offset)" }
}

extension JSONValue {
    /// Nesting deeper than this is refused: a hostile answer must not exhaust the stack.
    public static let maximumDepth = 256

    /// The JSON in `bytes` (RFC 8259: one value, whitespace around it). A number whose value
    /// is a whole number that fits an `Int` is `.int` (as JSONDecoder read it); any other, `.double`.
    public init(parsing bytes: some Collection<UInt8>) throws(JSONParseError) {
        self = try JSONDocument(parsing: Array(bytes)).value
    }
}

/// One JSON text, parsed: its entries in document order, each container's followed by
/// its elements (an object's as key, value, key, value...), over the text's own bytes.
public struct JSONDocument: Sendable {
    @usableFromInline enum Kind: UInt8, Sendable {
        case null, `false`, `true`, int, double, string, array, object
    }

    @usableFromInline struct Entry: Sendable {
        @usableFromInline var kind: Kind
        /// A string's length in bytes; a container's element (or field) count.
        @usableFromInline var count: UInt32
        /// An int's value, a double's bits, a string's first byte in `text`, a container's
        /// end (the index of the entry after its last).
        @usableFromInline var payload: Int64
    }

    /// The text's bytes, then those of each string that had escapes, unescaped.
    let text: [UInt8]
    let entries: [Entry]

    /// The JSON in `bytes` (RFC 8259: one value, whitespace around it); every string is
    /// checked to be UTF-8. A number whose value is a whole number that fits an `Int` is an
    /// integer (as JSONDecoder read it); any other, a double.
    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        var parser = JSONParser(bytes)
        try parser.document()
        text = parser.text
        entries = parser.entries
    }

    /// About how much memory it holds, in bytes (for a budget of kept answers).
    public var estimatedMemory: Int { text.count + entries.count * MemoryLayout<Entry>.stride + 64 }

    /// Reads the document in place: `body` gets its root, valid only while it runs.
    public func withRoot<Result, Failure: Error>(_ body: (JSONNode) throws(Failure) -> Result) throws(Failure) -> Result {
        let outcome: Swift.Result<Result, Failure> = text.withUnsafeBufferPointer { text in
            entries.withUnsafeBufferPointer { entries in
                Swift.Result { () throws(Failure) in try body(JSONNode(text: text, entries: entries, index: 0)) }
            }
        }
        return try outcome.get()
    }

    /// The document as a `JSONValue`.
    public var value: JSONValue { withRoot { $0.value } }
}

/// A value of a `JSONDocument`, read where it lies (valid inside `JSONDocument.withRoot`).
@frozen public struct JSONNode {
    @usableFromInline let text: UnsafeBufferPointer<UInt8>
    @usableFromInline let entries: UnsafeBufferPointer<JSONDocument.Entry>
    @usableFromInline let index: Int

    @inlinable init(text: UnsafeBufferPointer<UInt8>, entries: UnsafeBufferPointer<JSONDocument.Entry>, index: Int) {
        self.text = text
        self.entries = entries
        self.index = index
    }

    @inlinable var entry: JSONDocument.Entry { entries[index] }

    @inlinable public var isNull: Bool { entry.kind == .null }

    /// The flag, when this is `true` or `false`.
    @inlinable public var bool: Bool? {
        switch entry.kind {
        case .true: true
        case .false: false
        default: nil
        }
    }

    /// The number, when this is an integer.
    @inlinable public var int: Int? { entry.kind == .int ? Int(entry.payload) : nil }

    /// The number, when this is one that is not an integer.
    @inlinable public var double: Double? { entry.kind == .double ? Double(bitPattern: UInt64(bitPattern: entry.payload)) : nil }

    /// The UTF-8 of the text (checked when parsed), when this is a string.
    @inlinable public var stringBytes: UnsafeBufferPointer<UInt8>? {
        guard entry.kind == .string else { return nil }
        return bytes(of: entry)
    }

    /// The text, when this is a string.
    @inlinable public var string: String? { stringBytes.map { String(decoding: $0, as: UTF8.self) } }

    @inlinable public var isArray: Bool { entry.kind == .array }
    @inlinable public var isObject: Bool { entry.kind == .object }

    /// Elements of an array, fields of an object.
    @inlinable public var count: Int { Int(entry.count) }

    /// Each element of an array, in order.
    @inlinable public func forEachItem<Failure: Error>(_ body: (JSONNode) throws(Failure) -> Void) throws(Failure) {
        guard entry.kind == .array else { return }
        var position = index + 1
        for _ in 0..<entry.count {
            let item = JSONNode(text: text, entries: entries, index: position)
            try body(item)
            position = item.end
        }
    }

    /// Each field of an object, in the order the text gives them (a key given twice, twice).
    @inlinable public func forEachField<Failure: Error>(_ body: (_ key: UnsafeBufferPointer<UInt8>, JSONNode) throws(Failure) -> Void) throws(Failure) {
        guard entry.kind == .object else { return }
        var position = index + 1
        for _ in 0..<entry.count {
            let value = JSONNode(text: text, entries: entries, index: position + 1)
            try body(bytes(of: entries[position]), value)
            position = value.end
        }
    }

    /// The value of `key` in an object (a key given twice: its last value).
    @inlinable public subscript(key: UnsafeBufferPointer<UInt8>) -> JSONNode? {
        guard entry.kind == .object else { return nil }
        var found: JSONNode?
        var position = index + 1
        for _ in 0..<entry.count {
            let value = JSONNode(text: text, entries: entries, index: position + 1)
            let name = entries[position]
            if Int(name.count) == key.count, key.count == 0 || memcmp(text.baseAddress! + Int(name.payload), key.baseAddress!, key.count) == 0 {
                found = value
            }
            position = value.end
        }
        return found
    }

    @inlinable public subscript(key: String) -> JSONNode? {
        // A native string's UTF-8 is read where it lies (no copy of the string to make it so).
        if let found = key.utf8.withContiguousStorageIfAvailable({ self[$0] }) { return found }
        var key = key
        return key.withUTF8 { self[$0] }
    }

    /// The value as a `JSONValue`.
    @inlinable public var value: JSONValue {
        let entry = self.entry
        switch entry.kind {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int: return .int(Int(entry.payload))
        case .double: return .double(Double(bitPattern: UInt64(bitPattern: entry.payload)))
        case .string: return .string(String(decoding: bytes(of: entry), as: UTF8.self))
        case .array:
            var items: [JSONValue] = []
            items.reserveCapacity(Int(entry.count))
            forEachItem { items.append($0.value) }
            return .array(items)
        case .object:
            var fields = [String: JSONValue](minimumCapacity: Int(entry.count))
            // A key given twice keeps its last value.
            forEachField { key, value in fields[String(decoding: key, as: UTF8.self)] = value.value }
            return .object(fields)
        }
    }

    /// The index of the entry after this value (and all it holds).
    @inlinable var end: Int {
        let entry = self.entry
        return entry.kind == .array || entry.kind == .object ? Int(entry.payload) : index + 1
    }

    @inlinable func bytes(of entry: JSONDocument.Entry) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: text[Int(entry.payload)..<Int(entry.payload) + Int(entry.count)])
    }
}

/// A recursive-descent reader over UTF-8 bytes, writing a document's entries.
struct JSONParser {
    private(set) var text: [UInt8]
    private(set) var entries: [JSONDocument.Entry] = []
    /// Where the text ends (unescaped strings are appended after it).
    private let end: Int
    private var offset = 0
    private var depth = 0

    init(_ bytes: [UInt8]) {
        text = bytes
        end = bytes.count
        // About one entry per eight bytes of a typical answer: one allocation for most.
        entries.reserveCapacity(max(8, bytes.count / 8))
    }

    mutating func document() throws(JSONParseError) {
        try value()
        skipWhitespace()
        guard offset == end else { throw failure("text after the value") }
    }

    private func failure(_ reason: String) -> JSONParseError { JSONParseError(offset: offset, reason: reason) }

    private mutating func skipWhitespace() {
        while offset < end {
            switch text[offset] {
            case 0x20, 0x0A, 0x0D, 0x09: offset += 1
            default: return
            }
        }
    }

    private mutating func value() throws(JSONParseError) {
        skipWhitespace()
        guard offset < end else { throw failure("unexpected end") }
        switch text[offset] {
        case UInt8(ascii: "{"): try object()
        case UInt8(ascii: "["): try array()
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "t"): try literal("true", .true)
        case UInt8(ascii: "f"): try literal("false", .false)
        case UInt8(ascii: "n"): try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw failure("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString, _ kind: JSONDocument.Kind) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        let matches = offset + count <= end && text.withUnsafeBufferPointer { memcmp($0.baseAddress! + offset, word.utf8Start, count) == 0 }
        guard matches else { throw failure("unexpected word") }
        offset += count
        entries.append(.init(kind: kind, count: 0, payload: 0))
    }

    private mutating func nest() throws(JSONParseError) {
        depth += 1
        guard depth <= JSONValue.maximumDepth else { throw failure("nested deeper than \(JSONValue.maximumDepth)") }
    }

    /// Opens a container's entry; `close` sets its count and end.
    private mutating func open(_ kind: JSONDocument.Kind) throws(JSONParseError) -> Int {
        try nest()
        offset += 1 // { or [
        entries.append(.init(kind: kind, count: 0, payload: 0))
        return entries.count - 1
    }

    private mutating func close(_ container: Int, count: UInt32) {
        depth -= 1
        offset += 1 // } or ]
        entries[container].count = count
        entries[container].payload = Int64(entries.count)
    }

    private mutating func object() throws(JSONParseError) {
        let container = try open(.object)
        skipWhitespace()
        if offset < end, text[offset] == UInt8(ascii: "}") { return close(container, count: 0) }
        var count: UInt32 = 0
        while true {
            skipWhitespace()
            guard offset < end, text[offset] == UInt8(ascii: "\"") else { throw failure("expected a key") }
            try string()
            skipWhitespace()
            guard offset < end, text[offset] == UInt8(ascii: ":") else { throw failure("expected ':'") }
            offset += 1
            try value()
            count += 1
            skipWhitespace()
            guard offset < end else { throw failure("unexpected end") }
            switch text[offset] {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "}"): return close(container, count: count)
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func array() throws(JSONParseError) {
        let container = try open(.array)
        skipWhitespace()
        if offset < end, text[offset] == UInt8(ascii: "]") { return close(container, count: 0) }
        var count: UInt32 = 0
        while true {
            try value()
            count += 1
            skipWhitespace()
            guard offset < end else { throw failure("unexpected end") }
            switch text[offset] {
            case UInt8(ascii: ","): offset += 1
            case UInt8(ascii: "]"): return close(container, count: count)
            default: throw failure("expected ',' or ']'")
            }
        }
    }

    /// A string (or key): its bytes where they are when nothing is escaped.
    private mutating func string() throws(JSONParseError) {
        offset += 1 // "
        let start = offset
        var ascii = true
        while offset < end {
            let byte = text[offset]
            if byte == UInt8(ascii: "\"") {
                if !ascii { try checkUTF8(start..<offset) }
                entries.append(.init(kind: .string, count: UInt32(offset - start), payload: Int64(start)))
                offset += 1
                return
            }
            if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
            guard byte >= 0x20 else { throw failure("a control character in a string") }
            if byte >= 0x80 { ascii = false }
            offset += 1
        }
        throw failure("a string without its closing quote")
    }

    private func checkUTF8(_ range: Range<Int>) throws(JSONParseError) {
        let valid = text.withUnsafeBufferPointer { buffer in
            (try? UTF8Span(validating: Span(_unsafeElements: UnsafeBufferPointer(rebasing: buffer[range])))) != nil
        }
        guard valid else { throw JSONParseError(offset: range.lowerBound, reason: "a string that is not UTF-8") }
    }

    /// The rest of a string that has escapes, from its first byte at `start`: unescaped
    /// after the text's end.
    private mutating func escapedString(from start: Int) throws(JSONParseError) {
        var unescaped = Array(text[start..<offset])
        while offset < end {
            let byte = text[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                let position = text.count
                text.append(contentsOf: unescaped)
                try checkUTF8(position..<text.count)
                entries.append(.init(kind: .string, count: UInt32(unescaped.count), payload: Int64(position)))
                return
            case UInt8(ascii: "\\"):
                offset += 1
                guard offset < end else { throw failure("unexpected end") }
                let escape = text[offset]
                offset += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): unescaped.append(escape)
                case UInt8(ascii: "b"): unescaped.append(0x08)
                case UInt8(ascii: "f"): unescaped.append(0x0C)
                case UInt8(ascii: "n"): unescaped.append(0x0A)
                case UInt8(ascii: "r"): unescaped.append(0x0D)
                case UInt8(ascii: "t"): unescaped.append(0x09)
                case UInt8(ascii: "u"): try unicodeEscape(into: &unescaped)
                default: throw failure("an unknown escape")
                }
            default:
                guard byte >= 0x20 else { throw failure("a control character in a string") }
                unescaped.append(byte)
                offset += 1
            }
        }
        throw failure("a string without its closing quote")
    }

    /// `\uXXXX` (the `\u` read), a surrogate pair as one scalar; appended as UTF-8.
    private mutating func unicodeEscape(into unescaped: inout [UInt8]) throws(JSONParseError) {
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard offset + 2 <= end, text[offset] == UInt8(ascii: "\\"), text[offset + 1] == UInt8(ascii: "u") else {
                throw failure("a lone surrogate")
            }
            offset += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw failure("a lone surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            throw failure("a lone surrogate")
        }
        guard let character = Unicode.Scalar(scalar) else { throw failure("an invalid code point") }
        unescaped.append(contentsOf: UTF8.encode(character)!)
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard offset + 4 <= end else { throw failure("unexpected end") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = text[offset]
            let digit: UInt8 = switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: throw failure("a bad \\u escape")
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    /// A number as RFC 8259 writes it.
    private mutating func number() throws(JSONParseError) {
        let start = offset
        let negative = text[offset] == UInt8(ascii: "-")
        if negative { offset += 1 }
        guard offset < end, isDigit(text[offset]) else { throw failure("a number without digits") }
        // Up to 18 digits add up without overflow: most numbers are read as they go.
        var magnitude: Int64 = 0
        let digitsStart = offset
        if text[offset] == UInt8(ascii: "0") {
            offset += 1
        } else {
            while offset < end, isDigit(text[offset]) {
                if offset - digitsStart < 18 { magnitude = magnitude * 10 + Int64(text[offset] - UInt8(ascii: "0")) }
                offset += 1
            }
        }
        var integral = offset - digitsStart <= 18
        if offset < end, text[offset] == UInt8(ascii: ".") {
            integral = false
            offset += 1
            guard offset < end, isDigit(text[offset]) else { throw failure("a fraction without digits") }
            while offset < end, isDigit(text[offset]) { offset += 1 }
        }
        if offset < end, text[offset] == UInt8(ascii: "e") || text[offset] == UInt8(ascii: "E") {
            integral = false
            offset += 1
            if offset < end, text[offset] == UInt8(ascii: "+") || text[offset] == UInt8(ascii: "-") { offset += 1 }
            guard offset < end, isDigit(text[offset]) else { throw failure("an exponent without digits") }
            while offset < end, isDigit(text[offset]) { offset += 1 }
        }
        if integral {
            entries.append(.init(kind: .int, count: 0, payload: negative ? -magnitude : magnitude))
            return
        }
        // Only ASCII digits and signs were accepted above: the bytes are a valid String.
        let literal = String(decoding: text[start..<offset], as: UTF8.self)
        if !literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let integer = Int(literal) {
            entries.append(.init(kind: .int, count: 0, payload: Int64(integer)))
            return
        }
        guard let double = Double(literal), double.isFinite else { throw JSONParseError(offset: start, reason: "a number out of range") }
        // As JSONDecoder read them: `3e2` and `1.0` are integers too.
        if let integer = Int(exactly: double) {
            entries.append(.init(kind: .int, count: 0, payload: Int64(integer)))
        } else {
            entries.append(.init(kind: .double, count: 0, payload: Int64(bitPattern: double.bitPattern)))
        }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
