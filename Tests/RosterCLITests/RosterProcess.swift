/// RosterProcess.swift: runs the built `roster` binary as a user would.
import ChildProcesses
import Foundation
@testable import RosterCLI
import TestSupport

/// What one run of the binary produced.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double
    /// Whether it ended by a signal rather than exiting.
    var signaled: Bool

    /// stderr without the line saying the built-in emulator is in use.
    /// `roster: run 12; its changes: roster runs show 12`, the line a journaled run ends with.
    static func isRunLine(_ line: Substring) -> Bool {
        line.hasPrefix("roster: run ") && (line.contains("its changes: roster runs show") || line.contains(" changed nothing before its error: "))
    }

    /// stderr without the informational lines: the emulator notice and the run's id.
    var diagnostics: String {
        stderr.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("roster: no roster.toml found; using the built-in emulator") && !Self.isRunLine($0) }
            .joined(separator: "\n")
    }
}

enum RosterProcess {
    /// The package's root folder.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `roster` binary built beside the test bundle (or ROSTER_BINARY).
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["ROSTER_BINARY"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("roster")
    }

    /// Runs `executable arguments` in `directory`, killing it after `limit` seconds. Waits
    /// without holding a thread of Swift's small cooperative pool.
    static func run(_ arguments: [String], executable: URL = binary, in directory: URL? = nil, limit: Double = 60,
                    environment: [String: String] = [:], input: String? = nil) async throws -> ProcessResult {
        let out = try ChildProcess.pipe(), err = try ChildProcess.pipe()
        let inputPipe = try input.map { _ in try ChildProcess.pipe() }
        let start = Date()
        // How it ended, and the test waiting for that: set under one lock, so that it is
        // resumed once, whichever comes first.
        let ended = Locked<(ending: ChildProcess.Ending?, waiting: CheckedContinuation<ChildProcess.Ending, Never>?)>((nil, nil))
        let process = try Self.start(executable, arguments, in: directory ?? root, environment: environment,
                                     input: inputPipe?.read, output: out.write, error: err.write) { ending in
            let waiting = ended.update { state -> CheckedContinuation<ChildProcess.Ending, Never>? in
                state.ending = ending
                defer { state.waiting = nil }
                return state.waiting
            }
            waiting?.resume(returning: ending)
        }
        if let inputPipe, let input {
            // A write to a child that stopped reading is EPIPE, not a signal that ends the
            // test process (NIO ignores SIGPIPE too, but only once something has started it).
            signal(SIGPIPE, SIG_IGN)
            let writer = FileHandle(fileDescriptor: inputPipe.write, closeOnDealloc: true)
            Self.blocking {
                // The process may stop reading early (a limit, an error): EPIPE is not the test's failure.
                try? writer.write(contentsOf: Data(input.utf8))
                try? writer.close()
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit) { process.send(SIGTERM) }
        // One deaf to SIGTERM (a worker stuck in a loop) must not hold the suite.
        DispatchQueue.global().asyncAfter(deadline: .now() + limit + 10) { process.send(SIGKILL) }
        // Read while it runs, so a full pipe cannot stall it.
        let output = PipeReader(FileHandle(fileDescriptor: out.read, closeOnDealloc: true))
        let errors = PipeReader(FileHandle(fileDescriptor: err.read, closeOnDealloc: true))
        let ending = await withCheckedContinuation { continuation in
            if let ending = ended.update({ state -> ChildProcess.Ending? in
                if state.ending == nil { state.waiting = continuation }
                return state.ending
            }) { continuation.resume(returning: ending) }
        }
        let (stdout, stderr) = (await output.text(), await errors.text())
        let (status, signaled): (Int32, Bool) = switch ending {
        case .exited(let code): (code, false)
        case .signaled(let signal): (signal, true)
        }
        return ProcessResult(status: status, stdout: stdout, stderr: stderr, seconds: Date().timeIntervalSince(start), signaled: signaled)
    }

    /// Starts `executable arguments` in `directory`, with this process's environment, the
    /// test's isolation and `environment` on top; the child's ends of its pipes are closed
    /// here once it has them (or could not start).
    static func start(_ executable: URL, _ arguments: [String], in directory: URL, environment: [String: String], input: Int32?,
                      output: Int32, error: Int32, whenEnded: @escaping @Sendable (ChildProcess.Ending) -> Void) throws -> ChildProcess {
        defer { [input, output, error].compactMap { $0 }.forEach { close($0) } }
        // No test may pick up the machine's own ~/.config/roster/roster.toml.
        let environment = ProcessInfo.processInfo.environment.merging(isolatedEnvironment) { $1 }.merging(environment) { $1 }
        return try ChildProcess.start(executable.path, arguments: arguments, environment: environment, in: directory.path,
                                      input: input, output: output, error: error, whenEnded: whenEnded)
    }


    /// Runs `work`, which blocks (reading a pipe until its end), on a thread of its own:
    /// dispatch's global queue has about one thread per core, and readers parked there would
    /// hold back the others — the processes behind those pipes then stall on full pipes.
    static func blocking(_ work: @escaping @Sendable () -> Void) {
        let thread = Thread(block: work)
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Runs `work`, which blocks for a while (many journal writes), on a thread of its own,
    /// not on one of the few the concurrency pool has: other tests' polls wait for those.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            blocking { continuation.resume(with: Result { try work() }) }
        }
    }

