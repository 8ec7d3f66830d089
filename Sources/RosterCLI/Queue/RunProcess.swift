/// RunProcess.swift: a run a worker started, as a child process of its own (`roster resume
/// RUN --queued`, a `ChildProcess`), its stdout and stderr forwarded line by line.
import Foundation
import Synchronization

/// One run's process, until it has ended and its output has been read.
final class RunProcess: Sendable {
    private let child: ChildProcess
    /// How it ended, once its last lines are forwarded too.
    private let ended = Mutex<ChildProcess.Ending?>(nil)

    private init(child: ChildProcess) { self.child = child }

    /// How it ended; nil while it runs, or while its last output is read.
    var ending: ChildProcess.Ending? { ended.withLock { $0 } }

    /// Sends `signal`, unless it has ended.
    func send(_ signal: Int32) { child.send(signal) }

    /// Starts `executable` with `arguments` (`ChildProcess.start`), each line it writes to
    /// stdout or stderr handed to `line`. `whenEnded` is called once it has ended and its
    /// output has been read.
    static func start(_ executable: String, arguments: [String], line: @escaping @Sendable (String) -> Void,
                      whenEnded: @escaping @Sendable () -> Void) throws(ChildProcess.StartFailure) -> RunProcess {
        let output = try ChildProcess.pipe()
        let outputRead = DispatchSemaphore(value: 0)
        let box = Mutex<RunProcess?>(nil)
        let child: ChildProcess
        do {
            child = try ChildProcess.start(executable, arguments: arguments, output: output.write, error: output.write) { ending in
                // Its last lines first; a grandchild holding the pipe is not waited for long.
                _ = outputRead.wait(timeout: .now() + 2)
                box.withLock { $0?.ended.withLock { $0 = ending } }
                whenEnded()
            }
        } catch {
            close(output.read)
            close(output.write)
            throw error
        }
        close(output.write)
        let process = RunProcess(child: child)
        box.withLock { $0 = process }
        ChildProcess.onThread {
            LineReader(descriptor: output.read).forEach(line)
            close(output.read)
            outputRead.signal()
        }
        return process
    }
}

/// The lines read from a descriptor until its end (a last line without its newline
/// included), as UTF-8 with bad bytes repaired.
struct LineReader {
    let descriptor: Int32

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
