/// RunProcess.swift: a run a worker started, as a child process of its own (`roster resume
/// RUN --queued`): started with posix_spawn, its output read and its end awaited on threads
/// of its own. Not Foundation's `Process`: before every start it lists the parent's
/// descriptors reading past a buffer (swift-corelibs-foundation #5472), which now and then
/// ended the process, and a worker takes every run it holds down with it. Nor
/// swift-subprocess 1.0.2: with descriptors running out, it ended the worker (`FileDescriptor
/// ... was not closed`) or left it waiting for good, where a start must fail in one line.
import Foundation
import Synchronization

/// One child process, from its start until it has ended and been reaped.
final class RunProcess: Sendable {
    /// How a child ended.
    enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// Why a child could not be started, in the system's words (`too many open files`).
    struct StartFailure: Error, CustomStringConvertible {
        let code: Int32
        var description: String { String(cString: strerror(code)).lowercased() }
    }

    let processIdentifier: pid_t

    private struct State {
        /// Whether it was reaped: its number may be another process's from then on.
        var reaped = false
        /// How it ended, once its output is read too.
        var ending: Ending?
    }

    private let state = Mutex(State())

    private init(processIdentifier: pid_t) { self.processIdentifier = processIdentifier }

    /// How it ended; nil while it runs, or while its last output is read.
    var ending: Ending? { state.withLock { $0.ending } }

    /// Sends `signal`, unless it has been reaped.
    func send(_ signal: Int32) {
        state.withLock { state in
            if !state.reaped { kill(processIdentifier, signal) }
        }
    }

    /// Starts `executable` with `arguments` and the worker's environment: in a process group
    /// of its own (a Ctrl-C at the worker's terminal is the worker's to pass on), every
    /// signal at its default and none blocked (a worker ignores SIGTERM for its own handler,
    /// and its threads block signals), stdin from /dev/null, and no descriptor of the
    /// worker's but one pipe for stdout and stderr, each line of which goes to `line`.
    /// `whenEnded` is called once it has ended, its output read to the end.
    static func start(_ executable: String, arguments: [String], line: @escaping @Sendable (String) -> Void,
                      whenEnded: @escaping @Sendable () -> Void) throws(StartFailure) -> RunProcess {
        var output: [Int32] = [-1, -1]
        guard pipe(&output) == 0 else { throw StartFailure(code: errno) }
        // Not inherited by any other child (the one meant to have it gets its own copies).
        // (pipe2, which would set this at once, is a GNU extension Swift's Glibc leaves out;
        // this worker starts its children from no thread but this one.)
        for end in output { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let (readEnd, writeEnd) = (output[0], output[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, STDERR_FILENO)
        // Descriptors opened without close-on-exec (by a library) stay out of the child too.
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var identifier: pid_t = 0
        let spawned = posix_spawn(&identifier, executable, &actions, &attributes, argv, environ)
        close(writeEnd)
        guard spawned == 0 else {
            close(readEnd)
            throw StartFailure(code: spawned)
        }

        let child = RunProcess(processIdentifier: identifier)
        let outputRead = DispatchSemaphore(value: 0)
        Self.onThread {
            LineReader(descriptor: readEnd).forEach(line)
            close(readEnd)
            outputRead.signal()
        }
        Self.onThread {
            // Its end awaited without reaping it, then reaped under the lock: no signal is
            // sent between the reaping and its record.
            var exited = siginfo_t()
            while waitid(P_PID, id_t(child.processIdentifier), &exited, WEXITED | WNOWAIT) == -1, errno == EINTR {}
            var status: Int32 = 0
            child.state.withLock { state in
                while waitpid(child.processIdentifier, &status, 0) == -1, errno == EINTR {}
                state.reaped = true
            }
            // Its last lines first; a grandchild holding the pipe is not waited for long.
            _ = outputRead.wait(timeout: .now() + 2)
            // WIFEXITED and WTERMSIG by hand: the C macros do not reach Swift.
            let signal = status & 0x7f
            child.state.withLock { $0.ending = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal) }
            whenEnded()
        }
        return child
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34 and later), looked up once:
    /// Swift's Glibc module leaves GNU extensions out.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Runs `work` on a thread of its own with a small stack: each child has two, and a
    /// worker may run dozens of children.
    private static func onThread(_ work: @escaping @Sendable () -> Void) {
        let thread = Thread(block: work)
        thread.stackSize = 1 << 18
        thread.start()
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
