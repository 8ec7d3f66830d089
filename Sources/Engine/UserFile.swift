/// UserFile.swift: reading a file a user named (a script, an input, a CSV, a plan, a
/// configuration), pipes included, with the reason in a few words when it cannot be read.
import Foundation

/// A file the user named, read whole. A pipe or a process substitution reads as well as a
/// regular file (`roster run s.lua --each <(grep ok rows.csv)`, `… | roster run /dev/stdin`):
/// FileManager's `contents(atPath:)` returns nothing for those. When it cannot be read, the
/// error says why in words an admin can act on ("no such file", "it is a folder, not a
/// file", "permission denied"), so that a mistyped path and a wrong permission do not read
/// alike.
public enum UserFile {
    /// The most Roster reads of a file by what it is for. Past it the file is refused, with
    /// its size when it says one; a stream that never ends (`/dev/zero`, a log piped in by
    /// mistake) is not read until the machine's memory is gone. An `--input` is held to the
    /// run's `--memory-limit` instead, since the script holds it.
    public enum Limit {
        /// A script, a module, a plugin's workflow: Lua source.
        public static let script = 64 << 20
        /// An `--each` CSV, held in memory row by row for the whole run.
        public static let rows = 512 << 20
        /// A saved plan (`--plan-out`): every planned change with its arguments.
        public static let plan = 512 << 20
        /// A roster.toml or a plugin.toml.
        public static let configuration = 16 << 20
    }

