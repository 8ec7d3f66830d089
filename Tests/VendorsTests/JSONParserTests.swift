/// JSONParserTests.swift: vendor answers read in one pass give what JSONDecoder gave, and
/// refuse what is not JSON.
import Foundation
import Testing
import TestSupport
@testable import Vendors

@Suite struct JSONParserTests {
    /// What JSONDecoder made of `text` (the reader this one replaced).
    static func decoded(_ text: String) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

    @Test(arguments: [
        #"{"UserId": 1001, "UserName": "ada", "IsActive": true, "Phone": null, "Score": 2.5}"#,
        #"[1, -2, 0, 9223372036854775807, -9223372036854775808, 1.25, -0.5, 3e2, 1E-2]"#,
        #"{"a": {"b": [{"c": []}, {}]}, "d": "\"quoted\" \\ \/ \b\f\n\r\t"}"#,
        #"["\u00e9\u4e2d\ud83d\ude00", "plain é中😀"]"#,
        #"{"a": {"x": 1, "y": {"z": 2}, "w": 3}, "b": [{"e": 1, "f": {}}, {"e": 2}], "c": {"d": {"g": {"h": null}}, "i": 4}}"#,
        #"  "a lone string"  "#, "true", "false", "null", "0", "-0", "[]", "{}",
    ])
    func readsWhatJSONDecoderRead(_ text: String) throws {
        let parsed = try JSONValue(parsing: text.utf8)
        #expect(parsed == Self.decoded(text), "\(parsed)")
    }

    @Test func wholeNumbersAreIntegersAndOthersDoubles() throws {
        #expect(try JSONValue(parsing: "18446744073709551616".utf8) == .double(18446744073709551616))
        for (text, value) in [("1.0", JSONValue.int(1)), ("3e2", .int(300)), ("-0.0", .int(0)), ("12", .int(12)), ("1.5e1", .int(15)), ("2.5", .double(2.5))] {
            #expect(try JSONValue(parsing: text.utf8) == value, "\(text)")
            #expect(Self.decoded(text) == value, "JSONDecoder: \(text)")
        }
    }

