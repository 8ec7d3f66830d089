/// RowTableTests.swift: reading a `--each` CSV, and the one line each mistake gives.
import Engine
import Testing
import TestSupport

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
        // Blank lines before the header: its mistakes name its own line.
        ("\r\n\nid,\n1,2\n", "people.csv: line 3: column 2 of the header has no name"),
        ("id;name\n1;a\n", "people.csv: line 1: the header is one column, 'id;name': the file is separated by semicolons, and Roster reads comma-separated CSV; save it with commas"),
        ("id\tname\n1\ta\n", "people.csv: line 1: the header is one column, 'id\\tname': the file is separated by tabs, and Roster reads comma-separated CSV; save it with commas"),
        ("id,name\n1,a\n2,b,c\n", "people.csv: line 3: 3 fields, but the header names 2 columns"),
        // A quoted name is quoted back with its invisible characters escaped, on one line.
        ("\"a;\r\nb\u{FEFF}\"\n1\n", "people.csv: line 1: the header is one column, 'a;\\r\\nb\\u{FEFF}': the file is separated by semicolons, and Roster reads comma-separated CSV; save it with commas"),
        ("\"a\tb\",\"a\tb\"\n", "people.csv: line 1: the column 'a\\tb' is named twice"),
        ("\(String(repeating: "x", count: 100));y\n", "people.csv: line 1: the header is one column, '\(String(repeating: "x", count: 59))…': the file is separated by semicolons, and Roster reads comma-separated CSV; save it with commas"),
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

    /// A CSV saved in another encoding than UTF-8 is refused naming the line, not run with
    /// its letters replaced (or, UTF-16, with every field missing).
    static let notUTF8: [([UInt8], String)] = {
        let latin1 = " it was probably saved as Windows-1252 or Latin-1: save it as UTF-8"
        let utf16 = "people.csv: UTF-16 text (or NUL bytes), not UTF-8; save it as UTF-8"
        var cases: [([UInt8], String)] = []
        cases.append((Array("email,name\nann@example.com,Jos".utf8) + [0xE9, 0x0A],
                      "people.csv: line 2: not UTF-8 text (byte 0xE9 at character 20);" + latin1))
        cases.append((Array("name\nRené,Zoë\nM".utf8) + [0xFC] + Array("ller\n".utf8),
                      "people.csv: line 3: not UTF-8 text (byte 0xFC at character 2);" + latin1))
        cases.append(([0xFF, 0xFE, 0x65, 0x00, 0x6D, 0x00], utf16))
        cases.append(([0x65, 0x00, 0x6D, 0x00, 0x0A, 0x00], utf16))
        return cases
    }()

    @Test(arguments: notUTF8)
    func aFileThatIsNotUTF8IsRefused(bytes: [UInt8], expected: String) {
        do {
            _ = try RowTable(csv: bytes, name: "people.csv")
            Issue.record("read: \(bytes)")
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func utf8IsReadAsItIsAndItsByteOrderMarkDropped() throws {
        let table = try RowTable(csv: [0xEF, 0xBB, 0xBF] + Array("email,name\r\nann@example.com,José Zoë 山田\r\n".utf8), name: "people.csv")
        #expect(table.header == ["email", "name"])
        #expect(table.rows.map { $0["name"] } == ["José Zoë 山田"])
    }

    /// Any text is read or refused in one line naming the file, never a crash: 20,000
    /// documents drawn (from a fixed seed) over the characters CSV gives meaning to.
    @Test func anyTextIsReadOrRefusedInOneLine() {
        var generator = SplitMix64(seed: 0x5EED_C5F)
        let alphabet: [String] = ["a", "b", ",", ",", "\"", "\"", "\n", "\r\n", "\r", ";", "\t", " ", "é", "\u{FEFF}", "\0"]
        var read = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let text = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }.joined()
            do {
                let table = try RowTable(csv: Array(text.utf8), name: "people.csv")
                read += 1
                #expect(!table.header.isEmpty && Set(table.header).count == table.header.count, "\(text.debugDescription)")
                #expect(table.rows.allSatisfy { $0.values.count <= table.header.count }, "\(text.debugDescription)")
                #expect(zip(table.rows, table.rows.dropFirst()).allSatisfy { $0.number < $1.number }, "\(text.debugDescription)")
                #expect(table.rows.allSatisfy { $0.number >= 2 }, "\(text.debugDescription)")
            } catch {
                #expect(error.description.hasPrefix("people.csv") && !error.description.contains("\n"),
                        "\(text.debugDescription): \(error.description.debugDescription)")
            }
        }
        #expect(read > 300) // the draw reaches well-formed files too (621 of them), not only refusals
    }
}
