/// DemoConfiguration.swift: the `roster.toml` that points every vendor at a running
/// emulator with its demo account (`roster emulator --write-config FILE`), secrets in
/// mode-0600 files beside it. Each vendor contributes its own section (`VendorUnit`).
import Foundation

/// Writes the configuration for an emulator.
public struct DemoConfiguration {
    public let registry: VendorRegistry

    public init(registry: VendorRegistry = .standard) {
        self.registry = registry
    }

    /// Every file `write(to: path, ...)` writes: the configuration, then its secrets.
    public func files(for path: String) -> [String] {
        let secrets = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("secrets")
        let names = registry.units.flatMap { $0.demoSection(baseURL: "").secretFiles.map(\.name) }
        return [path] + names.sorted().map { secrets.appendingPathComponent($0).path }
    }

    /// The first of those files that already exists (these are the names a real
    /// configuration uses: never replaced without `--force`).
    public func existingFile(for path: String) -> String? {
        files(for: path).first { FileManager.default.fileExists(atPath: $0) || (try? FileManager.default.destinationOfSymbolicLink(atPath: $0)) != nil }
    }

    /// The configuration's text for an emulator at `origin`, and its secret files.
    func contents(origin: String) -> (text: String, secretFiles: [(name: String, contents: String)]) {
        var lines = [
            "# Written by `roster emulator --write-config`: every vendor points at the emulator at",
            "# \(origin), with its demo credentials (secrets in secrets/, mode 0600).",
            "default_tenant = \"demo\"",
        ]
        var secretFiles: [(name: String, contents: String)] = []
        for unit in registry.units {
            let section = unit.demoSection(baseURL: origin + "/" + unit.vendor.rawValue)
            lines += ["", "[tenants.demo.\(unit.vendor.rawValue)]"] + section.keys.map { "\($0.0) = \($0.1)" }
            secretFiles += section.secretFiles
        }
        return (lines.joined(separator: "\n") + "\n", secretFiles)
    }

    /// Writes `path` and its `secrets/` folder for an emulator at `origin`. Unless
    /// `replacing`, refuses (writing nothing) when any of the files exists.
    public func write(to path: String, origin: String, replacing: Bool = false) throws {
        if !replacing, let existing = existingFile(for: path) {
            throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: existing])
        }
        let file = URL(fileURLWithPath: path)
        let secrets = file.deletingLastPathComponent().appendingPathComponent("secrets")
        let (text, secretFiles) = contents(origin: origin)
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (name, secret) in secretFiles {
            let url = secrets.appendingPathComponent(name)
            guard FileManager.default.createFile(atPath: url.path, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        }
        try Data(text.utf8).write(to: file, options: replacing ? [.atomic] : [.withoutOverwriting])
    }
}
