/// VendorRequestBuilding.swift: the pieces every client shares: query strings and form
/// bodies, and a status check that turns a refusal into a VendorError.
import Foundation
import NIOHTTP1

public enum VendorEncoding {
    private static let unreserved: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    /// One query or form component, percent-encoded.
    public static func component(_ text: String) -> String {
        // Most components (ids, flags, names) have nothing to escape: checked byte by byte,
        // without Foundation's character sets, on every request.
        if text.utf8.allSatisfy(isUnreservedASCII) { return text }
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// `A-Z a-z 0-9 - . _ ~` (RFC 3986's unreserved characters).
    private static func isUnreservedASCII(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// Why `text` cannot be one segment of a URL's path (a user's name, an agency's id), or
    /// nil. Sent, an empty name addresses the collection (`users/` lists every user), and
    /// `.` or `..` a step along the path, which servers and proxies resolve before routing
    /// (`agency/../member/5`); percent-encoding a dot does not stop them.
    public static func pathSegmentProblem(_ text: some Collection<UInt8>) -> String? {
        if text.isEmpty { return "is empty: a name sent in a URL cannot be (a blank CSV cell is \"\")" }
        guard text.count <= 2, text.allSatisfy({ $0 == UInt8(ascii: ".") }) else { return nil }
        return "is \"\(String(decoding: text, as: UTF8.self))\": a URL reads it as a step along its path, not as a name"
    }

    /// `a=1&b=2` in the given order, nil values left out.
    public static func query(_ pairs: [(String, String?)]) -> String {
        pairs.compactMap { name, value in value.map { "\(component(name))=\(component($0))" } }.joined(separator: "&")
    }

    /// A JSON list as the string Allthenticate's form fields carry.
    static func jsonString(_ value: some Encodable) -> String {
        String(decoding: VendorJSON.encode(value), as: UTF8.self)
    }
}

extension VendorResponse {
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The error for this refusal: the vendor's code and message when it sent them, else
    /// the status's name; retryable when the status is one a retry can help. The message is
    /// one line; a web page (a base_url that reaches a web server, not the API) is named as
    /// such rather than quoted.
    public func refusal(_ vendor: Vendor, _ operation: String, code: String? = nil, message: String? = nil) -> VendorError {
        let text = isWebPage ? Self.webPage(vendor) : message.map(Self.oneLine).flatMap { $0.isEmpty ? nil : $0 } ?? Self.noMessage(vendor, status)
        return VendorError(vendor: vendor, operation: operation, status: status, code: code, message: text,
                           retryable: VendorHTTP.retryableStatuses.contains(status))
    }

    /// The error for an answer that is not the one the operation expects: a web page (a
    /// captive portal, a base_url reaching a web server) named as such, else its size.
    public func unexpectedBody(_ vendor: Vendor, _ operation: String) -> VendorError {
        VendorError(vendor: vendor, operation: operation, status: status,
                    message: isWebPage ? Self.webPage(vendor) : "unexpected response body (\(body.count) bytes)", retryable: false)
    }

    /// What a refusal with no message of the vendor's says: the status's name, and that the
    /// vendor said nothing more (the status alone read `HTTP 404: HTTP 404`).
    static func noMessage(_ vendor: Vendor, _ status: Int) -> String {
        let name = HTTPResponseStatus(statusCode: status).reasonPhrase
        return name.isEmpty ? "no message from \(vendor.rawValue)" : "\(name) (no message from \(vendor.rawValue))"
    }

    static func webPage(_ vendor: Vendor) -> String {
        "the answer is a web page, not \(vendor.rawValue)'s API (check base_url)"
    }

    /// An HTML answer: by its Content-Type, or by its first character.
    var isWebPage: Bool {
        if headers.first(name: "Content-Type")?.lowercased().contains("html") == true { return true }
        return body.first { !(Character(Unicode.Scalar($0)).isWhitespace) } == UInt8(ascii: "<")
    }

    /// `text` with every run of white space (line breaks too) as one space, at most 300
    /// characters: an error is one line.
    static func oneLine(_ text: String) -> String {
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.count <= 300 ? words : words.prefix(299) + "…"
    }
}
