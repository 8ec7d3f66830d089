/// ShapeTests.swift: a declared shape reads what a script passes, writes a vendor's JSON
/// answer into Lua by its wire paths, and keeps redacted fields out of records.
@testable import Bindings
import LuaHost
import Testing
import Vendors

@Suite struct ShapeTests {
    static let role = LuaShape("Role", [LuaField("id", .integer, optional: false, wire: "_id", doc: "id")])
    static let user = LuaShape("User", [
        LuaField("id", .integer, optional: false, readOnly: true, wire: "_id", doc: "id"),
        LuaField("first_name", .string, wire: "details.firstname", doc: "first name"),
        LuaField("password", .string, redacted: true, writeOnly: true, doc: "password"),
        LuaField("groups", .list(.string), absent: .table(LuaTable()), doc: "groups"),
        LuaField("role", .shape(role), wire: "details.role", doc: "role"),
    ])

    @Test func answersAreWrittenByTheirWirePaths() throws {
        let answer = JSONValue.object([
            "_id": .int(7), "password": .string("never-read-back"), "extra": .string("dropped"),
            "details": .object(["firstname": .string("Ada"), "role": .object(["_id": .int(2)])]),
        ])
        let value = try LuaForm.shape(Self.user).lua(fromWire: answer)
        #expect(value == .table(LuaTable([
            "id": 7, "first_name": "Ada", "groups": .table(LuaTable()), "role": .table(LuaTable(["id": 2])),
        ])))
    }

    @Test func anAnswerThatDoesNotFitIsAMismatch() {
        #expect(throws: WireMismatch.self) { try LuaForm.shape(Self.user).lua(fromWire: .object(["details": .object([:])])) }
        do {
            _ = try LuaForm.list(.shape(Self.user)).lua(fromWire: .array([.object(["_id": .string("x")])]))
            Issue.record("a string id was accepted")
        } catch {
            #expect(error.description == "the answer[1]._id is not integer: \"x\"")
        }
    }

    /// An answer read from the vendor's bytes (`JSONDocument`) is written as the same answer
    /// parsed into a `JSONValue`, field for field, and fails to fit in the same words.
    @Test(arguments: [
        #"{"_id": 7, "password": "x", "extra": "dropped", "details": {"firstname": "Ada \u00e9", "role": {"_id": 2}}, "groups": ["a", "b"]}"#,
        #"{"_id": 7, "groups": null, "details": {"role": null}}"#,
        #"{"_id": 7, "_id": 8, "details": 5}"#,
        #"{"details": {"firstname": "Ada"}}"#,
        #"{"_id": "7"}"#,
        #"{"_id": 7, "groups": [1]}"#,
        #"[]"#,
    ])
    func answersReadFromTheirBytesReadAsParsedOnes(_ text: String) throws {
        let document = VendorAnswer.document(try JSONDocument(parsing: Array(text.utf8)))
        let parsed = VendorAnswer.json(try JSONValue(parsing: text.utf8))
        for form in [LuaForm.shape(Self.user), .list(.shape(Self.user)), .any, .shape(LuaShape("Open", open: true, [LuaField("id", .integer, wire: "_id", doc: "id")]))] {
            let fromBytes = Result { () throws(WireMismatch) in try form.lua(fromWire: document) }
            let fromParsed = Result { () throws(WireMismatch) in try form.lua(fromWire: parsed) }
            switch (fromBytes, fromParsed) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(form.typeText) \(text)")
            case (.failure(let a), .failure(let b)): #expect(a.description == b.description, "\(form.typeText) \(text)")
            default: Issue.record("\(form.typeText) \(text): \(fromBytes) vs \(fromParsed)")
            }
        }
    }

    /// A list sent in pages is read as one list, items numbered across pages, and a page's
    /// item that does not fit is named by its place in the whole list.
    @Test func pagesAreReadAsOneList() throws {
        let pages = try [#"[{"_id": 1}, {"_id": 2}]"#, "[]", #"[{"_id": 3, "details": {"firstname": "Ada"}}]"#].map { try JSONDocument(parsing: Array($0.utf8)) }
        let form = LuaForm.list(.shape(Self.user))
        let whole = try JSONValue(parsing: #"[{"_id": 1}, {"_id": 2}, {"_id": 3, "details": {"firstname": "Ada"}}]"#.utf8)
        #expect(try form.lua(fromWire: .pages(pages)) == form.lua(fromWire: whole))
        #expect(VendorAnswer.pages(pages).json == whole)
        // Pages that hold their items at a key (`{"users": [...]}`) read the same.
        let wrapped = try [#"{"users": [{"_id": 1}, {"_id": 2}], "total": 3}"#, #"{"users": [{"_id": 3, "details": {"firstname": "Ada"}}]}"#]
            .map { try JSONDocument(parsing: Array($0.utf8)) }
        #expect(try form.lua(fromWire: .pages(wrapped, itemsAt: "users")) == form.lua(fromWire: whole))
        #expect(VendorAnswer.pages(wrapped, itemsAt: "users").json == whole)
        #expect(try form.lua(fromWire: .pages([])) == .table(LuaTable()))
        let bad = try JSONDocument(parsing: Array(#"[{"_id": "x"}]"#.utf8))
        #expect(throws: WireMismatch.self) { try form.lua(fromWire: .pages([pages[0], bad])) }
        do { _ = try form.lua(fromWire: .pages([pages[0], bad])) } catch { #expect(error.description == "the answer[3]._id is not integer: \"x\"") }
    }

    /// What a script receives is written onto its stack by the form, with no Swift table
    /// between: it reads as the value the same walk builds, `already` added.
    @Test func answersWrittenStraightOntoTheStackReadAsTheBuiltOnes() async throws {
        let answer = JSONValue.object([
            "_id": .int(7), "password": .string("never-read-back"),
            "details": .object(["firstname": .string("Ada"), "role": .object(["_id": .int(2)])]),
        ])
        let form = LuaForm.shape(Self.user)
        let written = WireAnswer(form: form, answer: .document(try JSONDocument(parsing: Array(answer.canonicalText.utf8))), already: true)
        let module = LuaModule("vendor", "answers", functions: [
            LuaFunction("answer", "An answer written by its form.", body: .async { _ in { .written(written) } }),
            LuaFunction("list", "A list of answers.", body: .async { _ in { .written(WireAnswer(form: .list(form), answer: .json(.array([answer, answer])), already: false)) } }),
        ])
        let output = CollectedOutput()
        let outcome = await LuaRunner(modules: [module]).run(LuaScript(name: "t.lua", source: """
            local a = vendor.answer()
            print(a.id, a.first_name, #a.groups, a.role.id, a.already, a.password)
            local list = vendor.list()
            print(#list, list[2].first_name, list[2].already)
            """), output: output)
        #expect(outcome == .success)
        #expect(output.text == "7\tAda\t0\t2\ttrue\tnil\n2\tAda\tnil\n")
        #expect(try form.lua(fromWire: answer) == .table(LuaTable([
            "id": 7, "first_name": "Ada", "groups": .table(LuaTable()), "role": .table(LuaTable(["id": 2])),
        ])))
    }

    /// A request's body puts each field at its wire path, nested objects shared.
    @Test func requestsAreWrittenByTheirWirePaths() {
        let table = CheckedTable(LuaTable(["first_name": "Ada", "role": .table(LuaTable(["id": 2])), "password": "x"]))
        #expect(LuaForm.shape(Self.user).wire(from: table) == .object([
            "details": .object(["firstname": .string("Ada"), "role": .object(["_id": .int(2)])]), "password": .string("x"),
        ]))
    }

    @Test func anOpenShapeKeepsWhatItDoesNotDeclare() throws {
        let open = LuaShape("Open", open: true, [LuaField("id", .integer, doc: "id")])
        let value = try LuaForm.shape(open).lua(fromWire: .object(["id": .int(1), "status": .string("ok"), "gone": .null]))
        #expect(value == .table(LuaTable(["id": 1, "status": "ok"])))
    }

    @Test func scriptsArgumentsAreCheckedAndRedactedInRecords() throws {
        let form = LuaForm.list(.shape(Self.user))
        let given = LuaValue.table(LuaTable(sequence: [.table(LuaTable(["first_name": "Ada", "password": "hunter2", "groups": .table(LuaTable(sequence: ["a"]))]))]))
        let checked = try form.check(given, label: "argument #1 (users)")
        #expect(form.recorded(checked) == .array([.object([
            "first_name": .string("Ada"), "password": .string("<redacted>"), "groups": .array([.string("a")]),
        ])]))
        #expect(throws: LuaError.self) { try form.check(.table(LuaTable(sequence: [.table(LuaTable(["id": 3]))])), label: "x") }
        do {
            _ = try form.check(.table(LuaTable(sequence: [.table(LuaTable(["id": 3]))])), label: "argument #1 (users)")
        } catch {
            #expect(error.description == "argument #1 (users) item 1 has unknown field 'id'; known fields: first_name, password, groups, role")
        }
        // A key that is not a name is shown as the script wrote it.
        let numbered = #expect(throws: LuaError.self) {
            try form.check(.table(LuaTable(sequence: [.table(LuaTable(fields: [.integer(10): "x"]))])), label: "argument #1 (users)")
        }
        #expect(numbered?.description == "argument #1 (users) item 1 has unknown field [10]; known fields: first_name, password, groups, role")
        do {
            _ = try LuaForm.shape(Self.role).check(.table(LuaTable()), label: "argument #2 (role)")
        } catch {
            #expect(error.description == "argument #2 (role) field id is required (an integer)")
        }
    }

    /// Text a script passed is quoted in a refusal on one line, cut short: a column's value
    /// of thousands of characters, or one holding line breaks, made a message of as many.
    @Test func aRefusedValueIsQuotedOnOneShortLine() {
        let long = String(repeating: "a", count: 3_000)
        let choice = #expect(throws: LuaError.self) { try LuaForm.choice(["asc", "desc"]).check(.string(LuaString(long)), label: "argument #1 (order)") }
        #expect(choice?.description == "argument #1 (order) must be \"asc\" or \"desc\", got \"" + String(repeating: "a", count: 59) + "…\"")
        let digits = #expect(throws: LuaError.self) { try LuaForm.digits.check("12\n34", label: "argument #1 (card)") }
        #expect(digits?.description == #"argument #1 (card) must be digits, got "12\n34""#)
        let key = #expect(throws: LuaError.self) { try LuaForm.shape(Self.role).check(.table(LuaTable(["na\u{2028}me": 1])), label: "argument #2 (role)") }
        #expect(key?.description.hasPrefix(#"argument #2 (role) has unknown field 'na\u{2028}me'; known fields: "#) == true, "\(String(describing: key))")
    }

    @Test func docsSayTheShape() {
        #expect(LuaForm.list(.shape(Self.user)).typeText == "User[]")
        #expect(LuaShape([LuaField("d", .choice(["asc", "desc"]), doc: "")]).inlineText == "{d: (\"asc\"|\"desc\")?}")
        #expect(LuaForm.shape(Self.user).namedShapes.map(\.name) == ["Role", "User"])
    }
}
