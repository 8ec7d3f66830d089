/// ConfigurationError.swift: the one-line error every configuration mistake gives.
import Foundation

/// A mistake in `roster.toml` or in a secret it points at: where (file, line, key), what is
/// wrong and how to fix it. Never carries a secret's value. Exit code 2.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration file as the user named it (or as Roster found it).
    public var file: String
    /// The line of `key` in `file`, when it has one.
    public var line: Int?
    /// The dotted key: `tenants.acme.encore.subscription_key`.
    public var key: String?
    public var problem: String
    public var fix: String

    public init(file: String, line: Int? = nil, key: String? = nil, problem: String, fix: String) {
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem
        self.fix = fix
    }

    /// `roster.toml:7: tenants.acme.encore.subscription_key: environment variable ACME_ENCORE_KEY is not set; export it, or use { file = "..." }`
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += key + ": " }
        // One line, whatever a parser's message holds.
        return (text + problem + "; " + fix).replacingOccurrences(of: "\n", with: " ")
    }
}
