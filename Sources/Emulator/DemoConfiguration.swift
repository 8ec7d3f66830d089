/// DemoConfiguration.swift: the `roster.toml` that points every vendor at a running
/// emulator with the demo credentials (`roster emulator --write-config FILE`), in
/// DESIGN.md's format, secrets in mode-0600 files beside it.
import Foundation

public enum DemoConfiguration {
    typealias C = DemoTenant.Credentials
    /// The secret files written beside the configuration, in `secrets/`.
    static let secretFiles = [
        "activeconnect.secret": C.activeconnectSecret, "encore.key": C.encoreSubscriptionKey,
        "guardant.token": C.guardantToken, "active911.refresh": C.active911RefreshToken,
        "allthenticate.key": C.allthenticateAPIKey,
    ]

    /// Every file `write(to: path, ...)` writes: the configuration, then its secrets.
    public static func files(for path: String) -> [String] {
        let secrets = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("secrets")
        return [path] + secretFiles.keys.sorted().map { secrets.appendingPathComponent($0).path }
    }

    /// The first of those files that already exists (these are the names a real
    /// configuration uses: never replaced without `--force`).
    public static func existingFile(for path: String) -> String? {
        files(for: path).first { FileManager.default.fileExists(atPath: $0) || (try? FileManager.default.destinationOfSymbolicLink(atPath: $0)) != nil }
    }

    /// Writes `path` and its `secrets/` folder for an emulator at `origin`. Unless
    /// `replacing`, refuses (writing nothing) when any of the files exists.
    public static func write(to path: String, origin: String, replacing: Bool = false) throws {
        if !replacing, let existing = existingFile(for: path) {
            throw CocoaError(.fileWriteFileExists, userInfo: [NSFilePathErrorKey: existing])
        }
        let file = URL(fileURLWithPath: path)
        let folder = file.deletingLastPathComponent()
        let secrets = folder.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (name, secret) in secretFiles {
            let url = secrets.appendingPathComponent(name)
            guard FileManager.default.createFile(atPath: url.path, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        }
        let base = { (vendor: EmulatedVendor) in "\"\(origin)\(vendor.pathPrefix)\"" }
        let text = """
            # Written by `roster emulator --write-config`: every vendor points at the emulator at
            # \(origin), with its demo credentials (secrets in secrets/, mode 0600).
            default_tenant = "demo"

            [tenants.demo.activeconnect]
            base_url = \(base(.activeconnect))
            application_id = "\(C.activeconnectApplicationID)"
            application_secret = { file = "secrets/activeconnect.secret" }

            [tenants.demo.encore]
            base_url = \(base(.encore))
            subscription_key = { file = "secrets/encore.key" }

            [tenants.demo.guardant]
            base_url = \(base(.guardant))
            token = { file = "secrets/guardant.token" }

            [tenants.demo.active911]
            base_url = \(base(.active911))
            token_url = \(base(.active911))
            refresh_token = { file = "secrets/active911.refresh" }
            agency = "\(C.active911Agency)"

            [tenants.demo.allthenticate]
            base_url = \(base(.allthenticate))
            api_key = { file = "secrets/allthenticate.key" }

            """
        try Data(text.utf8).write(to: file, options: replacing ? [.atomic] : [.withoutOverwriting])
    }
}
