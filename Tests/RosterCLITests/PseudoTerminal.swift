/// PseudoTerminal.swift: runs the `roster` binary on a pseudo-terminal, as a person at a
/// terminal would: what it shows, and answers typed in.
import ChildProcesses
import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A process whose stdin, stdout and stderr are one pseudo-terminal.
final class TerminalSession: @unchecked Sendable {
    private let process: ChildProcess
    private let master: Int32
    private let slave: Int32
    private let lock = NSLock()
    private var received = ""

    init(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws {
        var master: Int32 = 0, slave: Int32 = 0
        guard openpty(&master, &slave, nil, nil, nil) == 0 else { throw CocoaError(.fileReadUnknown) }
        // Both ends close-on-exec: no other child may hold this terminal open.
        for end in [master, slave] { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        self.master = master
        // The test holds the terminal's other end open too, as long as the session lives:
        // what the process wrote last is still there to read after it has exited.
        self.slave = slave
        // A session of its own with the terminal as its controlling terminal, as a login
        // shell gives it: only then does Ctrl-C reach it as SIGINT.
        let environment = ProcessInfo.processInfo.environment
            .merging(RosterProcess.isolatedEnvironment.merging(["TERM": "xterm"]) { $1 }) { $1 }
            .merging(environment) { $1 }
        do {
            process = try ChildProcess.start("/usr/bin/setsid", arguments: ["--ctty", "--wait", RosterProcess.binary.path] + arguments,
                                             environment: environment, in: directory.path, input: slave, output: slave, error: slave)
        } catch {
            close(master)
            close(slave)
            throw error
        }
        let reader = Thread { [weak self] in self?.readLoop() }
        reader.start()
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { return }
            lock.lock()
            received += String(decoding: buffer[0..<count], as: UTF8.self)
            lock.unlock()
        }
    }

    /// Everything shown so far.
    var screen: String {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Waits until the screen contains `text` (true) or `seconds` pass (false).
    func waitFor(_ text: String, seconds: Double = 20) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if screen.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return screen.contains(text)
    }

    /// Waits until `prompt` is shown after the last `text` (the REPL reads again).
    func waitForPrompt(_ prompt: String, after text: String, seconds: Double = 20) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let shown = screen
            if let last = shown.range(of: text, options: .backwards), shown[last.upperBound...].contains(prompt) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Types `text`.
    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count) }
    }

    /// Waits for the process to exit; its status.
    func exitStatus(seconds: Double = 30) async -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.send(SIGTERM); return nil }
        // What it wrote last may still wait in the terminal (the test holds its other end, so no
        // end of file comes): read on until nothing new arrives for a moment.
        var (seen, quiet) = (screen.utf8.count, 0)
        for _ in 0..<100 where quiet < 5 {
            try? await Task.sleep(for: .milliseconds(40))
            let now = screen.utf8.count
            (seen, quiet) = (now, now == seen ? quiet + 1 : 0)
        }
        switch process.ending {
        case .exited(let status): return status
        case .signaled(let signal): return signal
        case nil: return nil
        }
    }

    deinit {
        process.send(SIGTERM)
        close(master)
        close(slave)
    }
}
