import Engine
import Foundation
import Testing

/// A file the user named that cannot be read says why, in words an admin can act on.
struct UserFileTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-user-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    @Test func aReadableFileIsReadWhole() throws {
        try Data("a,b\n1,2\n".utf8).write(to: URL(fileURLWithPath: path("rows.csv")))
        #expect(try UserFile.contents(path("rows.csv")) == Data("a,b\n1,2\n".utf8))
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
}
