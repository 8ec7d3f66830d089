/// PluginPermissions.swift: what a plugin may call, from its manifest's `permissions`, and
/// the sandbox in which everything else stops the run (exit 4).
import Bindings
import LuaHost
import Vendors

/// The vendor operations a plugin may call: `"allthenticate.promote_guest"`,
/// `"activeconnect.*"` (the whole module), `"encore:read"` (its reads).
public struct PluginPermissions: Sendable {
    /// As written in the manifest.
    public var entries: [String]
    /// `module.function` names permitted.
    public var operations: Set<String>

    init(document: ConfigurationDocument, key: [String], value: ConfigurationValue?) throws(ConfigurationError) {
        let fix = "list operations like \"allthenticate.promote_guest\", \"activeconnect.*\" or \"encore:read\""
        guard let value else { throw document.error(at: key, "missing", fix: "add permissions = [...]: " + fix) }
        guard case .array(let items) = value else { throw document.error(at: key, "expected an array of strings, got \(value.typeName)", fix: fix) }
        var entries: [String] = []
        var operations: Set<String> = []
        let modules = VendorRegistry.standard.documentedModules
        for item in items {
            guard case .string(let entry) = item else { throw document.error(at: key, "expected strings, got \(item.typeName)", fix: fix) }
            let expanded = Self.expand(entry, modules)
            guard !expanded.isEmpty else {
                let operationNames = modules.flatMap { module in module.functions.map { "\(module.name).\($0.name)" } }
                let near = NearNames.near(entry, in: operationNames, within: 3).first
                throw document.error(at: key, "unknown operation '\(entry)'", fix: near.map { "did you mean \"\($0)\"?" } ?? fix + " (roster docs lists them)")
            }
            entries.append(entry)
            operations.formUnion(expanded)
        }
        self.entries = entries
        self.operations = operations
    }

    /// The operations one entry names; empty when it names none.
    static func expand(_ entry: String, _ modules: [LuaModule]) -> Set<String> {
        if entry.hasSuffix(":read") {
            let name = String(entry.dropLast(5))
            guard let module = modules.first(where: { $0.name == name }) else { return [] }
            return Set(module.functions.filter { $0.effect == .read }.map { "\(name).\($0.name)" })
        }
        let parts = entry.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let module = modules.first(where: { $0.name == parts[0] }) else { return [] }
        if parts[1] == "*" { return Set(module.functions.map { "\(parts[0]).\($0.name)" }) }
        return module.function(named: parts[1]) == nil ? [] : ["\(entry)"]
    }

    public func permits(_ operation: String) -> Bool { operations.contains(operation) }
}

extension PluginManifest {
    /// The vendor modules for one workflow run: permitted operations as they are; every
    /// other one stops the run with exit 4, whatever the path that calls it (`pcall`,
    /// `parallel`, a local module).
    public func sandboxedModules(for session: VendorSession) -> [LuaModule] {
        VendorRegistry.standard.luaModules(for: session).map { module in
            var module = module
            module.functions = module.functions.map { function in
                let operation = "\(module.name).\(function.name)"
                guard !permissions.permits(operation) else { return function }
                var denied = function
                let message = "permission denied: plugin \(name) may not call \(operation) (not in the permissions of \(file))"
                denied.body = .sync { call in throw call.deny(message) }
                return denied
            }
            return module
        }
    }
}
