/// PostgresServer.swift: a throwaway PostgreSQL cluster for a test — initdb in a temporary
/// folder, an ephemeral port on 127.0.0.1, run by an unprivileged user (`postgres` when the
/// tests run as root), started and stopped by the test itself.
import ChildProcesses
import Foundation
@testable import RosterCLI
import TestSupport

final class PostgresServer: @unchecked Sendable {
    let folder: URL
    let port: Int
    private let binaries: URL
    /// The server, a child of the test process (not a daemon): stopped with it.
    private var server: ChildProcess?
    /// What `postgres` was started with (a restart starts it so again).
    private var arguments: [String] = []

    /// The journal's address: trust authentication, the `roster` superuser, the default database.
    var url: String { "postgres://roster@127.0.0.1:\(port)/postgres" }

    /// Debian's PostgreSQL binaries (`make test` installs the package when missing).
    static var binaries: URL? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.compactMap(Int.init).sorted().last.map { URL(fileURLWithPath: "/usr/lib/postgresql/\($0)/bin") }
    }

    private init(folder: URL, port: Int, binaries: URL) {
        self.folder = folder
        self.port = port
        self.binaries = binaries
    }

    /// `password`: the `roster` user has it, and the server asks for it (scram-sha-256)
    /// instead of trusting every local connection. `tls`: the server takes TCP connections
    /// over TLS only, with a self-signed certificate for localhost and 127.0.0.1 (`certificate`).
    static func start(password: String? = nil, tls: Bool = false) async throws -> PostgresServer {
        guard let binaries else { throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "PostgreSQL is not installed (make test installs it)"]) }
        stopAbandoned()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(folderPrefix)\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try String(getpid()).write(to: folder.appendingPathComponent(ownerFile), atomically: true, encoding: .utf8)
        if getuid() == 0, let user = getpwnam("postgres") { chown(folder.path, user.pointee.pw_uid, user.pointee.pw_gid) }
        let initdb = PostgresServer(folder: folder, port: 0, binaries: binaries)
        var authentication = ["--auth=trust"]
        if let password {
            let file = folder.appendingPathComponent("password")
            try password.write(to: file, atomically: true, encoding: .utf8)
            if getuid() == 0, let user = getpwnam("postgres") { chown(file.path, user.pointee.pw_uid, user.pointee.pw_gid) }
            authentication = ["--auth=scram-sha-256", "--pwfile=\(file.path)"]
        }
        try await initdb.run("initdb", ["-D", folder.appendingPathComponent("data").path, "-U", "roster", "-E", "UTF8", "--no-sync"] + authentication)
        var settings: [String] = []
        if tls {
            try await makeCertificate(in: folder)
            let method = password == nil ? "trust" : "scram-sha-256"
            try "local all all \(method)\nhostssl all all 127.0.0.1/32 \(method)\n"
                .write(to: folder.appendingPathComponent("data/pg_hba.conf"), atomically: true, encoding: .utf8)
            settings = ["-c", "ssl=on", "-c", "ssl_cert_file=\(folder.appendingPathComponent("server.crt").path)",
                        "-c", "ssl_key_file=\(folder.appendingPathComponent("server.key").path)"]
        }
        // The port was free when chosen; another test's server may take it before PostgreSQL
        // binds it (initdb takes a while). PostgreSQL then exits, and whatever took the port
        // would answer a bare connect: so ready means PostgreSQL itself says so on that port,
        // and a server that exits is started again on another port.
        for _ in 0..<3 {
            let server = PostgresServer(folder: folder, port: try Self.freePort(), binaries: binaries)
            server.arguments = ["-D", folder.appendingPathComponent("data").path, "-p", String(server.port), "-k", folder.path,
                                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"] + settings
            server.server = try server.launch("postgres", server.arguments)
            for _ in 0..<200 where server.isRunning {
                if server.isReady { return server }
                try await Task.sleep(for: .milliseconds(50))
            }
            if server.isRunning {
                server.stop()
                break
            }
        }
        try? FileManager.default.removeItem(at: folder)
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "PostgreSQL did not start"])
    }

    /// The server's certificate (self-signed: it is its own root), for `sslrootcert`.
    var certificate: String { folder.appendingPathComponent("server.crt").path }

    /// A self-signed certificate for localhost and 127.0.0.1 and its key, readable by the
    /// server's user only (PostgreSQL refuses a key others can read).
    private static func makeCertificate(in folder: URL) async throws {
        let status = try await Self.exit(of: "/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", folder.appendingPathComponent("server.key").path, "-out", folder.appendingPathComponent("server.crt").path])
        guard status == .exited(0) else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl could not make a certificate"]) }
        for file in ["server.key", "server.crt"] {
            let path = folder.appendingPathComponent(file).path
            chmod(path, file == "server.key" ? 0o600 : 0o644)
            if getuid() == 0, let user = getpwnam("postgres") { chown(path, user.pointee.pw_uid, user.pointee.pw_gid) }
        }
    }

    /// PostgreSQL's own word that it accepts connections on this server's port (its pid
    /// file: line 4 the port, line 8 the state), and a connection there succeeds.
    private var isReady: Bool {
        guard let text = try? String(contentsOf: folder.appendingPathComponent("data/postmaster.pid"), encoding: .utf8) else { return false }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.count >= 8 && lines[3] == String(port) && lines[7] == "ready" && Self.accepts(port: port)
    }

    /// Restarts the server on its port, as an administrator's `pg_ctl restart -m fast` does:
    /// every session is ended (FATAL: terminating connection due to administrator command).
    /// `down`: how long it stays stopped.
    func restart(down: Duration = .zero) async throws {
        let pidFile = folder.appendingPathComponent("data/postmaster.pid")
        if let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }) {
            kill(pid, SIGINT)
        }
        for _ in 0..<400 where isRunning { try await Task.sleep(for: .milliseconds(25)) }
        try await Task.sleep(for: down)
        server = try launch("postgres", arguments)
        for _ in 0..<200 where isRunning {
            if isReady { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "PostgreSQL did not start again"])
    }

    /// Stops the server at once (SIGQUIT: an immediate shutdown) and removes its folder.
    func stop() {
        Self.quitPostmaster(in: folder)
        server?.send(SIGQUIT)
        for _ in 0..<200 where Self.accepts(port: port) { usleep(20_000) }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Every cluster's folder: `roster-pg-UUID` in the temporary directory.
    static let folderPrefix = "roster-pg-"
    /// The pid of the test process that made the cluster, in its folder.
    static let ownerFile = "owner"

    /// Stops the clusters whose test process is gone and removes their folders: a test run
    /// killed (or stopped with Ctrl-C) never reached `stop`, and its servers ran on.
    static func stopAbandoned(in temporary: URL = FileManager.default.temporaryDirectory) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix(folderPrefix) {
            let folder = temporary.appendingPathComponent(name)
            guard let text = try? String(contentsOf: folder.appendingPathComponent(ownerFile), encoding: .utf8),
                  let owner = Int32(text), kill(owner, 0) != 0, errno == ESRCH else { continue }
            quitPostmaster(in: folder)
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// Asks the cluster's postmaster for an immediate shutdown (SIGQUIT). Its pid is the
    /// first line of postmaster.pid (runuser stands between it and the test).
    private static func quitPostmaster(in folder: URL) {
        let pidFile = folder.appendingPathComponent("data/postmaster.pid")
        if let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = text.split(separator: "\n").first.flatMap({ Int32($0) }) {
            kill(pid, SIGQUIT)
        }
    }

    private static func accepts(port: Int) -> Bool {
        let socket = tcpSocket()
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Whether the server process (runuser, when root) still runs.
    private var isRunning: Bool { server?.isRunning ?? false }

    /// Starts `tool arguments`, as the unprivileged user when the tests run as root, its
    /// output dropped.
    private func launch(_ tool: String, _ arguments: [String], whenEnded: @escaping @Sendable (ChildProcess.Ending) -> Void = { _ in }) throws -> ChildProcess {
        let path = binaries.appendingPathComponent(tool).path
        let (executable, all) = getuid() == 0 ? ("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments) : (path, arguments)
        let null = NullDevice.shared.descriptor
        return try ChildProcess.start(executable, arguments: all, output: null, error: null, whenEnded: whenEnded)
    }

    private func run(_ tool: String, _ arguments: [String]) async throws {
        let ending: ChildProcess.Ending = try await withCheckedThrowingContinuation { continuation in
            do { _ = try launch(tool, arguments) { continuation.resume(returning: $0) } } catch { continuation.resume(throwing: error) }
        }
        guard ending == .exited(0) else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(tool) failed (\(ending))"])
        }
    }

    /// How `executable arguments` ended (its output dropped).
    private static func exit(of executable: String, _ arguments: [String]) async throws -> ChildProcess.Ending {
        let null = NullDevice.shared.descriptor
        return try await withCheckedThrowingContinuation { continuation in
            do {
                _ = try ChildProcess.start(executable, arguments: arguments, output: null, error: null) { continuation.resume(returning: $0) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// A port nothing listens on now.
    private static func freePort() throws -> Int {
        let socket = tcpSocket()
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func tcpSocket() -> Int32 { socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
}
