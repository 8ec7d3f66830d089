/// CommandOutput.swift: standard output, written by one owner that notices when a write
/// fails. A reader that has gone (`roster audit | head -3`) is the reader's choice: a listing
/// stops there, quietly. Any other failure (a full disk under `roster audit > trail.csv`) is
/// said in one line, and a report, whose output is its result, exits 1: an export is never
/// cut short without a word. A run's exit code stays its own (it says what reached the
/// vendors); its lost output is said in the line.
import Foundation
import Synchronization

/// Roster's standard output (every `print` of this module, and the script's own).
enum CommandOutput {
    private struct State {
        var buffer: [UInt8] = []
        /// The first failed write's errno.
        var failure: Int32?
        /// Whether the failure was said already.
        var said = false
        /// Whether the output is the command's result (`isTheResult`).
        var isTheResult = false
    }

    private static let state = Mutex(State())
    /// When stdout is no terminal, what is not wanted at once waits in a buffer, as stdio's.
    private static let buffered = isatty(STDOUT_FILENO) == 0
    private static let bufferLimit = 64 << 10

    /// Writes `text`. `now`: before this returns (a script's print, a prompt, a row's line);
    /// else it may wait in the buffer, which every `now` write and the end empty first, so
    /// the order holds.
    static func write(_ text: String, now: Bool = false) {
        var text = text
        text.withUTF8 { append($0, now: now) }
    }

    /// Writes a script's bytes as they are (not repaired into UTF-8), before returning.
    static func write(bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0, now: true) }
    }

    private static func append(_ bytes: UnsafeBufferPointer<UInt8>, now: Bool) {
        state.withLock { state in
            guard state.failure == nil else { return }
            state.buffer.append(contentsOf: bytes)
            if now || !buffered || state.buffer.count >= bufferLimit { flush(&state) }
        }
    }

    /// At `exit` from anywhere (a run stopped by a signal): what waits is written, unless a
    /// write is under way on another thread, which the process must not wait for.
    static func flushAtExit() {
        state.withLockIfAvailable { flush(&$0) }
    }

    /// Whether a write failed: a listing need not read on.
    static var hasFailed: Bool { state.withLock { $0.failure != nil } }

    /// Marks the command's output as its result (a listing, an export): if it cannot all
    /// be written, the command exits 1.
    static func isTheResult() {
        state.withLock { $0.isTheResult = true }
    }

    /// A report streaming rows calls this for each: once a write has failed, the rest would
    /// be lost too, so the process ends here (0 when the reader went, 1 otherwise).
    static func stopIfFailed() {
        guard hasFailed else { return }
        Foundation.exit(finish(exitCode: ExitStatus.success))
    }

    /// At the command's end: writes what waits and says a failure other than a reader that
    /// has gone (once). Returns the process's exit code: `exitCode`, or 1 for a command
    /// whose result is its output and which would have exited 0 with it incomplete.
    static func finish(exitCode: Int32) -> Int32 {
        state.withLock { state in
            flush(&state)
            guard let failure = state.failure, failure != EPIPE else { return exitCode }
            if !state.said {
                state.said = true
                Diagnostics.error("roster: cannot write to standard output (\(String(cString: strerror(failure)))): the output is incomplete")
            }
            return state.isTheResult && exitCode == ExitStatus.success ? ExitStatus.scriptError : exitCode
        }
    }

    private static func flush(_ state: inout State) {
        defer { state.buffer.removeAll(keepingCapacity: true) }
        guard state.failure == nil else { return }
        var written = 0
        let count = state.buffer.count
        state.buffer.withUnsafeBytes { bytes in
            while written < count {
                let result = Foundation.write(STDOUT_FILENO, bytes.baseAddress! + written, count - written)
                if result >= 0 {
                    written += result
                } else if errno != EINTR {
                    state.failure = errno
                    return
                }
            }
        }
    }
}

/// Standard input, output and error, each kept open from the start. One the caller closed
/// (`roster audit >&-`, a supervisor that starts roster without it) would be the next
/// descriptor opened, and what roster writes for the terminal would land there: the
/// runtime's event queue took it (the output lost as `Invalid argument`), and so could a
/// journal file or a vendor's connection. Each closed one is held by /dev/null opened the
/// other way (stdin for writing, stdout and stderr for reading), so using it still fails
/// as on a closed descriptor, as GNU tools do.
enum StandardDescriptors {
    static func holdClosedOnes() {
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            // The lowest free descriptor: this one (those below it are open by now).
            let held = open("/dev/null", (descriptor == STDIN_FILENO ? O_WRONLY : O_RDONLY) | O_CLOEXEC)
            if held >= 0, held != descriptor { close(held) }
        }
    }
}

/// `print` in this module: to `CommandOutput`, so a line that cannot be written is noticed
/// (the standard library's `print` loses it without a word).
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    CommandOutput.write(items.map { "\($0)" }.joined(separator: separator) + terminator)
}