    /// The file's bytes; more than `limit` bytes is an error (`exceedsLimit`) instead of a
    /// process out of memory.
    public static func contents(_ path: String, atMost limit: Int = .max) throws(UserFileError) -> Data {
        guard !path.isEmpty else { throw UserFileError(path: path, reason: "no file was named") }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw UserFileError(path: path, reason: reason(errno, path)) }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            throw UserFileError(path: path, reason: "it is a folder, not a file")
        }
        // A regular file says its size up front: refused before a byte is read, and read in
        // one allocation. A pipe says nothing: read until it ends, or until past the limit.
        let regular = status.st_mode & S_IFMT == S_IFREG
        if regular, Int(status.st_size) > limit { throw UserFileError(path: path, exceedsLimit: limit, size: Int(status.st_size)) }
        // Read into the buffer's free tail; one byte more than a regular file's size sees
        // its end without growing.
        var data = Data(count: regular ? min(Int(status.st_size), limit) + 1 : 1 << 14)
        var used = 0
        while true {
            if used == data.count { data.count = min(data.count * 2, limit == .max ? .max : limit + 1) }
            let count = data.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + used, $0.count - used) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw UserFileError(path: path, reason: reason(errno, path))
            }
            used += count
            guard used <= limit else { throw UserFileError(path: path, exceedsLimit: limit, size: nil) }
        }
        data.count = used
        return data
    }

    /// `path` as an absolute, standardized path (no `.` or `..`), taken from the working
    /// directory when relative: what the journal records for a file a user named.
    /// Made absolute here, not by `URL`: its own joining of a relative path costs every
    /// start a scan of the binary's conformance records.
    public static func absolutePath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// `path` (absolute) as a message names it: relative to the current folder when it is
    /// inside it (`onboard.lua`, as the admin ran it), else in full. Lua shortens a script
    /// name past 60 bytes to its end (`...b1f4/onboard.lua:3:`), which a temporary or deep
    /// folder reaches.
    public static func shownPath(_ path: String) -> String {
        let folder = FileManager.default.currentDirectoryPath
        // No folder (it was removed) or the root: the path in full.
        guard folder.count > 1 else { return path }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(prefix) && path.count > prefix.count ? String(path.dropFirst(prefix.count)) : path
    }

    /// The folder part of `path`, as `NSString.deletingLastPathComponent` gives it (`a/b/c`:
    /// `a/b`; `/c`: `/`; `c`: ""), which traps on a one-character name (`roster run a`,
    /// `--failed-rows x`) in this Foundation.
    public static func folder(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        var folder = trimmed[..<slash]
        while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
        return folder.isEmpty ? "/" : String(folder)
    }

    /// Whether `a` and `b` name one file: the same path, or one regular file however spelled
    /// (`./x`, a link, another path to it). What is written to one replaces the other.
    public static func isSameFile(_ a: String, _ b: String) -> Bool {
        if absolutePath(a) == absolutePath(b) { return true }
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0, first.st_mode & S_IFMT == S_IFREG else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    /// Whether reading `path` later (a resume, an apply, another process) gives what was
    /// read now: a regular file does, unless it was reached through this process's own
    /// descriptors (`/dev/stdin`, `/dev/fd/N`, `/proc/self/…`, which name another process's
    /// files there). A pipe, a process substitution or a device does not: what it held is
    /// to be kept instead.
    public static func canBeReadAgain(_ path: String) -> Bool {
        let absolute = absolutePath(path)
        guard !absolute.hasPrefix("/dev/"), !absolute.hasPrefix("/proc/") else { return false }
        var status = stat()
        return stat(absolute, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }

    /// Why `path` could not be read, looked up after a read failed elsewhere (a file read
    /// again on resume, say). It opens the file but reads nothing: a pipe keeps its bytes
    /// (and a named pipe with no writer does not hold the open).
    public static func whyUnreadable(_ path: String) -> String {
        guard !path.isEmpty else { return "no file was named" }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return reason(errno, path) }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { return "it is a folder, not a file" }
        return "it could not be read"
    }

    /// Writes `data` to the file the user named. A regular file (or a new one) is replaced
    /// whole, through a temporary file renamed over it, so that a reader never sees half of
    /// it and a failure leaves the old one; it gets `mode`. Anything else the path leads to
    /// (`/dev/stdout`, a pipe, a terminal) is written in place: a rename would put a regular
    /// file where the device was.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws(UserFileError) {
        var status = stat()
        let exists = stat(path, &status) == 0
        if exists, status.st_mode & S_IFMT == S_IFDIR { throw UserFileError(path: path, reason: "it is a folder, not a file") }
        if exists, status.st_mode & S_IFMT != S_IFREG {
            let descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw UserFileError(path: path, reason: reason(errno, path)) }
            defer { close(descriptor) }
            try writeAll(data, to: descriptor, path: path)
            return
        }
        // The rename replaces what the path names: follow a link to the file it points at.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let folder = Self.folder(of: target)
        var template = Array(((folder.isEmpty ? "." : folder) + "/.roster-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw UserFileError(path: path, reason: whyUnwritable(path, errno: errno)) }
        // mkstemp filled in the X's; the name is the array up to its terminating NUL.
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do throws(UserFileError) {
            defer { close(descriptor) }
            guard fchmod(descriptor, mode) == 0 else { throw UserFileError(path: path, reason: reason(errno, path)) }
            try writeAll(data, to: descriptor, path: path)
            guard fsync(descriptor) == 0 else { throw UserFileError(path: path, reason: reason(errno, path)) }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, target) == 0 else {
            let code = errno
            unlink(temporary)
            throw UserFileError(path: path, reason: reason(code, path))
        }
    }

    private static func writeAll(_ data: Data, to descriptor: Int32, path: String) throws(UserFileError) {
        var written = 0
        while written < data.count {
            let count = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw UserFileError(path: path, reason: reason(errno, path))
            }
            written += count
        }
    }

    /// Why a file could not be made at `path`, from the system's `errno` and a look at the
    /// path.
    static func whyUnwritable(_ path: String, errno code: Int32) -> String {
        whyUnwritable(path, after: NSError(domain: NSPOSIXErrorDomain, code: Int(code)))
    }

    /// Why Foundation could not write `path`, in the system's words ("permission denied",
    /// "no space left on device") or from a look at the path ("it is a folder, not a file",
    /// "no such folder /x", "/x is a file, not a folder"): Foundation's own text says only
    /// "The operation could not be completed", whatever the cause.
    public static func whyUnwritable(_ path: String, after error: any Error) -> String {
        if let error = error as? UserFileError { return error.reason }
        let error = error as NSError
        let code: Int32? = if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            Int32(underlying.code)
        } else if error.domain == NSPOSIXErrorDomain {
            Int32(error.code)
        } else {
            nil
        }
        // A reason the path itself shows is clearer than ENOENT's "no such file or directory".
        if let code, ![ENOENT, ENOTDIR, EISDIR, EACCES].contains(code) { return String(cString: strerror(code)).lowercased() }
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { return "it is a folder, not a file" }
        return folderProblem(path) ?? String(cString: strerror(code ?? EIO)).lowercased()
    }

    /// Why `write(_:to:)` would fail at `path`, looked at before the work whose result it
    /// holds (a long dry run's plan, the failed rows of a real run), so that the mistake
    /// costs nothing; nil when nothing is seen wrong.
    public static func whyCannotWrite(_ path: String) -> String? {
        var status = stat()
        if stat(path, &status) == 0 {
            if status.st_mode & S_IFMT == S_IFDIR { return "it is a folder, not a file" }
            // A device or a pipe is written in place, and opened only then.
            guard status.st_mode & S_IFMT == S_IFREG else { return nil }
        }
        // A regular file is replaced by a file made beside it, where a link leads.
        var link = stat()
        let isLink = lstat(path, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK
        return folderProblem(isLink ? URL(fileURLWithPath: path).resolvingSymlinksInPath().path : path)
    }

    /// What is wrong with the folder a file at `path` goes in: the nearest folder above it
    /// that exists says (a file where a folder should be, a folder missing, no permission).
    private static func folderProblem(_ path: String) -> String? {
        var status = stat()
        var folder = folder(of: path)
        var missing: String?
        while !folder.isEmpty, stat(folder, &status) != 0 {
            missing = folder
            folder = Self.folder(of: folder)
        }
        if folder.isEmpty {
            folder = "."
            _ = stat(folder, &status)
        }
        if status.st_mode & S_IFMT != S_IFDIR { return "\(folder) is a file, not a folder" }
        if let missing { return "no such folder \(missing)" }
        if access(folder, W_OK) != 0 { return "permission denied on \(folder)" }
        return nil
    }

    private static func reason(_ code: Int32, _ path: String) -> String {
        switch code {
        case ENOENT: "no such file"
        case ENOTDIR: "a part of the path is not a folder"
        case EACCES: access(folder(of: path).isEmpty ? "." : folder(of: path), X_OK) == 0
            ? "permission denied" : "permission denied on a folder in its path"
        case EISDIR: "it is a folder, not a file"
        case ENAMETOOLONG: "the path is too long"
        case ELOOP: "too many symbolic links in the path"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}

/// A file that could not be read: `reason` is the few words that say why.
public struct UserFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    /// It holds more than the reader's limit (`reason` names the limit).
    public let exceedsLimit: Bool
    /// Its size in bytes, when it exceeds the limit and says its size (a regular file does;
    /// a pipe does not).
    public let size: Int?

    init(path: String, reason: String) {
        self.path = path
        self.reason = reason
        exceedsLimit = false
        size = nil
    }

    init(path: String, exceedsLimit limit: Int, size: Int?) {
        self.path = path
        reason = "it holds more than \(limit >= 1 << 20 ? "\(limit >> 20) MB" : "\(limit) bytes")"
        exceedsLimit = true
        self.size = size
    }

    public var description: String { reason }
}
