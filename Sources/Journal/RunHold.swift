/// RunHold.swift: one process at a time runs a run. Two attempts of one run at once (a
/// second `roster resume` while the first still runs, or a resume while the run itself does)
/// would each send the changes the other has not journaled yet; an undo while the run goes
/// on, or two undos at once, would reverse what is still changing or reverse it twice.
///
/// On this host the process running an attempt holds a lock on the run: a byte of
/// `runs.lock` in the journal's change-log folder, the run's id its offset (POSIX record
/// locks: the kernel drops them when the process ends, however it ends, and one file serves
/// every run). Across hosts, a shared store (PostgreSQL) fences too: a change is stored only
/// while its attempt is the run's latest, so an attempt another host has taken over sends
/// nothing more.
import Foundation
import Synchronization

/// The runs this process holds, through one descriptor per lock file, never closed: closing
/// any descriptor of a file drops every POSIX lock the process has on it.
enum RunHold {
    private static let files = Mutex<[String: Int32]>([:])

    /// Takes run `runID` for this process, or says which process has it.
    static func take(_ runID: Int64, in folder: String) throws(JournalError) {
        let path = folder + "/runs.lock"
        guard let descriptor = descriptor(path, creating: true) else {
            throw JournalError("cannot open \(path) (which says which process runs which run): \(String(cString: strerror(errno)))")
        }
        var lock = byte(runID, F_WRLCK)
        if fcntl(descriptor, F_SETLK, &lock) == 0 { return }
        guard errno == EAGAIN || errno == EACCES else {
            throw JournalError("cannot lock run \(runID) in \(path): \(String(cString: strerror(errno)))")
        }
        let process = holder(of: runID, in: folder).map { " (process \($0))" } ?? ""
        throw JournalError("run \(runID) is in use by another roster process on this host\(process), which runs, resumes or undoes it; "
                           + "wait for it to end, or stop it, then try again (two at once could each send a change the other is sending)")
    }

    /// The process on this host running `runID` now (another than this one), if one is.
    static func holder(of runID: Int64, in folder: String) -> Int32? {
        guard let descriptor = descriptor(folder + "/runs.lock", creating: false) else { return nil }
        var query = byte(runID, F_WRLCK)
        guard fcntl(descriptor, F_GETLK, &query) == 0, query.l_type != Int16(F_UNLCK) else { return nil }
        return query.l_pid
    }

    /// This process's descriptor of the lock file at `path`, opened once.
    private static func descriptor(_ path: String, creating: Bool) -> Int32? {
        files.withLock { files -> Int32? in
            if let open = files[path] { return open }
            let folder = (path as NSString).deletingLastPathComponent
            if creating, !FileManager.default.fileExists(atPath: folder) {
                try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            let descriptor = open(path, O_RDWR | O_CLOEXEC | (creating ? O_CREAT : 0), 0o600)
            guard descriptor >= 0 else { return nil }
            files[path] = descriptor
            return descriptor
        }
    }

    /// A lock of `type` on the byte at offset `runID`.
    private static func byte(_ runID: Int64, _ type: Int32) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(runID)
        lock.l_len = 1
        return lock
    }
}
