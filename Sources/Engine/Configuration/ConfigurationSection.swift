/// ConfigurationSection.swift: typed reads from one table of a configuration document, each
/// mistake reported at its key.
import Emulator
import Foundation
import LuaHost
import Vendors

/// One table of a document (`[tenants.acme.encore]`) and the keys it may hold.
public struct ConfigurationSection {
    public let document: ConfigurationDocument
    public let path: [String]
    public let fields: [String: ConfigurationValue]

    init(document: ConfigurationDocument, path: [String], fields: [String: ConfigurationValue]) {
        self.document = document
        self.path = path
        self.fields = fields
    }

    public var name: String { path.joined(separator: ".") }

    /// The keys in the order they are written (by their lines; those on one line, as in an
    /// inline table, alphabetically): what a declaration lists is shown as it was declared.
    public var keysInWrittenOrder: [String] {
        let lines: [String: Int] = Dictionary(uniqueKeysWithValues: fields.keys.map { key in (key, document.line(of: path + [key]) ?? Int.max) })
        return fields.keys.sorted { a, b in
            let lineA = lines[a]!, lineB = lines[b]!
            return lineA != lineB ? lineA < lineB : a < b
        }
    }

    /// Refuses any key not in `known`, suggesting the nearest known one.
    public func requireOnly(_ known: [String]) throws(ConfigurationError) {
        for key in fields.keys.sorted() where !known.contains(key) {
            let fix: String
            if let near = NearNames.near(key, in: known).first {
                fix = "did you mean \(near)?"
            } else {
                fix = "remove it; " + (path.isEmpty ? "the top level" : "[\(name)]") + " takes " + known.joined(separator: ", ")
            }
            throw document.error(at: path + [key], "unknown key", fix: fix)
        }
    }

    /// The sub-table at `key`, or a wrong-type error.
    public func table(_ key: String) throws(ConfigurationError) -> ConfigurationSection? {
        guard let value = fields[key] else { return nil }
        guard case .table(let inner) = value else {
            throw document.error(at: path + [key], "expected a table, got \(value.typeName)", fix: "write it as [\((path + [key]).joined(separator: "."))]")
        }
        return ConfigurationSection(document: document, path: path + [key], fields: inner)
    }

    public func string(_ key: String, required: Bool = false, example: String = "...") throws(ConfigurationError) -> String? {
        guard let value = fields[key] else {
            if required {
                throw document.error(at: path + [key], "missing", fix: "add \(key) = \"\(example)\" to [\(name)]")
            }
            return nil
        }
        guard case .string(let text) = value else {
            throw document.error(at: path + [key], "expected a string, got \(value.typeName)", fix: "write \(key) = \"\(example)\"")
        }
        guard !text.allSatisfy({ $0.isWhitespace && !$0.isNewline }) else {
            throw document.error(at: path + [key], "is empty", fix: "write \(key) = \"\(example)\", or remove it")
        }
        return text
    }

    /// A string sent as one segment of a URL's path (an application's id, an agency's): not
    /// empty, `.` or `..` (`VendorEncoding.pathSegmentProblem`).
    public func pathSegment(_ key: String, required: Bool = false, example: String) throws(ConfigurationError) -> String? {
        guard let text = try string(key, required: required, example: example) else { return nil }
        if let problem = VendorEncoding.pathSegmentProblem(text.utf8) {
            throw document.error(at: path + [key], problem, fix: "write \(key) = \"\(example)\"")
        }
        return text
    }

    /// An age in days or hours, `"400d"` or `"36h"`, in seconds. No minutes or months:
    /// `"1m"` would read as either.
    /// The longest age read, here and on the command line: a hundred years, in seconds. Past
    /// it an age is a mistake, and far past it the time it reaches back to no longer fits the
    /// milliseconds it is written and journaled as.
    public static let longestAge: Double = 36_500 * 86_400

    public func age(_ key: String, example: String) throws(ConfigurationError) -> Double? {
        guard let text = try string(key, example: example) else { return nil }
        let units: [Character: Double] = ["d": 86_400, "h": 3_600]
        guard let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount > 0, amount.isFinite else {
            throw document.error(at: path + [key], "expected an age in days or hours, got \"\(text)\"", fix: "write \(key) = \"\(example)\" (or \"36h\")")
        }
        guard amount * unit <= Self.longestAge else {
            throw document.error(at: path + [key], "\"\(text)\" is more than a hundred years", fix: "write at most \(key) = \"36500d\"")
        }
        return amount * unit
    }

