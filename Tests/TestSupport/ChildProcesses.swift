/// ChildProcesses.swift: starting child processes from the tests without leaking one
/// child's pipes into another.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Held while a pipe is made or a process is started. Foundation's `Process.run` closes the
/// parent's descriptors in the child only up to the highest one open when it looks, and its
/// pipes and exit-watching socket are inheritable: a descriptor another thread opened a
/// moment later went to the other child too. A long-lived child (an emulator, PostgreSQL)
/// then held a short one's exit-watching socket, and the test saw that process run on for
/// the other's whole life (30 s and more).
private let launching = NSLock()

/// A pipe whose two ends no other child inherits (close-on-exec: the child that is meant to
/// have one gets its own copy, as its stdin, stdout or stderr).
public func makePipe() -> Pipe {
    openingDescriptors(Pipe.init) { [$0.fileHandleForReading.fileDescriptor, $0.fileHandleForWriting.fileDescriptor] }
}

/// Runs `body` (which opens descriptors) while no process starts; marks `descriptors`
/// close-on-exec.
public func openingDescriptors<T>(_ body: () throws -> T, closeOnExec descriptors: (T) -> [Int32]) rethrows -> T {
    launching.lock()
    defer { launching.unlock() }
    let result = try body()
    for descriptor in descriptors(result) { _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC) }
    return result
}

extension Process {
    /// Starts the process with SIGCHLD unblocked, one start at a time (see `launching`).
    /// A child inherits the signal mask of the thread that starts it, and the threads of
    /// Swift's pool block signals: a shell started with SIGCHLD blocked waits forever in
    /// `wait` for a child that has already exited (dash's does; the `--each` kill test hung so).
    public func runWithChildSignals() throws {
        launching.lock()
        defer { launching.unlock() }
        var childSignals = sigset_t(), previous = sigset_t()
        sigemptyset(&childSignals)
        sigaddset(&childSignals, SIGCHLD)
        pthread_sigmask(SIG_UNBLOCK, &childSignals, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try run()
    }
}
