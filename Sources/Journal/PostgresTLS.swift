/// PostgresTLS.swift: how a PostgreSQL journal's connection is secured: `sslmode` and
/// `sslrootcert` in its address, read as libpq reads them, so that an address behaves as it
/// does for psql (`postgres://roster@db.example.com/roster?sslmode=verify-full`).
import Foundation
import NIOSSL
import PostgresNIO

enum PostgresTLS {
    /// The settings an address may carry after `?`.
    static let settings = ["sslmode", "sslrootcert"]

    /// The TLS mode the address `parts` asks for; `shown` names it in messages. With no
    /// `sslmode`, libpq's default: TLS when the server offers it (`prefer`).
    static func mode(_ parts: URLComponents, shown: String) throws(JournalError) -> PostgresConnection.Configuration.TLS {
        let items = parts.queryItems ?? []
        if let unknown = items.first(where: { !settings.contains($0.name) }) {
            throw JournalError("'\(shown)': the address sets '\(unknown.name)', which Roster does not read (it reads sslmode and sslrootcert)")
        }
        let value = { (name: String) in items.last { $0.name == name }?.value }
        let root = value("sslrootcert")
        switch value("sslmode") ?? "prefer" {
        case "disable":
            return .disable
        case "allow", "prefer":
            // As libpq: encrypted when the server offers it, its certificate not checked.
            return .prefer(try context(verification: .none, root: root, shown: shown))
        case "require":
            // As libpq: with a root certificate given, require checks the chain (verify-ca).
            return .require(try context(verification: root == nil ? .none : .noHostnameVerification, root: root, shown: shown))
        case "verify-ca":
            return .require(try context(verification: .noHostnameVerification, root: root, shown: shown))
        case "verify-full":
            return .require(try context(verification: .fullVerification, root: root, shown: shown))
        case let other:
            throw JournalError("'\(shown)': sslmode must be disable, allow, prefer, require, verify-ca or verify-full, got '\(other)'")
        }
    }

    /// A client context checking the server's certificate as `verification` says, against
    /// `root` (a PEM file) or the system's trusted roots.
    private static func context(verification: CertificateVerification, root: String?, shown: String) throws(JournalError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = verification
        if let root {
            guard FileManager.default.isReadableFile(atPath: root) else {
                throw JournalError("'\(shown)': cannot read sslrootcert '\(root)'")
            }
            configuration.trustRoots = .file(root)
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw JournalError("'\(shown)': sslrootcert '\(root ?? "")' holds no certificate Roster can read (PEM)")
        }
    }
}