    @Test(arguments: [
        ("", "unexpected end at byte 0"), ("[1,]", "unexpected character at byte 3"), ("{\"a\" 1}", "expected ':' at byte 5"),
        ("01", "text after the value at byte 1"), ("[1 2]", "expected ',' or ']' at byte 3"), ("\"abc", "a string without its closing quote at byte 4"),
        ("\"a\u{01}\"", "a control character in a string at byte 2"), (#""\ud800""#, "a lone surrogate at byte 7"),
        (#""\x""#, "an unknown escape at byte 3"), ("1e999", "a number out of range at byte 0"), ("-", "a number without digits at byte 1"),
        ("tru", "unexpected word at byte 0"), ("{} x", "text after the value at byte 3"), ("{1: 2}", "expected a key at byte 1"),
    ])
    func refusesWhatIsNotJSON(_ text: String, _ reason: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text.utf8) }
        do { _ = try JSONValue(parsing: text.utf8) } catch { #expect(error.description == reason) }
    }

    @Test func aKeyGivenTwiceKeepsItsLastValue() throws {
        #expect(try JSONValue(parsing: #"{"a": 1, "b": {"a": 5}, "a": 2}"#.utf8) == .object(["a": .int(2), "b": .object(["a": .int(5)])]))
    }

    @Test func refusesBytesThatAreNotUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22, 0xFF, 0x22]) }
    }

    @Test func aDeepAnswerIsRefusedNotFollowed() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep.utf8) }
        let allowed = String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth)
        _ = try JSONValue(parsing: allowed.utf8)
    }

    /// Random values written by JSONEncoder read back as they were.
    @Test func randomValuesRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        func random(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .int(Int.random(in: Int.min...Int.max, using: &generator))
            case 3: return .double(Double(Int.random(in: -1_000_000...1_000_000, using: &generator)) + 0.5)
            case 4:
                let scalars = (0..<Int.random(in: 0..<12, using: &generator)).map { _ in
                    Unicode.Scalar([0x22, 0x5C, 0x0A, 0x01, 0x41, 0xE9, 0x4E2D, 0x1F600, 0x2028].randomElement(using: &generator)!)!
                }
                return .string(String(String.UnicodeScalarView(scalars)))
            case 5: return .array((0..<Int.random(in: 0..<4, using: &generator)).map { _ in random(depth + 1) })
            default:
                return .object(Dictionary((0..<Int.random(in: 0..<4, using: &generator)).map { ("k\($0)", random(depth + 1)) }) { $1 })
            }
        }
        for _ in 0..<500 {
            let value = random(0)
            let text = try JSONEncoder().encode(value)
            #expect(try JSONValue(parsing: text) == value, "\(String(decoding: text, as: UTF8.self))")
        }
    }

    /// A document is read in place: fields in the order sent, a key given twice found at
    /// its last value, escaped strings unescaped, numbers as `JSONValue` reads them.
    @Test func aDocumentIsReadWhereItLies() throws {
        let document = try JSONDocument(parsing: Array(#"{"a": 1, "s": "x\"y\u00e9", "n": null, "l": [true, 2.5, {"a": []}], "a": -3}"#.utf8))
        let fields: [String] = document.withRoot { root in
            var keys: [String] = []
            root.forEachField { key, _ in keys.append(String(decoding: key, as: UTF8.self)) }
            return keys
        }
        #expect(fields == ["a", "s", "n", "l", "a"])
        document.withRoot { root in
            #expect(root.isObject && root.count == 5)
            #expect(root["a"]?.int == -3)
            #expect(root["s"]?.string == "x\"yé")
            #expect(root["n"]?.isNull == true)
            #expect(root["missing"] == nil)
            #expect(root["l"]?.isArray == true && root["l"]?.count == 3)
            var items: [JSONValue] = []
            root["l"]?.forEachItem { items.append($0.value) }
            #expect(items == [.bool(true), .double(2.5), .object(["a": .array([])])])
            #expect(root["a"]?.double == nil && root["l"]?.string == nil)
        }
        #expect(document.value == (try JSONValue(parsing: #"{"a": -3, "s": "x\"y\u00e9", "n": null, "l": [true, 2.5, {"a": []}]}"#.utf8)))
    }

    /// A vendor's answer is bytes from elsewhere: damaged ones (bytes changed, structure
    /// characters dropped in, cut short) are read or refused, never a crash, and what is read
    /// is what JSONDecoder reads whenever it reads it too (numbers of up to 15 digits). 30,000 drawn from a fixed seed.
    @Test func damagedAnswersAreReadOrRefusedNeverACrash() {
        let answers = [
            #"{"a": {"x": 1, "y": {"z": 2.5e-3}, "w": [true, false, null]}, "s": "x\"y\u00e9\ud83d\ude00\n", "n": -12, "l": [[], {}, [1, [2, {"k": "v"}]]]}"#,
            #"[{"UserId": 1001, "UserName": "ada", "IsActive": true, "Phone": null}, {"UserId": 9223372036854775807, "Score": -0.5E+2}]"#,
        ].map { Array($0.utf8) }
        let inserts = Array("{}[]\",:\\-+.eE0u\u{0}".utf8) + [0x80, 0xC3, 0xED, 0xF4, 0xFF]
        var generator = SplitMix64(seed: 0x15_0_4)
        var read = 0
        for round in 0..<30_000 {
            var bytes = answers[round % answers.count]
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let at = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[at] = inserts.randomElement(using: &generator)!
                case 1: bytes.insert(inserts.randomElement(using: &generator)!, at: at)
                case 2: bytes.remove(at: at)
                default: bytes.removeLast(Int.random(in: 0..<bytes.count - at, using: &generator))
                }
                if bytes.isEmpty { bytes = [UInt8(ascii: "[")] }
            }
            guard let document = try? JSONDocument(parsing: bytes) else { continue }
            read += 1
            let value = document.value
            // Past 15 digits a number is where the two readers round differently (a fraction
            // Double cannot hold), not where either misreads.
            let text = String(decoding: bytes, as: UTF8.self)
            let longNumber = text.split(whereSeparator: { !"0123456789.eE+-".contains($0) }).contains { $0.filter(\.isNumber).count > 15 }
            // A key given twice is kept at its last value here and its first by JSONDecoder.
            func repeatsAKey(_ node: JSONNode) -> Bool {
                var keys = Set<[UInt8]>(), repeated = false
                node.forEachField { key, field in repeated = repeated || !keys.insert(Array(key)).inserted || repeatsAKey(field) }
                node.forEachItem { item in repeated = repeated || repeatsAKey(item) }
                return repeated
            }
            if !longNumber, !document.withRoot(repeatsAKey), let expected = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) {
                #expect(value == expected, "\(text.debugDescription)")
            }
        }
        #expect(read > 1_000) // damage that leaves JSON is read too
    }
}
