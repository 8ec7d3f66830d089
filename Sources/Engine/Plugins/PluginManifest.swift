/// PluginManifest.swift: `plugins/NAME/plugin.toml` read and checked — name, version, the
/// Roster versions it needs, its workflows with typed parameters, and its permissions.
/// Every mistake is one line naming the file, the line and the fix.
import Bindings
import Foundation
import LuaHost
import Vendors

/// Roster's own version, which plugins state a requirement on.
public enum RosterVersion {
    public static let current = SemanticVersion(major: 0, minor: 1, patch: 0)
}

/// `MAJOR.MINOR.PATCH`.
public struct SemanticVersion: Sendable, Comparable, CustomStringConvertible {
    public var major, minor, patch: Int

    public init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// "1.2.3" (also "1.2" and "1").
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...3).contains(parts.count), parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        major = parts[0]!
        minor = parts.count > 1 ? parts[1]! : 0
        patch = parts.count > 2 ? parts[2]! : 0
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }
}

/// A requirement such as ">=0.1.0" or ">=0.1.0, <1.0.0".
public struct VersionRequirement: Sendable, CustomStringConvertible {
    public var text: String
    var clauses: [(String, SemanticVersion)]

    public init?(_ text: String) {
        self.text = text
        clauses = []
        for clause in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let operators = [">=", "<=", "==", ">", "<", "="]
            let op = operators.first { clause.hasPrefix($0) } ?? "="
            let rest = clause.hasPrefix(op) ? String(clause.dropFirst(op.count)).trimmingCharacters(in: .whitespaces) : clause
            guard let version = SemanticVersion(rest) else { return nil }
            clauses.append((op, version))
        }
        if clauses.isEmpty { return nil }
    }

    public func isSatisfied(by version: SemanticVersion) -> Bool {
        clauses.allSatisfy { op, bound in
            switch op {
            case ">=": version >= bound
            case "<=": version <= bound
            case ">": version > bound
            case "<": version < bound
            default: version == bound
            }
        }
    }

    public var description: String { text }
}

/// A workflow parameter's type, as the manifest names it.
public enum ParameterType: String, Sendable, CaseIterable {
    case string, integer, number, boolean
    /// A setting only: `{ env = ... }` or `{ file = ... }` in roster.toml; the workflow holds
    /// it as a handle it can pass where a secret goes (a password), never read.
    case secret

    /// Converts a `--arg` value; nil when it does not read as this type.
    func convert(_ text: String) -> LuaValue? {
        switch self {
        case .secret: return nil
        case .string: return .string(LuaString(text))
        case .integer: return Int64(text).map { .integer($0) }
        case .number: return Double(text).flatMap { $0.isFinite ? .number($0) : nil }
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "1": return .boolean(true)
            case "false", "no", "0": return .boolean(false)
            default: return nil
            }
        }
    }
}

/// One parameter of a workflow.
public struct WorkflowParameter: Sendable {
    public var name: String
    public var type: ParameterType
    public var required: Bool
    public var defaultValue: LuaValue?
    public var doc: String
}

/// One workflow: its entry script and parameters.
public struct Workflow: Sendable {
    public var name: String
    /// Relative to the plugin's folder.
    public var entry: String
    public var description: String
    public var parameters: [WorkflowParameter]
}

/// A checked plugin manifest.
public struct PluginManifest: Sendable {
    public var folder: URL
    public var file: String
    public var name: String
    public var version: SemanticVersion
    public var description: String
    public var requirement: VersionRequirement
    public var permissions: PluginPermissions
    /// The tenants it is for (`tenants = ["acme"]`); nil: any.
    public var tenants: [String]?
    /// What each tenant may set for it (`[settings.NAME]`), which its workflows read as
    /// `settings`.
    public var settings: [WorkflowParameter]
    public var workflows: [Workflow]

