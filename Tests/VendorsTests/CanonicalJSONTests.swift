/// CanonicalJSONTests.swift: the journal's JSON, written by hand for speed, reads exactly
/// as JSONEncoder (sorted keys, slashes unescaped) writes it.
import Foundation
import Testing
@testable import Vendors

@Suite struct CanonicalJSONTests {
    static func encoded(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test(arguments: [
        "plain", "", "a\"b\\c/d", "line\nbreak\r\ttab", "bell\u{7}back\u{8}feed\u{C}unit\u{1F}", "del\u{7F}",
        "Renée 東京 \u{2028} 🙂", "\u{0}",
    ])
    func stringsEscapeAsJSONEncoderDoes(_ text: String) throws {
        #expect(JSONValue.string(text).canonicalText == (try Self.encoded(.string(text))))
        #expect("\"" + JSONValue.escaped(text) + "\"" == (try Self.encoded(.string(text))))
    }

    /// A request body written by hand is JSONEncoder's text; one with a double is left to it.
    @Test func requestBodiesAreJSONEncodersText() throws {
        let body = JSONValue.object(["fields": .object(["user_name": .string("a/b \"c\""), "role_id": .int(3)]),
                                     "tags": .array([.string("x"), .null, .bool(true)])])
        #expect(VendorJSON.encode(body) == Array(try Self.encoded(body).utf8))
        let withDouble = JSONValue.object(["ratio": .double(3.0), "n": .int(1)])
        #expect(VendorJSON.encode(withDouble) == Array(try Self.encoded(withDouble).utf8))
        #expect(!body.holdsDouble && withDouble.holdsDouble)
    }

    @Test func nestedValuesMatchJSONEncoder() throws {
        let value = JSONValue.object([
            "zeta": .array([.int(-3), .bool(true), .null, .string("x")]),
            "alpha": .object(["b": .int(Int.max), "a": .string("q\"uote"), "Z": .bool(false)]),
            "mid": .array([]), "empty": .object([:]), "n": .int(0), "min": .int(Int.min), "negative": .int(-1_234_567), "ten": .int(10),
        ])
        #expect(value.canonicalText == (try Self.encoded(value)))
    }
}
