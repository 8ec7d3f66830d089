/// UserFile.swift: reading a file a user named (a script, an input, a CSV, a plan, a key),
/// with the reason in a few words when it cannot be read.
import Foundation

/// A file the user named, read whole. When it cannot be read, the error says why in words an
/// admin can act on ("no such file", "it is a folder, not a file", "permission denied"), so
/// that a mistyped path and a wrong permission do not read alike.
public enum UserFile {
    /// The file's bytes.
    public static func contents(_ path: String) throws(UserFileError) -> Data {
        if let data = FileManager.default.contents(atPath: path) { return data }
        throw UserFileError(path: path, reason: whyUnreadable(path))
    }

    /// Why `path` could not be read, looked up after the read failed (only then, so that a
    /// read that works costs nothing more).
    public static func whyUnreadable(_ path: String) -> String {
        if path.isEmpty { return "no file was named" }
        var status = stat()
        guard stat(path, &status) == 0 else {
            switch errno {
            case ENOENT: return "no such file"
            case ENOTDIR: return "a part of the path is not a folder"
            case EACCES: return "permission denied on a folder in its path"
            case ENAMETOOLONG: return "the path is too long"
            case ELOOP: return "too many symbolic links in the path"
            default: return String(cString: strerror(errno))
            }
        }
        if status.st_mode & S_IFMT == S_IFDIR { return "it is a folder, not a file" }
        if access(path, R_OK) != 0 { return "permission denied" }
        return "it could not be read"
    }
}

/// A file that could not be read: `reason` is the few words that say why.
public struct UserFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String

    public var description: String { reason }
}