    /// A home folder with no Roster configuration in it, removed when the test process exits
    /// (runs that name no journal write the default one there).
    static let isolatedHome: String = {
        atexit { try? FileManager.default.removeItem(atPath: RosterProcess.isolatedHomePath) }
        return isolatedHomePath
    }()
    private static let isolatedHomePath = FileManager.default.temporaryDirectory.appendingPathComponent("roster-home-\(UUID().uuidString)").path

    /// No test reads the machine's own configuration or writes the user's own journal.
    static let isolatedEnvironment = ["HOME": isolatedHome, "XDG_CONFIG_HOME": isolatedHome + "/.config",
                                      "XDG_STATE_HOME": isolatedHome + "/.local/state"]

    /// Starts `roster arguments` in `directory` without waiting, output to pipes.
    static func spawn(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> SpawnedRoster {
        let out = try ChildProcess.pipe(), err = try ChildProcess.pipe()
        let exited = Locked(false)
        let process = try start(binary, arguments, in: directory, environment: environment, input: nil, output: out.write, error: err.write) { _ in
            exited.set(true)
        }
        let (outReader, errReader) = (FileHandle(fileDescriptor: out.read, closeOnDealloc: true), FileHandle(fileDescriptor: err.read, closeOnDealloc: true))
        let stdout = Locked<Data?>(nil), stderr = Locked<Data?>(nil), stderrSoFar = Locked(Data())
        blocking { stdout.set(outReader.readDataToEndOfFile()) }
        // stderr chunk by chunk, so that a test can read what a long-running process said so far.
        blocking {
            var all = Data()
            while case let chunk = errReader.availableData, !chunk.isEmpty {
                all.append(chunk)
                stderrSoFar.set(all)
            }
            stderr.set(all)
        }
        return SpawnedRoster(process: process, exited: exited, stdout: stdout, stderr: stderr, stderrSoFar: stderrSoFar)
    }

    /// Writes `source` to a fresh temporary folder as NAME; returns its folder.
    static func scriptFolder(_ files: [String: String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-cli-\(UUID().uuidString)")
        for (name, contents) in files {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
        }
        return folder
    }
}

/// Everything written to a pipe, read on a thread of its own as it comes. (Not a
/// `readabilityHandler`: libdispatch's event loop on Linux was seen to crash the test process
/// in `_dispatch_event_loop_drain` with many pipes watched at once.)
final class PipeReader: Sendable {
    private let data = Locked(Data())
    private let ended = Locked(false)

    convenience init(_ pipe: Pipe) { self.init(pipe.fileHandleForReading) }

    init(_ handle: FileHandle) {
        RosterProcess.blocking { [data, ended] in
            while case let chunk = handle.availableData, !chunk.isEmpty { data.set(data.value + chunk) }
            ended.set(true)
        }
    }

    /// What came so far (the process may still be writing).
    var textSoFar: String { String(decoding: data.value, as: UTF8.self) }

    /// The text, once the pipe ends — or, `grace` seconds after the process is gone, what
    /// came: a process it started may still hold the pipe open (a test then fails on what it
    /// read, instead of hanging).
    func text(grace: Double = 10) async -> String {
        let deadline = Date().addingTimeInterval(grace)
        while !ended.value && Date() < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return String(decoding: data.value, as: UTF8.self)
    }
}

/// A value shared between the reader threads and the test.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func set(_ value: Value) { lock.lock(); stored = value; lock.unlock() }
    /// Changes the value and reads from it under one hold of the lock.
    func update<T>(_ body: (inout Value) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(&stored) }
}

/// A `roster` process started by `RosterProcess.spawn`.
struct SpawnedRoster {
    let process: ChildProcess
    let exited: Locked<Bool>
    let stdout: Locked<Data?>
    let stderr: Locked<Data?>
    let stderrSoFar: Locked<Data>

    /// Sends `signal` (SIGKILL, SIGINT) if it still runs.
    func send(_ signal: Int32) { process.send(signal) }

    /// Waits for it to end (polling: no thread of the cooperative pool blocks); its status,
    /// or nil when it was killed by a signal.
    func wait(limit: Double = 120) async throws -> Int32? {
        let deadline = Date().addingTimeInterval(limit)
        while !exited.value && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if !exited.value { process.send(SIGTERM) }
        for _ in 0..<100 where process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        // The pipes' readers finish once the process closes them.
        for _ in 0..<250 where stdout.value == nil || stderr.value == nil { try await Task.sleep(for: .milliseconds(20)) }
        guard case .exited(let status) = process.ending else { return nil }
        return status
    }

    var errorText: String { String(decoding: stderr.value ?? Data(), as: UTF8.self) }
    /// What it wrote on stderr so far (it may still run).
    var errorTextSoFar: String { String(decoding: stderrSoFar.value, as: UTF8.self) }
    var outputText: String { String(decoding: stdout.value ?? Data(), as: UTF8.self) }
}

/// Waiting for something a child process or the emulator will show.
enum Poll {
    /// Returns once `condition` holds, trying up to `tries` times `every` apart (then returns
    /// anyway: the test's own expectations say what was missing). A `for … where` loop would
    /// go on evaluating the condition after it held, without sleeping: each an HTTP request
    /// to the emulator, hundreds of them, while the run being watched went on.
    static func until(tries: Int = 400, every interval: Duration = .milliseconds(25), _ condition: () async throws -> Bool) async throws {
        for _ in 0..<tries {
            if try await condition() { return }
            try await Task.sleep(for: interval)
        }
    }
}
