/// TOMLParserGuard.swift: the documents TOMLKit's parser must not be given.
///
/// toml++ 3.4 (inside TOMLKit) asserts, and the process aborts, at two places where it
/// expects a key or a value and checks for some characters but not all:
/// - a table header whose name starts with a character no key starts with: `[` alone on a
///   line, `[=`, `[.a]`, `[[#`;
/// - an array where a value or its closing `]` belongs holding a `}` or a Unicode line
///   separator: `a = [}]`, `a = [1, }]`.
/// Such a document is found here first and refused as the syntax error it is, so a typo in
/// roster.toml or a plugin's manifest is one line, not a crash.
enum TOMLParserGuard {
    /// Where toml++ would abort: its 1-based line and column (in bytes), and what is wrong.
    struct Refusal: Equatable {
        var line: Int
        var column: Int
        var problem: String
    }

    /// The first place in `text` toml++ would abort at, or nil.
    static func firstRefusal(in text: String) -> Refusal? {
        var scanner = Scanner(bytes: Array(text.utf8))
        return scanner.firstRefusal()
    }

    /// Reads the text as toml++ walks it at the top level: a line is a header, a comment, or
    /// a key and its value, which may run over several lines (arrays, multi-line strings).
    /// Past a real syntax error it may lose its place, which is harmless: toml++ stops at
    /// the first error.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var lineStart = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            // A byte order mark is not part of the first line.
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3; lineStart = 3 }
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func firstRefusal() -> Refusal? {
            while let byte = current {
                switch byte {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    index += 1
                case UInt8(ascii: "\n"):
                    newLine()
                case UInt8(ascii: "#"):
                    skipToEndOfLine()
                case UInt8(ascii: "["):
                    if let refusal = header() { return refusal }
                    skipToEndOfLine()
                default:
                    if let refusal = keyAndValue() { return refusal }
                }
            }
            return nil
        }

        /// At a header's `[`: a name no key can start, as toml++ would look for it.
        private mutating func header() -> Refusal? {
            index += 1
            var spaced = skipSpaces()
            if current == UInt8(ascii: "[") {
                // `[ [` is an error toml++ reports itself.
                if spaced { return nil }
                index += 1
                spaced = skipSpaces()
            }
            guard let byte = current else { return nil } // the end of the file: toml++ reports it
            let startsKey = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || [UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]")].contains(byte)
            guard !startsKey else { return nil }
            return refusal("a table header needs a name after its '[', as in [name]; saw \(spokenCurrent)")
        }

        /// A key and its value, to the line break that ends them; in an array, what stands
        /// where a value or the closing `]` belongs.
        private mutating func keyAndValue() -> Refusal? {
            var open: [UInt8] = [] // the value's '[' and '{' not closed yet
            var awaitsArrayValue = false // right after an array's '[' or a ','
            while let byte = current {
                if awaitsArrayValue {
                    switch byte {
                    case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                        index += 1
                        continue
                    case UInt8(ascii: "\n"):
                        newLine()
                        continue
                    case UInt8(ascii: "#"):
                        skipToEndOfLine()
                        continue
                    case UInt8(ascii: "}"):
                        return refusal("an array needs a value or its closing ']' here, saw '}'")
                    default:
                        if isUnicodeLineBreak {
                            return refusal("an array needs a value or its closing ']' here, saw \(spokenCurrent)")
                        }
                        awaitsArrayValue = false
                    }
                }
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    string(quote: byte)
                    continue
                case UInt8(ascii: "#"):
                    skipToEndOfLine()
                    continue
                case UInt8(ascii: "["):
                    open.append(byte)
                    awaitsArrayValue = true
                case UInt8(ascii: "{"):
                    open.append(byte)
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    _ = open.popLast()
                case UInt8(ascii: ","):
                    awaitsArrayValue = open.last == UInt8(ascii: "[")
                case UInt8(ascii: "\n"):
                    newLine()
                    if open.isEmpty { return nil }
                    continue
                default:
                    break
                }
                index += 1
            }
            return nil
        }

        /// A string from its opening quote to its closing one (or the line's end, where
        /// toml++ stops with an error); a multi-line one may hold line breaks and up to two
        /// quotes before its closing three.
        private mutating func string(quote: UInt8) {
            let escapes = quote == UInt8(ascii: "\"")
            if index + 2 < bytes.count, bytes[index + 1] == quote, bytes[index + 2] == quote {
                index += 3
                while let byte = current {
                    if escapes, byte == UInt8(ascii: "\\") {
                        index += 1
                        if current == UInt8(ascii: "\n") { newLine() } else if current != nil { index += 1 }
                        continue
                    }
                    if byte == UInt8(ascii: "\n") { newLine(); continue }
                    if byte == quote, index + 2 < bytes.count, bytes[index + 1] == quote, bytes[index + 2] == quote {
                        index += 3
                        var extra = 0
                        while extra < 2, current == quote { index += 1; extra += 1 }
                        return
                    }
                    index += 1
                }
                return
            }
            index += 1
            while let byte = current, byte != UInt8(ascii: "\n") {
                index += 1
                if byte == quote { return }
                if escapes, byte == UInt8(ascii: "\\"), current != nil, current != UInt8(ascii: "\n") { index += 1 }
            }
        }

        /// U+0085, U+2028 or U+2029: line breaks to toml++, which it does not skip in an array.
        private var isUnicodeLineBreak: Bool {
            let rest = bytes[index...]
            return rest.starts(with: [0xC2, 0x85]) || rest.starts(with: [0xE2, 0x80, 0xA8]) || rest.starts(with: [0xE2, 0x80, 0xA9])
        }

        private mutating func skipSpaces() -> Bool {
            let start = index
            while current == UInt8(ascii: " ") || current == UInt8(ascii: "\t") { index += 1 }
            return index > start
        }

        private mutating func skipToEndOfLine() {
            while let byte = current, byte != UInt8(ascii: "\n") { index += 1 }
        }

        private mutating func newLine() {
            index += 1
            line += 1
            lineStart = index
        }

        private func refusal(_ problem: String) -> Refusal {
            Refusal(line: line, column: index - lineStart + 1, problem: problem)
        }

        /// `'='`, `the end of the line`, `'\u{2028}'`: the character at the current place.
        private var spokenCurrent: String {
            let rest = bytes[index...]
            guard let first = rest.first else { return "the end of the file" }
            if first == UInt8(ascii: "\n") || first == UInt8(ascii: "\r") { return "the end of the line" }
            let scalar = String(decoding: rest.prefix(4), as: UTF8.self).unicodeScalars.first ?? "\u{FFFD}"
            let visible = !(scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                || scalar.properties.isWhitespace)
            return visible ? "'\(scalar)'" : "'\\u{\(String(scalar.value, radix: 16, uppercase: true))}'"
        }
    }
}
