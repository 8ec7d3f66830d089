/// ChildProcess.swift: a child process started with posix_spawn and reaped on a thread of
/// its own. Not Foundation's `Process`: before every start it lists the parent's
/// descriptors reading past a buffer (swift-corelibs-foundation #5472, in Swift 6.3.1),
/// which now and then ended the parent: a worker, with every run it held, or the test
/// process. Nor swift-subprocess 1.0.2: short of descriptors, it ended the parent
/// (`FileDescriptor ... was not closed`) or left it waiting for good, where a start must
/// fail in one line.
import Foundation
import Synchronization

/// One child process, from its start until it has ended and been reaped.
public final class ChildProcess: Sendable {
    /// How a child ended.
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// Why a child could not be started, in the system's words (`too many open files`).
    public struct StartFailure: Error, CustomStringConvertible {
        public let code: Int32
        public var description: String { String(cString: strerror(code)).lowercased() }
    }

    public let processIdentifier: pid_t

    private struct State {
        /// Whether it was reaped: its number may be another process's from then on.
        var reaped = false
        var ending: Ending?
    }

    private let state = Mutex(State())

    private init(processIdentifier: pid_t) { self.processIdentifier = processIdentifier }

    /// How it ended; nil while it runs.
    public var ending: Ending? { state.withLock { $0.ending } }

    public var isRunning: Bool { ending == nil }

    /// The CPU seconds it has used so far, user and system, all its threads (counted by the
    /// kernel in clock ticks, 10 ms on Linux); nil once it has been reaped, or where /proc
    /// does not tell.
    public var cpuSeconds: Double? {
        state.withLock { state in state.reaped ? nil : Self.cpuSeconds(of: processIdentifier) }
    }

    /// utime + stime of /proc/`process`/stat. The command's name, in parentheses, may hold
    /// spaces and parentheses itself: the fields are counted from after its last ')'.
    static func cpuSeconds(of process: pid_t) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process)/stat", encoding: .utf8),
              let nameEnd = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
        // Fields 14 and 15 of proc(5); the first after the name is field 3.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Sends `signal`, unless it has been reaped.
    public func send(_ signal: Int32) {
        state.withLock { state in
            if !state.reaped { kill(processIdentifier, signal) }
        }
    }

    /// Starts `executable` with `arguments`, in `directory`, with `environment` (nil: this
    /// process's): in a process group of its own (a Ctrl-C at this process's terminal is
    /// this process's to pass on), every signal at its default and none blocked (this
    /// process may ignore SIGTERM for a handler of its own, and its threads block signals),
    /// `input`, `output` and `error` as its stdin (nil: /dev/null), stdout and stderr,
    /// `extra` (if given) as its descriptor 3, and no other descriptor of this process's.
    /// The caller closes its own copies of those.
    /// `whenEnded` is called once it has ended, with how.
    public static func start(_ executable: String, arguments: [String], environment: [String: String]? = nil, in directory: String? = nil,
                      input: Int32? = nil, output: Int32, error: Int32, extra: Int32? = nil,
                      whenEnded: @escaping @Sendable (Ending) -> Void = { _ in }) throws(StartFailure) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            posix_spawn_file_actions_adddup2(&actions, input, STDIN_FILENO)
        } else {
            posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, error, STDERR_FILENO)
        if let extra { posix_spawn_file_actions_adddup2(&actions, extra, Self.extraDescriptor) }
        // Descriptors opened without close-on-exec (by a library) stay out of the child too.
        if let closeFrom = GNUSpawn.closeFrom { _ = closeFrom(&actions, extra == nil ? 3 : Self.extraDescriptor + 1) }
        if let directory {
            guard let changeDirectory = GNUSpawn.changeDirectory else { throw StartFailure(code: ENOSYS) }
            _ = changeDirectory(&actions, directory)
        }
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
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var identifier: pid_t = 0
        let spawned = envp.map { posix_spawn(&identifier, executable, &actions, &attributes, argv, $0) }
            ?? posix_spawn(&identifier, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw StartFailure(code: spawned) }

        let child = ChildProcess(processIdentifier: identifier)
        onThread {
            // Awaited without reaping it, then reaped under the lock `send` takes: no signal
            // is sent between the reaping and its record.
            var exited = siginfo_t()
            while waitid(P_PID, id_t(child.processIdentifier), &exited, WEXITED | WNOWAIT) == -1, errno == EINTR {}
            var status: Int32 = 0
            let ending = child.state.withLock { state -> Ending in
                while waitpid(child.processIdentifier, &status, 0) == -1, errno == EINTR {}
                state.reaped = true
                // WIFEXITED and WTERMSIG by hand: the C macros do not reach Swift.
                let signal = status & 0x7f
                state.ending = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
                return state.ending!
            }
            whenEnded(ending)
        }
        return child
    }

    /// The number a child gets `start`'s `extra` descriptor as.
    public static let extraDescriptor: Int32 = 3

    /// A pipe whose ends no child inherits but through `start`. (pipe2, which would mark
    /// them at once, is a GNU extension Swift's Glibc leaves out.)
    public static func pipe() throws(StartFailure) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard Glibc.pipe(&ends) == 0 else { throw StartFailure(code: errno) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    /// Runs `work` on a thread of its own with a small stack (a worker may run dozens of
    /// children, each with a thread or two).
    public static func onThread(_ work: @escaping @Sendable () -> Void) {
        let thread = Thread(block: work)
        thread.stackSize = 1 << 18
        thread.start()
    }
}

/// glibc's spawn extensions (2.34 and later), looked up once: Swift's Glibc module leaves
/// GNU extensions out.
private enum GNUSpawn {
    typealias Actions = UnsafeMutablePointer<posix_spawn_file_actions_t>
    static let closeFrom: (@convention(c) (Actions, Int32) -> Int32)? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let changeDirectory: (@convention(c) (Actions, UnsafePointer<CChar>) -> Int32)? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<T>(_ name: String) -> T? {
        dlsym(nil, name).map { unsafeBitCast($0, to: T.self) }
    }
}

/// /dev/null, open for writing for as long as the process runs: where a child's output goes
/// when nobody reads it.
public final class NullDevice: Sendable {
    public static let shared = NullDevice()
    public let descriptor = open("/dev/null", O_WRONLY | O_CLOEXEC)
}