    /// Reads `folder/plugin.toml`; `checkingRange: false` accepts a plugin made for
    /// another Roster (to pack it).
    public static func load(folder: URL, checkingRange: Bool = true) throws(ConfigurationError) -> PluginManifest {
        let file = folder.appendingPathComponent("plugin.toml").path
        let document = try ConfigurationDocument(contentsOf: file, what: "plugin manifest",
                                                 fix: "write a plugin.toml in the plugin's folder (see the README)")
        return try PluginManifest(document, folder: folder, checkingRange: checkingRange)
    }

    /// Whether it may run against `tenant`.
    public func isFor(tenant: String) -> Bool { tenants.map { $0.contains(tenant) } ?? true }

    /// Whether `name` may name a plugin. ASCII only: a name is a folder, a package's file name
    /// and what an admin trusts by reading it, where `аcme` (Cyrillic а) would pass for `acme`;
    /// never `.` or `..`, so a name always stays inside the plugins folder.
    public static func isPluginName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.first.map({ (0x61...0x7A).contains($0) }) == true
            && name.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
    }

    /// What `isPluginName` takes, said as a fix.
    public static let pluginNameRule = "use up to 64 lowercase ASCII letters, digits, dashes and underscores, starting with a letter, like \"acme-onboarding\""

    init(_ document: ConfigurationDocument, folder: URL, checkingRange: Bool = true) throws(ConfigurationError) {
        let root = ConfigurationSection(document: document, path: [], fields: document.root)
        try root.requireOnly(["name", "version", "description", "roster", "permissions", "tenants", "settings", "workflows"])
        self.folder = folder
        file = document.file
        name = try root.string("name", required: true, example: "acme-onboarding")!
        guard Self.isPluginName(name) else {
            throw document.error(at: ["name"], "'\(QuotedText.shown(name))' is not a plugin name", fix: Self.pluginNameRule)
        }
        let versionText = try root.string("version", required: true, example: "1.0.0")!
        guard let version = SemanticVersion(versionText) else {
            throw document.error(at: ["version"], "'\(versionText)' is not a version", fix: "write MAJOR.MINOR.PATCH, like \"1.0.0\"")
        }
        self.version = version
        description = try root.string("description", required: true, example: "what the plugin is for")!
        let requirementText = try root.string("roster", required: true, example: ">=\(RosterVersion.current)")!
        guard let requirement = VersionRequirement(requirementText) else {
            throw document.error(at: ["roster"], "'\(requirementText)' is not a version requirement", fix: "write it like \">=0.1.0\" or \">=0.1.0, <1.0.0\"")
        }
        guard !checkingRange || requirement.isSatisfied(by: RosterVersion.current) else {
            throw document.error(at: ["roster"], "the plugin needs Roster \(requirementText); this is Roster \(RosterVersion.current)",
                                 fix: "use a Roster that satisfies it, or a version of the plugin made for \(RosterVersion.current)")
        }
        self.requirement = requirement
        permissions = try PluginPermissions(document: document, key: ["permissions"], value: root.fields["permissions"])
        if let value = root.fields["tenants"] {
            guard case .array(let items) = value, !items.isEmpty,
                  case let names = items.compactMap({ if case .string(let name) = $0 { name } else { nil } }), names.count == items.count else {
                throw document.error(at: ["tenants"], "expected a list of tenant names", fix: "write tenants = [\"acme\"], or remove it for any tenant")
            }
            tenants = names
        }
        settings = try root.table("settings").map { table throws(ConfigurationError) in try Self.parameters(table, secretsAllowed: true) } ?? []
        guard let workflowTables = try root.table("workflows"), !workflowTables.fields.isEmpty else {
            throw document.error(at: ["workflows"], "no workflow is declared", fix: "add a [workflows.NAME] section with entry = \"workflows/NAME.lua\"")
        }
        var workflows: [Workflow] = []
        for workflowName in workflowTables.keysInWrittenOrder {
            workflows.append(try Self.workflow(workflowName, try workflowTables.table(workflowName)!, folder: folder))
        }
        self.workflows = workflows
    }

    public func workflow(named name: String) -> Workflow? { workflows.first { $0.name == name } }

    private static func workflow(_ name: String, _ section: ConfigurationSection, folder: URL) throws(ConfigurationError) -> Workflow {
        let document = section.document
        try section.requireOnly(["entry", "description", "params"])
        let entry = try section.string("entry", required: true, example: "workflows/\(name).lua")!
        guard entry.hasSuffix(".lua"), !entry.hasPrefix("/"), !entry.split(separator: "/").contains("..") else {
            throw document.error(at: section.path + ["entry"], "'\(entry)' is not a Lua file inside the plugin", fix: "name a .lua file under the plugin's folder, like \"workflows/\(name).lua\"")
        }
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(entry).path) else {
            throw document.error(at: section.path + ["entry"], "\(entry) does not exist in the plugin", fix: "create it, or correct the path")
        }
        let description = try section.string("description", example: "what the workflow does") ?? ""
        let parameters = try section.table("params").map { table throws(ConfigurationError) in try Self.parameters(table) } ?? []
        return Workflow(name: name, entry: entry, description: description, parameters: parameters)
    }

    /// Typed values declared one per sub-table (`params.NAME`, `settings.NAME`): type,
    /// required, default, doc.
    private static func parameters(_ table: ConfigurationSection, secretsAllowed: Bool = false) throws(ConfigurationError) -> [WorkflowParameter] {
        let document = table.document
        var parameters: [WorkflowParameter] = []
        for parameterName in table.keysInWrittenOrder {
            guard let parameter = try table.table(parameterName) else { continue }
            try parameter.requireOnly(["type", "required", "default", "doc"])
            let typeName = try parameter.string("type", required: true, example: "string")!
            guard let type = ParameterType(rawValue: typeName), secretsAllowed || type != .secret else {
                throw document.error(at: parameter.path + ["type"], "unknown type '\(typeName)'" + (typeName == "secret" ? " for a parameter (a secret is a setting)" : ""),
                                     fix: "use one of: " + ParameterType.allCases.filter { secretsAllowed || $0 != .secret }.map(\.rawValue).joined(separator: ", "))
            }
            if type == .secret, parameter.fields["default"] != nil {
                throw document.error(at: parameter.path + ["default"], "a secret has no default", fix: "remove it: each tenant sets it in roster.toml as { env = ... } or { file = ... }")
            }
            let required = try parameter.boolean("required") ?? (parameter.fields["default"] == nil)
            var defaultValue: LuaValue?
            if let value = parameter.fields["default"] {
                defaultValue = Self.luaValue(value, type)
                if defaultValue == nil {
                    throw document.error(at: parameter.path + ["default"], "expected \(type.rawValue), got \(value.typeName)", fix: "give a default of the parameter's type")
                }
            }
            parameters.append(WorkflowParameter(name: parameterName, type: type, required: required, defaultValue: defaultValue,
                                                doc: try parameter.string("doc") ?? ""))
        }
        return parameters
    }

    /// The declared settings' defaults (what a plugin's own tests run with).
    public var defaultSettings: LuaTable {
        var table = LuaTable()
        for setting in settings { if let value = setting.defaultValue { table[setting.name] = value } }
        return table
    }

    /// The `settings` table for a tenant whose roster.toml gives `values` (nil: no
    /// `[tenants.T.plugins.NAME]`): every key one the plugin declares, of its type; defaults
    /// fill the rest; a required one missing is one line naming where to add it.
    public func settingsTable(_ values: PluginSettingValues?, tenant: String, sealing secrets: SealedSecrets = SealedSecrets(),
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> LuaTable {
        var table = LuaTable()
        let section = "[tenants.\(tenant).plugins.\(name)]"
        for (key, value) in (values?.values ?? [:]).sorted(by: { $0.key < $1.key }) {
            let place = ((values?.path ?? []) + [key]).joined(separator: ".")
            guard let setting = settings.first(where: { $0.name == key }) else {
                throw ConfigurationError(file: values?.document.file ?? file, key: place,
                                         problem: "plugin \(name) has no setting '\(key)'",
                                         fix: settings.isEmpty ? "it takes none: remove \(section)" : "it takes " + settings.map(\.name).joined(separator: ", "))
            }
            if setting.type == .secret, let values {
                let reference = try ConfigurationSection(document: values.document, path: values.path, fields: values.values).secret(key, required: true)!
                table[key] = secrets.seal(try reference.resolve(environment: environment), name: key)
                continue
            }
            guard let converted = Self.luaValue(value, setting.type) else {
                throw ConfigurationError(file: values?.document.file ?? file, key: place,
                                         problem: "expected \(setting.type.rawValue), got \(value.typeName)", fix: "write \(key) as \(setting.type.rawValue) (\(setting.doc))")
            }
            table[key] = converted
        }
        for setting in settings where table[setting.name] == .nil {
            if let value = setting.defaultValue {
                table[setting.name] = value
            } else if setting.required {
                throw ConfigurationError(file: values?.document.file ?? file, key: section, problem: "plugin \(name) needs the setting '\(setting.name)' for tenant '\(tenant)'",
                                         fix: "add \(setting.name) = " + (setting.type == .secret ? "{ env = \"VARIABLE\" } or { file = \"path\" }" : "...")
                                            + " (\(setting.type.rawValue): \(setting.doc)) under \(section) in roster.toml")
            }
        }
        return table
    }

    private static func luaValue(_ value: ConfigurationValue, _ type: ParameterType) -> LuaValue? {
        switch (value, type) {
        case (.string(let text), .string): .string(LuaString(text))
        case (.integer(let number), .integer): .integer(Int64(number))
        case (.integer(let number), .number): .number(Double(number))
        case (.float(let number), .number): .number(number)
        case (.boolean(let flag), .boolean): .boolean(flag)
        default: nil
        }
    }
}

