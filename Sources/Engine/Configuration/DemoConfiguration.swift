/// DemoConfiguration.swift: the `roster.toml` that points every vendor at a running
/// emulator with its demo account — written by `roster emulator --write-config FILE`
/// (secrets in mode-0600 files beside it), or read in memory for the in-process emulator.
/// Each vendor contributes its keys (`VendorUnit.demoKeys`).
import Emulator
import Foundation
import Vendors

/// The configuration of an emulator's demo accounts.
public struct DemoConfiguration {
    public let registry: VendorRegistry

    public init(registry: VendorRegistry = .standard) {
        self.registry = registry
    }

    /// Every file `write(to: path, ...)` writes: the configuration, then its secrets.
    public func files(for path: String) -> [String] {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("secrets")
        return [path] + secretFiles.keys.sorted().map { folder.appendingPathComponent($0).path }
    }

    /// The first of those files that already exists (these are the names a real
    /// configuration uses: never replaced without `--force`).
    public func existingFile(for path: String) -> String? {
        files(for: path).first { FileManager.default.fileExists(atPath: $0) || (try? FileManager.default.destinationOfSymbolicLink(atPath: $0)) != nil }
    }

    /// The configuration for an emulator at `origin`, tenant `tenant`, with each secret
    /// written as `secret(file, value)` gives it.
    func text(origin: String, tenant: String, secret: (String, String) -> String) -> String {
        var lines = ["default_tenant = \(DemoConfiguration.quoted(tenant))"]
        for unit in registry.units {
            let baseURL = DemoConfiguration.quoted(origin + "/" + unit.vendor.rawValue)
            lines += ["", "[tenants.\(tenant).\(unit.vendor.rawValue)]", "base_url = \(baseURL)"]
            for (key, value) in unit.demoKeys {
                switch value {
                case .text(let text): lines.append("\(key) = \(DemoConfiguration.quoted(text))")
                case .baseURL: lines.append("\(key) = \(baseURL)")
                case .secret(let file, let value): lines.append("\(key) = \(secret(file, value))")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The secret files by name, and their contents.
    var secretFiles: [String: String] {
        var files: [String: String] = [:]
        for unit in registry.units {
            for case (_, .secret(let file, let value)) in unit.demoKeys { files[file] = value }
        }
        return files
    }

    /// The tenant for the emulator running at `origin`, read from its demo configuration
    /// as any `roster.toml` is (secrets held in memory).
    func tenant(origin: String, name: String) throws(ConfigurationError) -> Tenant {
        var environment: [String: String] = [:]
        let text = text(origin: origin, tenant: name) { file, value in
            let variable = "ROSTER_DEMO_" + file.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            environment[variable] = value
            return "{ env = \"\(variable)\" }"
        }
        // It names no file, so any folder will do (the temporary one took Foundation a
        // sizeable part of a start to find).
        let document = try ConfigurationDocument(text: text, file: "(the emulator's demo configuration)",
                                                 folder: URL(fileURLWithPath: "/", isDirectory: true))
        return try RosterConfiguration(document, registry: registry).tenant(named: name, environment: environment)
    }

    /// Writes `path` and its `secrets/` folder for an emulator at `origin`. Unless
    /// `replacing`, refuses (writing nothing) when any of the files exists.
    public func write(to path: String, origin: String, replacing: Bool = false) throws {
        if !replacing, let existing = existingFile(for: path) {
            throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: existing])
        }
        let file = URL(fileURLWithPath: path)
        let secrets = file.deletingLastPathComponent().appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (name, secret) in secretFiles {
            let url = secrets.appendingPathComponent(name)
            guard FileManager.default.createFile(atPath: url.path, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        }
        let header = """
            # Written by `roster emulator --write-config`: every vendor points at the emulator at
            # \(origin), with its demo credentials (secrets in secrets/, mode 0600).

            """
        let text = header + text(origin: origin, tenant: "demo") { file, _ in "{ file = \"secrets/\(file)\" }" }
        if replacing {
            try UserFile.write(Data(text.utf8), to: path) // a link or a device is written through, not replaced
        } else {
            try Data(text.utf8).write(to: file, options: [.withoutOverwriting])
        }
    }

    /// `"text"` as a TOML string.
    static func quoted(_ text: String) -> String {
        var quoted = "\""
        for character in text {
            if character == "\\" || character == "\"" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }
}
