/// PluginPackage.swift: a plugin shipped as one file (`NAME-VERSION.rosterplugin`, a ZIP
/// archive through ZIPFoundation) — the plugin's files under `plugin/`, the signed manifest
/// and its Ed25519 signature — packed by its publisher, checked and installed by a customer
/// into an installed plugins folder, whose lock file pins each plugin's manifest.
import Crypto
import Foundation
import LuaHost
import ZIPFoundation

/// A package's contents, read and checked against its signature.
public struct PluginPackage {
    public static let manifestEntry = "roster-manifest.json"
    public static let signatureEntry = "roster-manifest.sig"
    static let filesPrefix = "plugin/"
    /// The most a package may unpack to.
    static let maximumSize: Int64 = 64 << 20

    public let manifest: SignedManifest
    /// The manifest's bytes as signed, and the signature.
    let manifestData: Data
    let signature: Data
    /// The plugin's files by path.
    let files: [String: Data]

    /// Packs the plugin in `folder`, signed with `key`, into `output`.
    public static func pack(folder: URL, key: PublisherKey, to output: URL) throws -> SignedManifest {
        let plugin = try PluginManifest.load(folder: folder, checkingRange: false)
        let digests = SignedManifest.digests(of: folder, hidden: false)
        let manifest = SignedManifest(name: plugin.name, version: plugin.version.description, publisher: key.name,
                                      roster: plugin.requirement.text, permissions: plugin.permissions.entries,
                                      tenants: plugin.tenants, files: digests)
        let manifestData = manifest.encoded()
        let signature = try key.sign(manifestData)
        try? FileManager.default.removeItem(at: output)
        let archive = try Archive(url: output, accessMode: .create)
        func add(_ path: String, _ data: Data) throws {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        try add(manifestEntry, manifestData)
        try add(signatureEntry, Data(signature.base64EncodedString().utf8))
        for path in digests.keys.sorted() {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(path).path) else { continue }
            try add(filesPrefix + path, data)
        }
        return manifest
    }

    /// Reads the package at `path`: one line naming it on any problem. The signature is not
    /// checked yet (`verify`).
    public init(path: String) throws(PluginPackageError) {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw PluginPackageError(FileManager.default.fileExists(atPath: path)
                ? "'\(path)' is not a Roster plugin package (roster plugin pack makes one)" : "cannot read the package '\(path)': no such file")
        }
        // A package is a few scripts: refuse one that would unpack to more than this. The
        // sizes are the archive's own word, so they are added without trusting them to fit.
        var size: UInt64 = 0
        for entry in archive {
            let (sum, overflow) = size.addingReportingOverflow(entry.uncompressedSize)
            size = overflow ? .max : sum
        }
        guard size <= UInt64(Self.maximumSize) else {
            throw PluginPackageError("the package '\(path)' would unpack to \(size == .max ? "more than 16 EB" : "\(size >> 20) MB"), more than the \(Self.maximumSize >> 20) MB a plugin may be")
        }
        var manifestData: Data?, signature: Data?, files: [String: Data] = [:]
        for entry in archive where entry.type == .file {
            var data = Data()
            do {
                // The sizes were checked as the archive declares them; what is unpacked keeps
                // to them, since a deflate stream can unpack to a thousand times its size.
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    guard UInt64(data.count + chunk.count) <= entry.uncompressedSize else { throw CocoaError(.fileReadCorruptFile) }
                    data.append(chunk)
                }
            } catch {
                throw PluginPackageError("the package '\(path)' is damaged: \(QuotedText.shown(entry.path)) cannot be read")
            }
            switch entry.path {
            case Self.manifestEntry: manifestData = data
            case Self.signatureEntry: signature = Data(base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            case let name where name.hasPrefix(Self.filesPrefix): files[String(name.dropFirst(Self.filesPrefix.count))] = data
            default: throw PluginPackageError("the package '\(path)' holds an unexpected file: \(QuotedText.shown(entry.path))")
            }
        }
        guard let manifestData, let manifest = try? JSONDecoder().decode(SignedManifest.self, from: manifestData) else {
            throw PluginPackageError("the package '\(path)' has no manifest: it is not a Roster plugin package")
        }
        guard let signature else {
            throw PluginPackageError("the package '\(path)' is unsigned: only packages signed by a trusted publisher are installed")
        }
        // The name and the paths become folders and files under the plugins folder: checked
        // before anything is written, whoever signed them.
        guard PluginManifest.isPluginName(manifest.name) else {
            throw PluginPackageError("the package '\(path)' names its plugin '\(QuotedText.shown(manifest.name))', which is not a plugin name")
        }
        if let outside = files.keys.sorted().first(where: { !Self.staysInside($0) }) {
            throw PluginPackageError("the package '\(path)' holds \(QuotedText.shown(outside)), which would land outside the plugin's folder")
        }
        self.manifest = manifest
        self.manifestData = manifestData
        self.signature = signature
        self.files = files
    }

    /// Whether a file's path in a package names a file inside the plugin's folder (not its
    /// signed manifest or signature, which install writes).
    static func staysInside(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !parts.contains { $0.isEmpty || $0 == "." || $0 == ".." } && !SignedManifest.installedNames.contains(path)
    }

    /// Checks the signature against `trusted` and every file against the manifest; the
    /// publisher trusted.
    public func verify(trusted: [TrustedPublisher]) throws(PluginPackageError) -> TrustedPublisher {
        let candidates = trusted.filter { $0.name == manifest.publisher }
        guard !candidates.isEmpty else {
            throw PluginPackageError("\(manifest.name) \(manifest.version) is signed by '\(manifest.publisher)', who is not a trusted publisher: add them to [plugins] trusted_publishers in roster.toml if you trust them")
        }
        guard let publisher = candidates.first(where: { $0.verifies(signature, of: manifestData) }) else {
            throw PluginPackageError("\(manifest.name) \(manifest.version): the signature is invalid (not by the key trusted for '\(manifest.publisher)', or the manifest changed after signing)")
        }
        if let path = manifest.files.keys.sorted().first(where: { files[$0].map { SHA256.hash(data: $0).hex } != manifest.files[$0] }) {
            throw PluginPackageError("\(manifest.name) \(manifest.version): \(path) is not the file that was signed (the package was modified)")
        }
        if let extra = files.keys.sorted().first(where: { manifest.files[$0] == nil }) {
            throw PluginPackageError("\(manifest.name) \(manifest.version): \(extra) is in the package but not in its signed manifest")
        }
        return publisher
    }

    /// Writes the plugin into `folder/NAME` (replacing what was there), with its signed
    /// manifest and signature beside its files.
    public func extract(into folder: URL) throws {
        let target = folder.appendingPathComponent(manifest.name)
        let staging = folder.appendingPathComponent(".\(manifest.name).installing")
        try? FileManager.default.removeItem(at: staging)
        do {
            for (path, data) in files {
                let url = staging.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url)
            }
            try manifestData.write(to: staging.appendingPathComponent(SignedManifest.installedManifest))
            try Data(signature.base64EncodedString().utf8).write(to: staging.appendingPathComponent(SignedManifest.installedSignature))
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.moveItem(at: staging, to: target)
    }

    /// The manifest's digest, which the lock file pins.
    public var manifestDigest: String { SHA256.hash(data: manifestData).hex }
}

