/// ConfigurationDocument.swift: a TOML file read with TOMLKit into plain Swift values, with
/// the line of each key so that every message can point at it.
import Foundation
import TOMLKit

/// A TOML value, copied out of TOMLKit's tree (which is neither Sendable nor positioned).
public indirect enum ConfigurationValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case array([ConfigurationValue])
    case table([String: ConfigurationValue])
    /// A date or time: valid TOML, but no Roster setting takes one.
    case dateTime(String)

    /// The TOML name of the value's type, for messages: "a string", "a table".
    public var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .dateTime: "a date-time"
        }
    }

    init(_ value: TOMLValueConvertible) {
        switch value.type {
        case .string: self = .string(value.string ?? "")
        case .int: self = .integer(value.int ?? 0)
        case .double: self = .float(value.double ?? 0)
        case .bool: self = .boolean(value.bool ?? false)
        case .array: self = .array((value.array.map { Array($0) } ?? []).map { ConfigurationValue($0) })
        case .table:
            var fields: [String: ConfigurationValue] = [:]
            if let table = value.table {
                for key in table.keys { if let field = table[key] { fields[key] = ConfigurationValue(field) } }
            }
            self = .table(fields)
        case .date, .time, .dateTime: self = .dateTime(value.debugDescription)
        }
    }
}

/// A parsed TOML document: its root table and where each key was written.
public struct ConfigurationDocument: Sendable {
    /// The file as the user named it.
    public let file: String
    /// The folder relative paths in the document are taken from.
    public let folder: URL
    public let root: [String: ConfigurationValue]
    private let lines: [String]

    /// Reads and parses `path`; a missing file or a syntax error is one `ConfigurationError`.
    public init(contentsOf path: String, what: String = "configuration file", fix: String) throws(ConfigurationError) {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            data = try UserFile.contents(path, atMost: UserFile.Limit.configuration)
        } catch {
            throw ConfigurationError(file: path, problem: "cannot read the \(what) (\(error))",
                                     fix: error.exceedsLimit ? "a \(what) is a short text file: check the path" : fix)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, problem: "the \(what) is not UTF-8 text", fix: "save it as UTF-8")
        }
        try self.init(text: text, file: path, folder: url.deletingLastPathComponent())
    }

    /// Parses `text`, naming it `file` in messages.
    public init(text: String, file: String, folder: URL) throws(ConfigurationError) {
        self.file = file
        self.folder = folder
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let refusal = TOMLParserGuard.firstRefusal(in: text) {
            throw ConfigurationError(file: file, line: refusal.line, problem: "TOML syntax error: \(refusal.problem)",
                                     fix: "correct the syntax at column \(refusal.column) (see https://toml.io)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(file: file, line: error.source.begin.line, problem: "TOML syntax error: \(error.description)",
                                     fix: "correct the syntax at column \(error.source.begin.column) (see https://toml.io)")
        } catch {
            throw ConfigurationError(file: file, problem: "TOML syntax error", fix: "correct the syntax (see https://toml.io)")
        }
        guard case .table(let root) = ConfigurationValue(table) else {
            throw ConfigurationError(file: file, problem: "the document is not a table", fix: "write key = value lines")
        }
        self.root = root
    }

    /// An error at `key` (its line looked up).
    public func error(at key: [String], _ problem: String, fix: String) -> ConfigurationError {
        ConfigurationError(file: file, line: line(of: key), key: key.isEmpty ? nil : key.joined(separator: "."), problem: problem, fix: fix)
    }

    /// The line where `key` is written: its own `key = ` line, else the first line inside it
    /// (`[tenant.a.encore]` defines `tenant`), else the table header or inline table that
    /// holds it. TOMLKit keeps no positions, so this reads the text: headers and
    /// `dotted.key =` lines are enough for configuration files.
    public func line(of key: [String]) -> Int? {
        var header: [String] = []
        var enclosing: (line: Int, depth: Int)?
        var inside: Int?
        for (index, raw) in lines.enumerated() {
            let text = raw.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            let path: [String]
            if text.hasPrefix("[") {
                let inner = text.drop(while: { $0 == "[" }).prefix(while: { $0 != "]" })
                header = Self.keyPath(inner)
                path = header
            } else if let equals = text.firstIndex(of: "="), !text.hasPrefix("\"\"\"") {
                path = header + Self.keyPath(text[..<equals])
            } else {
                continue
            }
            if path == key { return index + 1 }
            if inside == nil, path.count > key.count, Array(path.prefix(key.count)) == key { inside = index + 1 }
            // A line whose key holds the one we look for (a header, an inline table).
            if path.count < key.count, Array(key.prefix(path.count)) == path, path.count > (enclosing?.depth ?? -1) {
                enclosing = (index + 1, path.count)
            }
        }
        return inside ?? enclosing?.line
    }

    /// `tenants."acme corp" . encore` → ["tenants", "acme corp", "encore"].
    static func keyPath(_ text: Substring) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "." {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }
}
