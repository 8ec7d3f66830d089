/// OpenStatementScanner.swift: whether a statement being gathered line by line is certainly
/// still open, known from its new line alone.
///
/// The REPL learns that a chunk is unfinished by compiling all of it again at each line, as
/// lua.c does. For a long statement piped in (a table of 40,000 entries, a string left open)
/// that is quadratic: a 1 MB table took five minutes. This scanner follows Lua's tokens just
/// far enough to count what is open: brackets, blocks (`function`, `do`, `if`, `repeat` ...
/// `end`, `until`), and a string or comment that spans lines. While something is open the
/// chunk cannot be complete, so it need not be compiled; once nothing is (or the count went
/// wrong, below zero), Lua decides as before.
struct OpenStatementScanner {
    /// Brackets and blocks opened and not yet closed; below zero is a mistake Lua will name.
    private(set) var depth = 0
    /// Inside a long string or comment (`[==[`): the closing bracket's level.
    private var longBracketLevel: Int?
    /// Inside a short string continued with `\` at a line's end: its quote.
    private var openQuote: UInt8?

    /// Whether the lines scanned so far certainly leave the statement open.
    var isCertainlyOpen: Bool { depth > 0 || longBracketLevel != nil || openQuote != nil }

    /// Follows one more line of the statement.
    mutating func scan(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        var index = 0
        func peek(_ offset: Int = 0) -> UInt8 { index + offset < bytes.count ? bytes[index + offset] : 0 }
        // At `[`: the level of a long bracket opening here (`[[` 0, `[==[` 2), else nil.
        func longBracket(at start: Int) -> (level: Int, length: Int)? {
            var end = start + 1
            while end < bytes.count, bytes[end] == UInt8(ascii: "=") { end += 1 }
            guard end < bytes.count, bytes[end] == UInt8(ascii: "[") else { return nil }
            return (end - start - 1, end - start + 1)
        }
        while index < bytes.count {
            if let level = longBracketLevel {
                // Look for `]` `=`*level `]`.
                if bytes[index] == UInt8(ascii: "]") {
                    var end = index + 1
                    while end < bytes.count, bytes[end] == UInt8(ascii: "=") { end += 1 }
                    if end < bytes.count, bytes[end] == UInt8(ascii: "]"), end - index - 1 == level {
                        longBracketLevel = nil
                        index = end + 1
                        continue
                    }
                }
                index += 1
                continue
            }
            if let quote = openQuote {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\\") {
                    index += 2 // the escaped byte, a newline included
                } else if byte == quote {
                    openQuote = nil
                    index += 1
                } else if byte == UInt8(ascii: "\n") {
                    // A newline ends a short string only after `\` (handled above): this is an
                    // unfinished string, an error Lua names.
                    openQuote = nil
                    depth = Int.min / 2
                    index += 1
                } else {
                    index += 1
                }
                continue
            }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "-") where peek(1) == UInt8(ascii: "-"):
                if peek(2) == UInt8(ascii: "["), let bracket = longBracket(at: index + 2) {
                    longBracketLevel = bracket.level
                    index += 2 + bracket.length
                } else {
                    return // a comment to the line's end
                }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                openQuote = byte
                index += 1
            case UInt8(ascii: "["):
                if let bracket = longBracket(at: index) {
                    longBracketLevel = bracket.level
                    index += bracket.length
                } else {
                    depth += 1
                    index += 1
                }
            case UInt8(ascii: "("), UInt8(ascii: "{"):
                depth += 1
                index += 1
            case UInt8(ascii: ")"), UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                index += 1
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                let start = index
                while index < bytes.count, Self.isNamePart(bytes[index]) { index += 1 }
                switch String(decoding: bytes[start..<index], as: UTF8.self) {
                case "function", "do", "if", "repeat": depth += 1
                case "end", "until": depth -= 1
                default: break
                }
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                // A number, hexadecimal and exponents included: no name starts inside it.
                while index < bytes.count, Self.isNamePart(bytes[index]) || bytes[index] == UInt8(ascii: ".") { index += 1 }
            default:
                index += 1
            }
        }
    }

    private static func isNamePart(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
    }
}
