/// PostgresServerTests.swift: the tests' throwaway clusters do not outlive a test run that
/// was killed: the next run stops them.
import Foundation
import Testing
import TestSupport

@Suite struct PostgresServerTests {
    /// A stand-in postmaster: a process that waits until it is signalled. Started with no
    /// signal blocked (PostgreSQL unblocks its own; sleep keeps the mask it inherits, and
    /// the threads of Swift's pool block SIGQUIT).
    func sleeper() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["60"]
        var none = sigset_t(), previous = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.runWithChildSignals()
        return process
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
        let gone = Process() // a test run that has ended
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.runWithChildSignals()
        gone.waitUntilExit()
        let abandoned = try sleeper(), current = try sleeper()
        defer { current.terminate() }
        let abandonedFolder = try clusterFolder(in: temporary, owner: gone.processIdentifier, postmaster: abandoned.processIdentifier)
        let currentFolder = try clusterFolder(in: temporary, owner: getpid(), postmaster: current.processIdentifier)

        PostgresServer.stopAbandoned(in: temporary)

        abandoned.waitUntilExit() // returns only because the sweep signalled it
        #expect(abandoned.terminationReason == .uncaughtSignal && abandoned.terminationStatus == SIGQUIT)
        #expect(!FileManager.default.fileExists(atPath: abandonedFolder.path))
        #expect(current.isRunning, "a cluster of a live test run is left alone")
        #expect(FileManager.default.fileExists(atPath: currentFolder.path))
    }
}
