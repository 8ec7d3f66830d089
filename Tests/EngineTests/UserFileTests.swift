import Engine
import Foundation
import Synchronization
import Testing

/// A file the user named that cannot be read says why, in words an admin can act on.
/// A class, so that each test's folder is removed when the test ends (a struct left one in
/// the temporary folder per test, every run of the suite).
final class UserFileTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-user-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A path's folder, as Foundation's NSString gives it where it does not trap: it trapped
    /// on a one-character name, so `roster run a` and `--failed-rows x` crashed.
    @Test func aPathsFolderIsWhatComesBeforeItsName() {
        let cases = [("a/b/c", "a/b"), ("/c", "/"), ("c", ""), ("a", ""), ("a/", ""), ("/", "/"), ("", ""), ("a//b", "a"), ("/a/b/", "/a"),
                     ("./a", "."), ("x/y", "x"), ("dir/", ""), ("/a", "/")]
        for (path, folder) in cases { #expect(UserFile.folder(of: path) == folder, "\(path)") }
        // Where Foundation does not trap, the two agree.
        for path in ["a/b/c", "/c", "ab", "/", "", "a//b", "/a/b/", "./a", "x/y", "dir/", "/a", "ab//"] {
            #expect(UserFile.folder(of: path) == (path as NSString).deletingLastPathComponent, "\(path)")
        }
    }

    /// A journaled script's path is shown from the current folder when it is inside it.
    @Test func aPathIsShownFromTheCurrentFolder() {
        let folder = FileManager.default.currentDirectoryPath
        #expect(UserFile.shownPath(folder + "/scripts/onboard.lua") == "scripts/onboard.lua")
        #expect(UserFile.shownPath(folder + "2/onboard.lua") == folder + "2/onboard.lua", "a sibling folder sharing the name's start")
        #expect(UserFile.shownPath("/elsewhere/onboard.lua") == "/elsewhere/onboard.lua")
        #expect(UserFile.shownPath(folder) == folder)
    }

    @Test func aReadableFileIsReadWhole() throws {
        try Data("a,b\n1,2\n".utf8).write(to: URL(fileURLWithPath: path("rows.csv")))
        #expect(try UserFile.contents(path("rows.csv")) == Data("a,b\n1,2\n".utf8))
    }

    /// What a resume or an apply can read again; the rest the journal keeps.
    @Test func onlyARegularFileReachedByItsOwnPathCanBeReadAgain() throws {
        try Data("a\n".utf8).write(to: URL(fileURLWithPath: path("rows.csv")))
        #expect(mkfifo(path("pipe"), 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: path("link.csv"), withDestinationPath: path("rows.csv"))
        #expect(UserFile.canBeReadAgain(path("rows.csv")))
        #expect(UserFile.canBeReadAgain(path("link.csv")))
        for path in [path("pipe"), folder.path, path("missing.csv"), "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "/dev/null"] {
            #expect(!UserFile.canBeReadAgain(path), "\(path)")
        }
    }

    @Test func eachReasonIsNamed() throws {
        try Data("x".utf8).write(to: URL(fileURLWithPath: path("file")))
        let cases = [
            (path("missing.lua"), "no such file"),
            (folder.path, "it is a folder, not a file"),
            (path("file/inside.lua"), "a part of the path is not a folder"),
            ("", "no file was named"),
        ]
        for (path, reason) in cases {
            #expect(throws: UserFileError.self) { try UserFile.contents(path) }
            #expect(UserFile.whyUnreadable(path) == reason, "\(path)")
            do {
                _ = try UserFile.contents(path)
            } catch {
                #expect(error.description == reason)
                #expect(error.path == path)
            }
        }
    }

    /// Root reads any file, so the refusal is only seen as another user.
    @Test(.enabled(if: getuid() != 0)) func aFileWithoutReadPermissionSaysSo() throws {
        let secret = path("secret")
        try Data("x".utf8).write(to: URL(fileURLWithPath: secret))
        chmod(secret, 0o200)
        #expect(UserFile.whyUnreadable(secret) == "permission denied")
        #expect(throws: UserFileError.self) { try UserFile.contents(secret) }
    }

    @Test func aWriteReplacesTheFileWholeWithItsMode() throws {
        let file = path("plan.json")
        try UserFile.write(Data("first".utf8), to: file, mode: 0o600)
        try UserFile.write(Data("second".utf8), to: file, mode: 0o600)
        #expect(try UserFile.contents(file) == Data("second".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["plan.json"])
    }

    /// A link is followed: the file it points at is replaced, the link stays.
    @Test func aWriteThroughALinkReplacesItsTarget() throws {
        let target = path("target.csv"), link = path("link.csv")
        try UserFile.write(Data("old".utf8), to: target)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        try UserFile.write(Data("new".utf8), to: link)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try UserFile.contents(target) == Data("new".utf8))
    }

    /// What is not a regular file (a pipe here; `/dev/stdout` alike) is written in place: a
    /// rename would put a regular file where it was.
    @Test func aWriteToAPipeIsInPlace() throws {
        let pipe = path("pipe")
        #expect(mkfifo(pipe, 0o600) == 0)
        let received = Mutex<Data?>(nil)
        let reader = Thread { received.withLock { $0 = try? UserFile.contents(pipe) } }
        reader.start()
        try UserFile.write(Data("through the pipe".utf8), to: pipe)
        var waited = 0
        while received.withLock({ $0 }) == nil, waited < 500 {
            usleep(10_000)
            waited += 1
        }
        #expect(received.withLock { $0 } == Data("through the pipe".utf8))
        let type = try FileManager.default.attributesOfItem(atPath: pipe)[.type] as? FileAttributeType
        #expect(type != nil && type != .typeRegular, "\(String(describing: type))")
    }

    @Test func aWriteThatCannotBeMadeSaysWhy() throws {
        try Data("x".utf8).write(to: URL(fileURLWithPath: path("file")))
        let cases = [
            (folder.path, "it is a folder, not a file"),
            (path("file/out.csv"), "\(path("file")) is a file, not a folder"),
            (path("no/such/out.csv"), "no such folder \(path("no"))"),
        ]
        for (path, reason) in cases {
            do {
                try UserFile.write(Data("x".utf8), to: path)
                Issue.record("\(path) was written")
            } catch {
                #expect(error.reason == reason)
            }
        }
    }
}