extension ConfigurationSection {
    func boolean(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = fields[key] else { return nil }
        guard case .boolean(let flag) = value else {
            throw document.error(at: path + [key], "expected a boolean, got \(value.typeName)", fix: "write \(key) = true or false")
        }
        return flag
    }
}

/// Why workflow arguments were refused (exit 2).
public struct WorkflowArgumentError: Error, CustomStringConvertible {
    public var description: String
}

extension Workflow {
    /// `--arg` values checked and converted to the `params` table: unknown names, missing
    /// required ones and values of the wrong type are refused; defaults fill the rest.
    public func parameters(from arguments: [String: String], plugin: String) throws(WorkflowArgumentError) -> LuaTable {
        var table = LuaTable()
        for name in arguments.keys.sorted() where !parameters.contains(where: { $0.name == name }) {
            let known = parameters.map(\.name)
            let near = NearNames.near(name, in: known, within: NearNames.limit(for: name)).first
            throw WorkflowArgumentError(description: "\(plugin) \(self.name): unknown parameter '\(name)'; "
                + (near.map { "did you mean '\($0)'? " } ?? "")
                + (known.isEmpty ? "this workflow takes none" : "it takes " + known.joined(separator: ", ")))
        }
        for parameter in parameters {
            if let text = arguments[parameter.name] {
                guard let value = parameter.type.convert(text) else {
                    throw WorkflowArgumentError(description: "\(plugin) \(name): --arg \(parameter.name)=\(text) is not \(parameter.type == .integer ? "an" : "a") \(parameter.type.rawValue)")
                }
                table[parameter.name] = value
            } else if let value = parameter.defaultValue {
                table[parameter.name] = value
            } else if parameter.required {
                throw WorkflowArgumentError(description: "\(plugin) \(name): missing --arg \(parameter.name)=\(parameter.type.rawValue.uppercased()) (\(parameter.doc))")
            }
        }
        return table
    }
}
