/// TemporaryFolders.swift: folders for tests' files, all inside one folder that is removed
/// when the test process exits, so a test that does not clean up after itself (or a run of
/// the suite cut short) leaves nothing behind in the temporary folder.
import Foundation

/// The test process's temporary folders.
public enum TemporaryFolders {
    /// The folder every `new` folder is in: removed at exit.
    public static let root: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("roster-tests-\(UUID().uuidString)")
        atexit { try? FileManager.default.removeItem(at: TemporaryFolders.root) }
        return root
    }()

    /// A new, empty folder named after `purpose`.
    public static func new(_ purpose: String) throws -> URL {
        let folder = root.appendingPathComponent("\(purpose)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}
