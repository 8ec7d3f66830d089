/// PluginPackageCommands.swift: `roster plugin keygen | pack | install | remove` — a
/// publisher's keys, a signed package, and a customer's consent to install it.
import ArgumentParser
import Engine
import Foundation
import LuaHost

extension PluginCommand {
    /// `roster plugin keygen --name NAME --out DIR`
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keygen",
            abstract: "Make a publisher's Ed25519 key pair: DIR/NAME.key (private, mode 0600) and DIR/NAME.pub (the line trusted_publishers takes).")
        @Option(help: ArgumentHelp("The publisher's name, as packages and trusted_publishers name it.", valueName: "NAME")) var name: String
        @Option(help: ArgumentHelp("The folder to write the two files in.", valueName: "DIR")) var out: String

        func validate() throws {
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
                throw ValidationError("--name '\(name)' is not a publisher name: use letters, digits, dashes and dots")
            }
        }

        func run() throws {
            let folder = URL(fileURLWithPath: out)
            try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let keyPath = folder.appendingPathComponent("\(name).key").path, publicPath = folder.appendingPathComponent("\(name).pub").path
            guard !FileManager.default.fileExists(atPath: keyPath) else {
                Diagnostics.error("roster: \(keyPath) exists; a key is never overwritten (remove it first, or pick another --out)")
                throw ExitCode(ExitStatus.usage)
            }
            let key = PublisherKey(name: name)
            guard FileManager.default.createFile(atPath: keyPath, contents: Data(key.fileText.utf8), attributes: [.posixPermissions: 0o600]),
                  FileManager.default.createFile(atPath: publicPath, contents: Data((key.publicText + "\n").utf8), attributes: [.posixPermissions: 0o644])
            else {
                Diagnostics.error("roster: cannot write the key pair in \(out)")
                throw ExitCode(ExitStatus.usage)
            }
            print("wrote \(keyPath) (private: keep it secret) and \(publicPath)")
            print("customers trust it with, in roster.toml:")
            print("[plugins]\ntrusted_publishers = [{ name = \"\(name)\", key = \"\(key.publicText)\" }]")
        }
    }

    /// `roster plugin pack DIR --key KEY -o FILE`
    struct Pack: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pack",
            abstract: "Pack a plugin's folder into one signed file: its files and a manifest of their SHA-256s, signed with KEY.")
        @Argument(help: ArgumentHelp("The plugin's folder (with its plugin.toml).", valueName: "DIR")) var folder: String
        @Option(help: ArgumentHelp("The publisher's key (roster plugin keygen).", valueName: "KEY")) var key: String
        @Option(name: .shortAndLong, help: ArgumentHelp("The package to write (NAME-VERSION.rosterplugin).", valueName: "FILE")) var output: String

        func run() throws {
            try refuseWritingOver()
            do {
                let key = try PublisherKey(file: key)
                let manifest = try PluginPackage.pack(folder: URL(fileURLWithPath: folder), key: key, to: URL(fileURLWithPath: output))
                print("packed \(manifest.name) \(manifest.version) (\(manifest.files.count) files), signed by \(manifest.publisher), into \(output)")
            } catch let error as ConfigurationError {
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.usage)
            } catch let error as PluginPackageError {
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.usage)
            } catch {
                Diagnostics.error("roster: cannot write the package '\(output)': \(UserFile.whyUnwritable(output, after: error))")
                throw ExitCode(ExitStatus.usage)
            }
        }

        /// A package replaces only an older package: `--output acme.key` wrote it over the
        /// publisher's private key, which nothing can make again, and one inside the plugin's
        /// folder would replace one of its files or be packed into the next package.
        private func refuseWritingOver() throws {
            try Diagnostics.checkWritable("--output", output, reads: [ReadFile(what: "the publisher's key", path: key)], nothing: "nothing was packed")
            let inside = UserFile.absolutePath(output).hasPrefix(UserFile.absolutePath(folder) + "/")
            let existing = !inside && FileManager.default.fileExists(atPath: output) && (try? PluginPackage(path: output)) == nil
            guard inside || existing else { return }
            Diagnostics.error("roster: --output '\(output)' " + (inside
                ? "is inside the plugin's folder, where the package would replace a file or be packed into the next one; write it beside the folder; nothing was packed"
                : "exists and is not a plugin package; a package replaces only an older package (remove the file first, or name another); nothing was packed"))
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// `roster plugin install FILE [--plugins DIR] [--config FILE] [--yes]`
    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Install a signed plugin package, with your consent to its permissions.",
            discussion: """
                The package's signature must be a publisher's in [plugins] trusted_publishers of roster.toml, its files the ones signed, and its Roster range this Roster. Its permissions are shown (for an upgrade, those that are new) and it is installed only once you agree (--yes without a terminal). The plugins folder gets a lock file pinning the plugin: from then on only signed, unmodified plugins run from it.

                Exit codes: 0 installed; 2 a usage or configuration error, an unsupported Roster range, or no consent; 4 a package that is unsigned, invalid, modified or from an untrusted publisher.
                """)
        @Argument(help: ArgumentHelp("The package (NAME-VERSION.rosterplugin).", valueName: "FILE")) var file: String
        @Option(help: ArgumentHelp("The plugins folder to install into (default: ./plugins if it exists, else ~/.config/roster/plugins).", valueName: "DIR"))
        var plugins: String?
        @Option(help: ArgumentHelp("The configuration whose trusted_publishers apply.", valueName: "FILE")) var config: String?
        @Flag(help: "Install without asking.") var yes = false

        func run() throws {
            let trusted = try Self.trustedPublishers(config)
            let package: PluginPackage
            do {
                package = try PluginPackage(path: file)
                _ = try package.verify(trusted: trusted)
            } catch {
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.permission)
            }
            let manifest = package.manifest
            guard let range = VersionRequirement(manifest.roster), range.isSatisfied(by: RosterVersion.current) else {
                Diagnostics.error("roster: \(manifest.name) \(manifest.version) needs Roster \(manifest.roster); this is Roster \(RosterVersion.current)")
                throw ExitCode(ExitStatus.usage)
            }
            let folder = Self.folder(plugins)
            var lock = (try? PluginLock.read(in: folder)) ?? nil ?? PluginLock()
            // An upgrade: the permissions it did not have.
            let installed = FileManager.default.contents(atPath: folder.appendingPathComponent(manifest.name).appendingPathComponent(SignedManifest.installedManifest).path)
                .flatMap { try? JSONDecoder().decode(SignedManifest.self, from: $0) }
            let added = manifest.permissions.filter { !(installed?.permissions ?? []).contains($0) }
            var text = "\(installed == nil ? "Install" : "Upgrade") \(manifest.name) "
                + (installed.map { "\($0.version) -> " } ?? "") + "\(manifest.version), signed by \(manifest.publisher), into \(folder.path)\n"
            text += "  permissions: " + manifest.permissions.joined(separator: ", ") + "\n"
            if installed != nil { text += "  new permissions: " + (added.isEmpty ? "none" : added.joined(separator: ", ")) + "\n" }
            if let tenants = manifest.tenants { text += "  for tenants: " + tenants.joined(separator: ", ") + "\n" }
            Diagnostics.error(text.trimmingCharacters(in: .newlines))
            try Terminal.confirm(unless: yes, "Install it with these permissions? [y/N] ",
                                 noTerminal: "not installed: there is no terminal to agree to its permissions; add --yes once you have read them",
                                 declined: "not installed (not agreed)")
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try package.extract(into: folder)
                lock.plugins[manifest.name] = PluginLock.Entry(version: manifest.version, publisher: manifest.publisher,
                                                               manifest_sha256: package.manifestDigest)
                try lock.write(in: folder)
            } catch {
                Diagnostics.error("roster: cannot install into \(folder.path): \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            print("installed \(manifest.name) \(manifest.version) into \(folder.path)")
        }

        /// `--plugins DIR`, else ./plugins if it exists, else ~/.config/roster/plugins.
        static func folder(_ explicit: String?) -> URL {
            if let explicit { return URL(fileURLWithPath: explicit) }
            if let found = PluginCatalog.locate(explicit: nil) { return found.folder }
            let environment = ProcessInfo.processInfo.environment
            let config = environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (environment["HOME"] ?? "~") + "/.config"
            return URL(fileURLWithPath: config).appendingPathComponent("roster/plugins")
        }

        /// The trusted publishers of the configuration found; one line and exit 2 without one.
        static func trustedPublishers(_ explicit: String?) throws -> [TrustedPublisher] {
            do {
                guard let path = try ConfigurationLocation.find(explicit: explicit) else {
                    Diagnostics.error("roster: no roster.toml, so no trusted publisher: add [plugins] trusted_publishers to one (or pass --config FILE)")
                    throw ExitCode(ExitStatus.usage)
                }
                return try RosterConfiguration.load(path: path).trustedPublishers
            } catch let error as ConfigurationError {
                Diagnostics.error("roster: \(error)")
                throw ExitCode(ExitStatus.usage)
            }
        }
    }

    /// `roster plugin remove NAME`
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an installed plugin (its folder and its lock entry).")
        @OptionGroup var location: Location
        @Argument(help: "The plugin.") var name: String

        func run() throws {
            let catalog = try location.catalog()
            // Only a plugin's folder is removed: `..`, `.` or the lock file's name would take
            // the folder above, every plugin, or the pins that keep unsigned plugins out.
            guard PluginManifest.isPluginName(name) else {
                Diagnostics.error("roster: '\(QuotedText.shown(name))' is not a plugin name; plugins here: "
                                  + (catalog.names.isEmpty ? "none" : catalog.names.joined(separator: ", ")))
                throw ExitCode(ExitStatus.usage)
            }
            let plugin = catalog.folder.appendingPathComponent(name)
            let locked = ((try? PluginLock.read(in: catalog.folder)) ?? nil)?.plugins[name] != nil
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: plugin.path, isDirectory: &isFolder), isFolder.boolValue,
                  locked || catalog.names.contains(name) else {
                Diagnostics.error("roster: no plugin named '\(name)' in \(catalog.folder.path)")
                throw ExitCode(ExitStatus.usage)
            }
            do {
                try FileManager.default.removeItem(at: plugin)
                if var lock = try PluginLock.read(in: catalog.folder) {
                    lock.plugins[name] = nil
                    try lock.write(in: catalog.folder)
                }
            } catch {
                Diagnostics.error("roster: cannot remove \(plugin.path): \(error)")
                throw ExitCode(ExitStatus.usage)
            }
            print("removed \(name) from \(catalog.folder.path)")
        }
    }
}
