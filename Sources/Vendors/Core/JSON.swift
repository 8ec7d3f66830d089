/// JSON.swift: encoding request bodies and decoding vendor responses.
import Foundation

/// The JSON coding every client uses.
public enum VendorJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static func encode(_ value: some Encodable) -> [UInt8] {
        // A JSON value (most request bodies: written from declared wire paths) is written
        // by hand, the same text JSONEncoder writes (about a fifteenth of its cost). A double
        // is left to JSONEncoder, which writes some of them differently (`3`, not `3.0`).
        if let json = value as? JSONValue, !json.holdsDouble {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(256)
            json.writeCanonical(into: &bytes)
            return bytes
        }
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    /// Decodes `type` from a response, or fails naming the operation.
    public static func decode<T: Decodable>(_ type: T.Type, from response: VendorResponse, vendor: Vendor, operation: String) throws(VendorError) -> T {
        try VendorCallProfile.shared.measure(.decode) { () throws(VendorError) in try read(type, from: response, vendor: vendor, operation: operation) }
    }

    /// A response's JSON as the vendor sent it, parsed where it lies, or fails naming the operation.
    public static func document(from response: VendorResponse, vendor: Vendor, operation: String) throws(VendorError) -> JSONDocument {
        try VendorCallProfile.shared.measure(.decode) { () throws(VendorError) in
            do throws(JSONParseError) {
                return try JSONDocument(parsing: response.body)
            } catch {
                throw response.unexpectedBody(vendor, operation)
            }
        }
    }

    /// A response's JSON that must be an array (a list, or a page of one), or an object
    /// holding one at `itemsAt`, as sent.
    public static func arrayDocument(from response: VendorResponse, vendor: Vendor, operation: String, itemsAt key: String? = nil) throws(VendorError) -> JSONDocument {
        let document = try document(from: response, vendor: vendor, operation: operation)
        guard document.withRoot({ root in (key.map { root[$0] } ?? root)?.isArray == true }) else {
            throw response.unexpectedBody(vendor, operation)
        }
        return document
    }

    private static func read<T: Decodable>(_ type: T.Type, from response: VendorResponse, vendor: Vendor, operation: String) throws(VendorError) -> T {
        do {
            // Answers kept as they came (most of them) are read in one pass, not through Codable.
            if T.self == JSONValue.self { return try JSONValue(parsing: response.body) as! T }
            if T.self == [JSONValue].self, case .array(let elements) = try JSONValue(parsing: response.body) { return elements as! T }
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw response.unexpectedBody(vendor, operation)
        }
    }
}
