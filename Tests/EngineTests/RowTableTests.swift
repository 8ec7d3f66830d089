/// RowTableTests.swift: reading a `--each` CSV, and the one line each mistake gives.
import Engine
import Testing

struct RowTableTests {
    @Test func rowsKeepTheirLinesAndQuotedText() throws {
        let table = try RowTable(csv: "\u{FEFF}id,name\r\n1,\"Ada, L\"\r\n\n2,\"two\nlines\"\r\n3\n", name: "people.csv")
        #expect(table.header == ["id", "name"])
        #expect(table.rows.map(\.number) == [2, 4, 6])
        #expect(table.rows[0]["name"] == "Ada, L")
        #expect(table.rows[1]["name"] == "two\nlines")
        #expect(table.rows[2]["name"] == "") // a short row leaves the rest empty
    }

    @Test(arguments: [
        ("", "people.csv is empty: it needs a header row naming the columns, then one row per run"),
        ("id,\n1,2\n", "people.csv: line 1: column 2 of the header has no name"),
        ("id,id\n1,2\n", "people.csv: line 1: the column 'id' is named twice"),
        ("id;name\n1;a\n", "people.csv: line 1: the header is one column, 'id;name': the file is separated by semicolons, and Roster reads comma-separated CSV; save it with commas"),
        ("id\tname\n1\ta\n", "people.csv: line 1: the header is one column, 'id\tname': the file is separated by tabs, and Roster reads comma-separated CSV; save it with commas"),
        ("id,name\n1,a\n2,b,c\n", "people.csv: line 3: 3 fields, but the header names 2 columns"),
        ("id,name\n1,\"open\n2,b\n", "people.csv: line 2: a quoted field opened here is never closed; close it with \""),
        ("id,name\n1,a\"b\n", "people.csv: line 2: a quote inside an unquoted field; quote the whole field and double the quote (\"\")"),
        ("id,name\n1,\"a\"b\n", "people.csv: line 2: text after a closing quote; put the separator right after it"),
    ])
    func eachMistakeIsOneLineNamingTheLine(text: String, expected: String) {
        do {
            _ = try RowTable(csv: text, name: "people.csv")
            Issue.record("read: \(text)")
        } catch {
            #expect(error.description == expected)
        }
    }
}