    public func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = fields[key] else { return nil }
        guard case .integer(let number) = value else {
            throw document.error(at: path + [key], "expected an integer, got \(value.typeName)", fix: "write \(key) = \(range.lowerBound)")
        }
        guard range.contains(number) else {
            throw document.error(at: path + [key], "\(number) is out of range", fix: "use a value from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A number in `range` (`reserve = 0.2`; an integer is taken as a number).
    public func fraction(_ key: String, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
        let number: Double
        switch fields[key] {
        case nil: return nil
        case .float(let value)?: number = value
        case .integer(let value)?: number = Double(value)
        case let value?:
            throw document.error(at: path + [key], "expected a number, got \(value.typeName)", fix: "write \(key) = \(range.lowerBound)")
        }
        guard range.contains(number) else {
            throw document.error(at: path + [key], "\(number) is out of range", fix: "use a value from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// Requests per window: `"25/60s"`, the notation of `roster emulator --rate-limit`.
    public func rateLimit(_ key: String) throws(ConfigurationError) -> RateLimit? {
        guard let text = try string(key, example: "25/60s") else { return nil }
        do throws(RateLimitError) {
            return try RateLimit(parsing: text)
        } catch {
            throw document.error(at: path + [key], error.description, fix: "write \(key) = \"25/60s\"")
        }
    }

    /// An http(s) URL with a host, without a trailing slash.
    public func url(_ key: String) throws(ConfigurationError) -> String? {
        guard let text = try string(key, example: "https://host") else { return nil }
        // The host as sent (`encodedHost`): `host` and `percentEncodedHost` both undo any
        // IDNA encoding, which loads ICU's normalization data at every start for a check of
        // non-emptiness.
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = components.encodedHost, !host.isEmpty
        else {
            throw document.error(at: path + [key], "'\(Self.withoutSecrets(text))' is not an http(s) URL", fix: "write a scheme and host, like \(key) = \"https://host\"")
        }
        // A port past 65535 trapped where the connection is made.
        if let port = components.port, !(1...65_535).contains(port) {
            throw document.error(at: path + [key], "the port \(port) is not from 1 to 65535", fix: "write \(key) = \"\(scheme)://\(host):PORT\(components.percentEncodedPath)\"")
        }
        // Each call's own path and query follow the base: one of the base's would be lost or
        // doubled. Not quoted: a query may hold a key someone pasted there.
        guard components.percentEncodedQuery == nil, components.fragment == nil else {
            throw document.error(at: path + [key], "a base URL cannot carry a query or fragment (from its '?' or '#')",
                                 fix: "write it as \(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")\(components.percentEncodedPath)")
        }
        // Credentials live in secrets, never in the file (nor, then, in a trace line).
        guard components.percentEncodedUser == nil, components.percentEncodedPassword == nil else {
            throw document.error(at: path + [key], "a URL cannot carry a user or password",
                                 fix: "write it as \(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")\(components.percentEncodedPath), and keep credentials in the vendor's secret keys")
        }
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }

    /// A URL as an error may quote it: a user and password, and a query, shown as `…`.
    static func withoutSecrets(_ url: String) -> String {
        var shown = Substring(url)
        if let query = shown.firstIndex(where: { $0 == "?" || $0 == "#" }) { shown = shown[..<query] + "…" }
        let authority = shown.range(of: "://").map { $0.upperBound } ?? shown.startIndex
        if let at = shown[authority...].lastIndex(of: "@") { shown = shown[..<authority] + "…" + shown[at...] }
        return String(shown)
    }

    /// A secret: `{ env = "NAME" }` or `{ file = "path" }`. A plain string is refused, so
    /// that credentials are never written into the configuration itself.
    public func secret(_ key: String, required: Bool) throws(ConfigurationError) -> SecretReference? {
        let fixShape = "write \(key) = { env = \"VARIABLE\" } or \(key) = { file = \"path\" } (mode 0600)"
        guard let value = fields[key] else {
            if required { throw document.error(at: path + [key], "missing", fix: "add it to [\(name)]: " + fixShape) }
            return nil
        }
        guard case .table(let source) = value else {
            // Never echo the value: it may be the credential itself.
            throw document.error(at: path + [key], "a secret cannot be written in the configuration (got \(value.typeName))", fix: fixShape)
        }
        let section = ConfigurationSection(document: document, path: path + [key], fields: source)
        try section.requireOnly(["env", "file"])
        let variable = try section.string("env", example: "VARIABLE")
        let file = try section.string("file", example: "path")
        switch (variable, file) {
        case (let variable?, nil):
            // Not a name a shell can export: likely the secret itself, pasted in; never echoed.
            guard let first = variable.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic),
                  variable.unicodeScalars.allSatisfy({ $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) })
            else {
                throw document.error(at: path + [key, "env"], "is not an environment variable's name (letters, digits and _, not starting with a digit)",
                                     fix: "write the variable's name, like env = \"ACME_ENCORE_KEY\"; if that was the secret itself, export it under a name instead")
            }
            return SecretReference(source: .environment(variable), key: path + [key], document: document)
        case (nil, let file?): return SecretReference(source: .file(file), key: path + [key], document: document)
        case (nil, nil): throw document.error(at: path + [key], "names no source", fix: fixShape)
        case (.some, .some): throw document.error(at: path + [key], "names both env and file", fix: "keep one of them")
        }
    }
}
