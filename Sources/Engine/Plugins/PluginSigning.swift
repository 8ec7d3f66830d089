/// PluginSigning.swift: who made a plugin, and proof that its files are the ones they
/// signed — Ed25519 keys (swift-crypto), the signed manifest of every file's SHA-256, the
/// publishers a configuration trusts, and a plugin's status (signed, unsigned, invalid,
/// modified) checked from its files.
import Crypto
import Foundation
import Vendors

/// A publisher's signing key, as `roster plugin keygen` writes it (`NAME.key`, mode 0600:
/// `NAME:BASE64` of the raw private key). Never printed.
public struct PublisherKey {
    public let name: String
    let privateKey: Curve25519.Signing.PrivateKey

    /// A new key for publisher `name`.
    public init(name: String) {
        self.name = name
        privateKey = Curve25519.Signing.PrivateKey()
    }

    /// The key file's text.
    public var fileText: String { "\(name):\(privateKey.rawRepresentation.base64EncodedString())\n" }

    /// The public key in base64: the `.pub` file's one line, what `trusted_publishers` takes.
    public var publicText: String { privateKey.publicKey.rawRepresentation.base64EncodedString() }

    /// Reads a key file; one line naming the file on any problem.
    public init(file path: String) throws(PluginPackageError) {
        let data: Data
        do {
            data = try UserFile.contents(path, atMost: 1 << 16) // a key is a line; a pipe (`<(pass show …)`) reads too
        } catch {
            throw PluginPackageError("cannot read the key '\(path)': \(error)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let colon = text.lastIndex(of: ":"), let raw = Data(base64Encoded: String(text[text.index(after: colon)...])),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw), !text[..<colon].isEmpty else {
            throw PluginPackageError("'\(path)' is not a publisher key (roster plugin keygen --name NAME --out DIR writes one)")
        }
        name = String(text[..<colon])
        privateKey = key
    }

    func sign(_ data: Data) throws -> Data { try privateKey.signature(for: data) }
}

/// A publisher a configuration trusts: `{ name = "...", key = "<the .pub line>" }`.
public struct TrustedPublisher: Sendable, Equatable {
    public var name: String
    public var key: String

    public init(name: String, key: String) {
        self.name = name
        self.key = key
    }

    /// Whether `signature` is this publisher's over `data`.
    func verifies(_ signature: Data, of data: Data) -> Bool {
        guard let raw = Data(base64Encoded: key), let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return publicKey.isValidSignature(signature, for: data)
    }
}

/// What a package holds besides the plugin's files, signed by its publisher: the plugin's
/// identity, what it may do and for whom, and every file's SHA-256.
public struct SignedManifest: Codable, Sendable, Equatable {
    public var format = 1
    public var name: String
    public var version: String
    public var publisher: String
    public var roster: String
    public var permissions: [String]
    public var tenants: [String]?
    /// Every file of the plugin by its path in the plugin's folder.
    public var files: [String: String]

    /// The manifest's bytes as signed (keys sorted).
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The files' digests as they are now in `folder` (the manifest and signature beside
    /// them left out). `hidden: false` leaves out what starts with a dot (`.git`, editor
    /// files) too: what a package holds; an installed plugin is checked with every file.
    public static func digests(of folder: URL, hidden: Bool = true) -> [String: String] {
        var files: [String: String] = [:]
        let base = folder.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [:] }
        while let relative = walker.nextObject() as? String {
            if !hidden, relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            let path = base + "/" + relative
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
                  !SignedManifest.installedNames.contains(relative), let data = FileManager.default.contents(atPath: path) else { continue }
            files[relative] = SHA256.hash(data: data).hex
        }
        return files
    }

    /// The names an installed plugin keeps its signed manifest under, in its folder.
    public static let installedManifest = ".roster-manifest.json"
    public static let installedSignature = ".roster-manifest.sig"
    static let installedNames: Set<String> = [installedManifest, installedSignature]
}

/// Where a plugin stands.
public enum PluginStatus: String, Sendable {
    /// Its signature is a trusted publisher's and its files are the signed ones.
    case signed
    /// No signature (a plugin being written).
    case unsigned
    /// A signature that does not verify, or a publisher not trusted.
    case invalid
    /// Files changed, added or removed since it was signed.
    case modified
}

/// A package that cannot be made, read or installed: one line.
public struct PluginPackageError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension SHA256.Digest {
    /// Lowercase hex.
    var hex: String { hexText }
}
