/// PluginCatalog.swift: where plugins live, and running their workflows in their sandbox.
import Bindings
import Foundation
import LuaHost
import Vendors

/// The plugins folder: `--plugins DIR`, else `./plugins`, else `~/.config/roster/plugins`.
public struct PluginCatalog: Sendable {
    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    /// The folder to use; nil when none of the places exists.
    public static func locate(explicit: String?, currentDirectory: String = FileManager.default.currentDirectoryPath,
                              environment: [String: String] = ProcessInfo.processInfo.environment) -> PluginCatalog? {
        var isFolder: ObjCBool = false
        if let explicit {
            return FileManager.default.fileExists(atPath: explicit, isDirectory: &isFolder) && isFolder.boolValue
                ? PluginCatalog(folder: URL(fileURLWithPath: explicit)) : nil
        }
        var places = [URL(fileURLWithPath: currentDirectory).appendingPathComponent("plugins")]
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            places.append(URL(fileURLWithPath: xdg).appendingPathComponent("roster/plugins"))
        } else if let home = environment["HOME"], !home.isEmpty {
            places.append(URL(fileURLWithPath: home).appendingPathComponent(".config/roster/plugins"))
        }
        return places.first { FileManager.default.fileExists(atPath: $0.path, isDirectory: &isFolder) && isFolder.boolValue }
            .map(PluginCatalog.init)
    }

    /// The plugin folders (those holding a plugin.toml), by name.
    public var names: [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return entries.filter { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).appendingPathComponent("plugin.toml").path) }.sorted()
    }

    /// The checked manifest of plugin `name`.
    public func manifest(_ name: String) throws(ConfigurationError) -> PluginManifest {
        let plugin = folder.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: plugin.appendingPathComponent("plugin.toml").path) else {
            throw ConfigurationError(file: folder.path, key: name, problem: "no plugin named '\(name)' (no \(name)/plugin.toml here)",
                                     fix: names.isEmpty ? "this folder has no plugins" : "plugins here: " + names.joined(separator: ", "))
        }
        let manifest = try PluginManifest.load(folder: plugin)
        guard manifest.name == name else {
            throw ConfigurationError(file: manifest.file, key: "name", problem: "the manifest names '\(manifest.name)' but its folder is '\(name)'",
                                     fix: "make the folder and the name agree")
        }
        return manifest
    }
}

extension PluginManifest {
    /// A runner for `workflow`: the plugin's sandbox, `params` and `settings` set,
    /// `require` from the plugin's folder.
    public func runner(_ workflow: Workflow, parameters: LuaTable, settings: LuaTable = LuaTable(), sealedSecrets: SealedSecrets? = nil,
                       tenant: Tenant, limits: LuaLimits, http: VendorHTTP = .shared) -> VendorScriptRunner {
        let manifest = self
        var runner = VendorScriptRunner(tenant: tenant, limits: limits, http: http, vendorModules: { manifest.sandboxedModules(for: $0) },
                                        globals: ["params": .table(parameters), "settings": .table(settings)])
        runner.sealedSecrets = sealedSecrets
        return runner
    }

    /// The workflow's entry script.
    public func script(_ workflow: Workflow) throws(ConfigurationError) -> LuaScript {
        let url = folder.appendingPathComponent(workflow.entry)
        guard let source = FileManager.default.contents(atPath: url.path) else {
            throw ConfigurationError(file: file, key: "workflows.\(workflow.name).entry", problem: "cannot read \(workflow.entry) (\(UserFile.whyUnreadable(url.path)))", fix: "check the file")
        }
        let text: [UInt8]
        do throws(TextFileError) {
            text = try TextFile.script(source)
        } catch {
            throw ConfigurationError(file: file, key: "workflows.\(workflow.name).entry", problem: "\(workflow.entry): \(error.description)",
                                     fix: "the plugin's author must fix it")
        }
        return LuaScript(name: "\(folder.lastPathComponent)/\(workflow.entry)", source: text, directory: folder.path)
    }
}
