/// SecretReference.swift: where a credential comes from, and reading it only when a tenant
/// is used.
import Foundation
import Vendors

/// A credential's source as the configuration names it. Resolving it gives a `Secret`; the
/// value never appears in an error.
public struct SecretReference: Sendable {
    public enum Source: Sendable, Equatable {
        case environment(String)
        case file(String)
    }

    public let source: Source
    let key: [String]
    let document: ConfigurationDocument

    /// Where the secret is read from (`env ACME_ENCORE_KEY`, `file secrets/encore.key`), never
    /// the secret.
    public var origin: String {
        switch source {
        case .environment(let variable): "env \(variable)"
        case .file(let path): "file \(path)"
        }
    }

    /// Where the secret is set and read from, for a message that asks to check it:
    /// `subscription_key at roster.toml:12 (file secrets/encore.key)`; never the secret.
    public var place: String {
        "\(key.last ?? "")" + " at \(document.file)" + (document.line(of: key).map { ":\($0)" } ?? "") + " (\(origin))"
    }

    /// Reads the secret. A file must be a regular file readable only by its owner
    /// (no group or other permission bits), as ssh insists for its keys.
    public func resolve(environment: [String: String]) throws(ConfigurationError) -> Secret {
        switch source {
        case .environment(let variable):
            guard let value = environment[variable], !value.isEmpty else {
                throw document.error(at: key, "environment variable \(variable) is not set",
                                     fix: "export \(variable), or use { file = \"path\" }")
            }
            return Secret(value)
        case .file(let path):
            let url = resolvedURL(path)
            let shown = url.path
            let attributes: [FileAttributeKey: Any]
            do {
                attributes = try FileManager.default.attributesOfItem(atPath: shown)
            } catch {
                throw document.error(at: key, "secret file \(shown) does not exist",
                                     fix: "write the secret to it and run chmod 600 \(shown)")
            }
            guard attributes[.type] as? FileAttributeType == .typeRegular else {
                throw document.error(at: key, "secret file \(shown) is not a regular file", fix: "point file at the file holding the secret")
            }
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
            guard mode & 0o077 == 0 else {
                throw document.error(at: key, "secret file \(shown) is readable by group or others (mode \(String(mode, radix: 8)))",
                                     fix: "run chmod 600 \(shown)")
            }
            guard let data = FileManager.default.contents(atPath: shown) else {
                throw document.error(at: key, "cannot read secret file \(shown) (\(UserFile.whyUnreadable(shown)))", fix: "make it readable by the user running roster")
            }
            // A key file in another encoding would be sent with its bytes replaced: a 401 later.
            guard let decoded = try? TextFile.decode(data) else {
                throw document.error(at: key, "secret file \(shown) is not UTF-8 text", fix: "write the secret into it as text")
            }
            let text = decoded.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else {
                throw document.error(at: key, "secret file \(shown) is empty", fix: "write the secret into it")
            }
            return Secret(text)
        }
    }

    /// `~/x` from the home folder, a relative path from the configuration file's folder.
    func resolvedURL(_ path: String) -> URL {
        if path.hasPrefix("~/") {
            return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(String(path.dropFirst(2)))
        }
        if path.hasPrefix("/") { return URL(fileURLWithPath: path) }
        return document.folder.appendingPathComponent(path).standardizedFileURL
    }
}
