/// RowTable.swift: the CSV of a run row by row (`roster run SCRIPT --each FILE.csv`): its
/// header and its rows, each with the line it starts on and a digest of its fields.
import Bindings
import Crypto
import Foundation
import Vendors
import LuaHost

/// One row: what the script sees as `row` (keyed by the header) and `row_number`.
public struct TableRow: Sendable, Equatable {
    /// The line the row starts on (the header's is 1 unless blank lines come before it).
    public var number: Int
    /// The fields in the file's order, one per column.
    public var values: [String]
    public var header: [String]

    /// The value in `column` ("" when the row is short).
    public subscript(column: String) -> String {
        header.firstIndex(of: column).flatMap { $0 < values.count ? values[$0] : nil } ?? ""
    }

    /// A digest of the row's fields: a row that succeeded must be the same on a resume.
    public var sha256: String {
        let text = CSV.line(values)
        return SHA256.hash(data: Data(text.utf8)).hexText
    }

    /// `row` in Lua: each column's value by name.
    var luaValue: LuaValue {
        var table = LuaTable()
        for (index, column) in header.enumerated() {
            table[column] = .string(LuaString(index < values.count ? values[index] : ""))
        }
        return .table(table)
    }
}

/// A CSV file's header and rows.
public struct RowTable: Sendable {
    /// The file as the command named it (`people.csv`), for messages.
    public var name: String
    public var header: [String]
    public var rows: [TableRow]

    /// Reads a CSV file's bytes, which must be UTF-8 text (see `TextFile`).
    public init(csv bytes: some Collection<UInt8>, name: String) throws(RowTableError) {
        let text: String
        do throws(TextFileError) {
            text = try TextFile.decode(bytes)
        } catch {
            throw RowTableError("\(name): \(error.description)")
        }
        try self.init(csv: text, name: name)
    }

    /// Reads `text`: the first row names the columns; every other row is one run.
    public init(csv text: String, name: String) throws(RowTableError) {
        self.name = name
        let records: [CSV.Record]
        do throws(CSV.ParseError) {
            records = try CSV.records(text)
        } catch {
            throw RowTableError("\(name): \(error.description)")
        }
        guard let first = records.first else { throw RowTableError("\(name) is empty: it needs a header row naming the columns, then one row per run") }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        // Blank lines before it are skipped: the header is where it is.
        let line = "line \(first.line)"
        // A spreadsheet saved with semicolons or tabs reads as one column whose name holds
        // them all; every row would then run with its fields missing.
        if self.header.count == 1, let only = self.header.first, let separator = [";", "\t"].first(where: { only.contains($0) }) {
            let spoken = separator == "\t" ? "tabs" : "semicolons"
            throw RowTableError("\(name): \(line): the header is one column, '\(QuotedText.shown(only))': the file is separated by \(spoken), and Roster reads comma-separated CSV; save it with commas")
        }
        if let blank = header.firstIndex(of: "") {
            throw RowTableError("\(name): \(line): column \(blank + 1) of the header has no name")
        }
        var seen = Set<String>()
        for column in header where !seen.insert(column).inserted {
            throw RowTableError("\(name): \(line): the column '\(QuotedText.shown(column))' is named twice")
        }
        let header = self.header
        rows = try records.dropFirst().map { record throws(RowTableError) in
            guard record.fields.count <= header.count else {
                throw RowTableError("\(name): line \(record.line): \(record.fields.count) fields, but the header names \(header.count) columns")
            }
            return TableRow(number: record.line, values: record.fields, header: header)
        }
    }
}

/// A CSV that cannot be run row by row: one line naming the file and the line.
public struct RowTableError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
