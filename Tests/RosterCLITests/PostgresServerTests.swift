/// PostgresServerTests.swift: the tests' throwaway clusters do not outlive a test run that
/// was killed: the next run stops them.
import ChildProcesses
import Foundation
import Testing
import TestSupport

@Suite struct PostgresServerTests {
    /// A stand-in postmaster: a process that waits until it is signalled. Started with no
    /// signal blocked, as `ChildProcess` starts every child (PostgreSQL unblocks its own;
    /// sleep keeps the mask it inherits, and the threads of Swift's pool block SIGQUIT).
    func sleeper() throws -> ChildProcess {
        try Self.start("/bin/sleep", ["60"])
    }

    static func start(_ executable: String, _ arguments: [String]) throws -> ChildProcess {
        let null = NullDevice.shared.descriptor
        return try ChildProcess.start(executable, arguments: arguments, output: null, error: null)
    }

    /// How `process` ended, waited for up to `limit` seconds (nil: it still runs).
    static func ending(of process: ChildProcess, limit: Double = 30) -> ChildProcess.Ending? {
        let deadline = Date().addingTimeInterval(limit)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        return process.ending
    }

    /// A cluster folder made by test process `owner`, its postmaster `postmaster`.
    func clusterFolder(in temporary: URL, owner: Int32, postmaster: Int32) throws -> URL {
        let folder = temporary.appendingPathComponent(PostgresServer.folderPrefix + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        try String(owner).write(to: folder.appendingPathComponent(PostgresServer.ownerFile), atomically: true, encoding: .utf8)
        try "\(postmaster)\n/data\n1\n5432\n".write(to: folder.appendingPathComponent("data/postmaster.pid"), atomically: true, encoding: .utf8)
        return folder
    }

    @Test func aClusterWhoseTestRunIsGoneIsStoppedAndRemoved() throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("roster-sweep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temporary) }
        let gone = try Self.start("/bin/true", []) // a test run that has ended
        #expect(Self.ending(of: gone) == .exited(0))
        let abandoned = try sleeper(), current = try sleeper()
        defer { current.send(SIGTERM) }
        let abandonedFolder = try clusterFolder(in: temporary, owner: gone.processIdentifier, postmaster: abandoned.processIdentifier)
        let currentFolder = try clusterFolder(in: temporary, owner: getpid(), postmaster: current.processIdentifier)

        PostgresServer.stopAbandoned(in: temporary)

        // It ends within the wait only because the sweep signalled it.
        #expect(Self.ending(of: abandoned) == .signaled(SIGQUIT))
        #expect(!FileManager.default.fileExists(atPath: abandonedFolder.path))
        #expect(current.isRunning, "a cluster of a live test run is left alone")
        #expect(FileManager.default.fileExists(atPath: currentFolder.path))
    }
}