/// `roster-plugins.lock` in an installed plugins folder: each installed plugin's version,
/// publisher and manifest digest. A folder with one is an installed one: only signed,
/// unmodified plugins in it load.
public struct PluginLock: Codable, Sendable, Equatable {
    public static let fileName = "roster-plugins.lock"

    public struct Entry: Codable, Sendable, Equatable {
        public var version: String
        public var publisher: String
        public var manifest_sha256: String

        public init(version: String, publisher: String, manifest_sha256: String) {
            self.version = version
            self.publisher = publisher
            self.manifest_sha256 = manifest_sha256
        }
    }

    public var plugins: [String: Entry] = [:]

    public init() {}

    /// The lock of `folder`; nil when it has none (a development folder).
    public static func read(in folder: URL) throws(PluginPackageError) -> PluginLock? {
        let url = folder.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        guard let lock = try? JSONDecoder().decode(PluginLock.self, from: data) else {
            throw PluginPackageError("\(url.path) is not a plugin lock file; reinstall the plugins, or remove it to use the folder for development")
        }
        return lock
    }

    public func write(in folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: folder.appendingPathComponent(Self.fileName), options: .atomic)
    }
}

extension PluginCatalog {
    /// Where plugin `name` stands: in an installed folder, its signed manifest must be the
    /// locked one, its signature a trusted publisher's (when `trusted` is known) and its
    /// files the signed ones; in a development folder a plugin is unsigned unless it
    /// carries a signature.
    public func status(of name: String, trusted: [TrustedPublisher]?) -> (status: PluginStatus, publisher: String?, why: String?) {
        let plugin = folder.appendingPathComponent(name)
        let lock = (try? PluginLock.read(in: folder)) ?? nil
        guard let manifestData = FileManager.default.contents(atPath: plugin.appendingPathComponent(SignedManifest.installedManifest).path),
              let manifest = try? JSONDecoder().decode(SignedManifest.self, from: manifestData) else {
            return (.unsigned, nil, "it carries no signed manifest")
        }
        if let lock {
            guard let entry = lock.plugins[name] else { return (.unsigned, manifest.publisher, "it is not in \(PluginLock.fileName)") }
            guard entry.manifest_sha256 == SHA256.hash(data: manifestData).hex else {
                return (.modified, manifest.publisher, "its signed manifest is not the one installed")
            }
        }
        let signatureText = FileManager.default.contents(atPath: plugin.appendingPathComponent(SignedManifest.installedSignature).path)
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let signature = signatureText.flatMap({ Data(base64Encoded: $0) }) else { return (.invalid, manifest.publisher, "its signature is missing") }
        if let trusted {
            let keys = trusted.filter { $0.name == manifest.publisher }
            guard keys.contains(where: { $0.verifies(signature, of: manifestData) }) else {
                return (.invalid, manifest.publisher, keys.isEmpty ? "'\(manifest.publisher)' is not a trusted publisher" : "its signature does not verify")
            }
        }
        let now = SignedManifest.digests(of: plugin)
        if let changed = manifest.files.keys.sorted().first(where: { now[$0] != manifest.files[$0] }) {
            return (.modified, manifest.publisher, "\(changed) changed since it was signed")
        }
        if let added = now.keys.sorted().first(where: { manifest.files[$0] == nil }) {
            return (.modified, manifest.publisher, "\(added) was added since it was signed")
        }
        return (.signed, manifest.publisher, nil)
    }

    /// Whether this folder is an installed one (it has a lock file).
    public var isInstalled: Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent(PluginLock.fileName).path) }
}
