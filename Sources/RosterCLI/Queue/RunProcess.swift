/// RunProcess.swift: a run a worker started, as a child process of its own (`roster resume
/// RUN --queued`, a `ChildProcess`), its stdout and stderr forwarded line by line, and its
/// vendor counts read from a pipe of their own.
import ChildProcesses
import Foundation
import Synchronization
import Vendors

/// One run's process, until it has ended and its output has been read.
final class RunProcess: Sendable {
    private let child: ChildProcess
    /// How it ended, once its last lines are forwarded too.
    private let ended = Mutex<ChildProcess.Ending?>(nil)
    /// What it wrote on its descriptor 3 (`--stats-descriptor`): its vendor counts.
    private let written = Mutex<[UInt8]>([])

    private init(child: ChildProcess) { self.child = child }

    /// How it ended; nil while it runs, or while its last output is read.
    var ending: ChildProcess.Ending? { ended.withLock { $0 } }

    /// The vendor counts it gave as it ended (none when it gave none: killed, say). Through a
    /// pipe, not a file: a file was left behind whenever the worker was gone before it read it.
    var vendorCounts: [String: VendorCallStats.Counts] {
        let bytes = written.withLock { $0 }
        return (try? JSONDecoder().decode([String: VendorCallStats.Counts].self, from: Data(bytes))) ?? [:]
    }

    /// Sends `signal`, unless it has ended.
    func send(_ signal: Int32) { child.send(signal) }

    /// Starts `executable` with `arguments` (`ChildProcess.start`), each line it writes to
    /// stdout or stderr handed to `line`. `whenEnded` is called once it has ended and its
    /// output has been read.
    static func start(_ executable: String, arguments: [String], line: @escaping @Sendable (String) -> Void,
                      whenEnded: @escaping @Sendable () -> Void) throws(ChildProcess.StartFailure) -> RunProcess {
        let output = try ChildProcess.pipe()
        let counts: (read: Int32, write: Int32)
        do {
            counts = try ChildProcess.pipe()
        } catch {
            close(output.read)
            close(output.write)
            throw error
        }
        // Signalled once for each pipe read to its end.
        let pipesRead = DispatchSemaphore(value: 0)
        let box = Mutex<RunProcess?>(nil)
        let child: ChildProcess
        do {
            child = try ChildProcess.start(executable, arguments: arguments, output: output.write, error: output.write, extra: counts.write) { ending in
                // Its last lines and its counts first; a grandchild holding a pipe is not waited for long.
                let limit = DispatchTime.now() + 2
                _ = pipesRead.wait(timeout: limit)
                _ = pipesRead.wait(timeout: limit)
                box.withLock { $0?.ended.withLock { $0 = ending } }
                whenEnded()
            }
        } catch {
            for end in [output.read, output.write, counts.read, counts.write] { close(end) }
            throw error
        }
        close(output.write)
        close(counts.write)
        let process = RunProcess(child: child)
        box.withLock { $0 = process }
        ChildProcess.onThread {
            LineReader(descriptor: output.read).forEach(line)
            close(output.read)
            pipesRead.signal()
        }
        ChildProcess.onThread {
            let bytes = LineReader(descriptor: counts.read).all()
            close(counts.read)
            process.written.withLock { $0 = bytes }
            pipesRead.signal()
        }
        return process
    }
}

/// The lines read from a descriptor until its end (a last line without its newline
/// included), as UTF-8 with bad bytes repaired.
struct LineReader {
    let descriptor: Int32

    /// Every byte until the end.
    func all() -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    func forEach(_ body: (String) -> Void) {
        var partial: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            partial.append(contentsOf: chunk[..<count])
            var start = 0
            while let newline = partial[start...].firstIndex(of: UInt8(ascii: "\n")) {
                body(String(decoding: partial[start..<newline], as: UTF8.self))
                start = newline + 1
            }
            partial.removeFirst(start)
        }
        if !partial.isEmpty { body(String(decoding: partial, as: UTF8.self)) }
    }
}
