/// StandardOutputTests.swift: output that cannot be written is never lost without a word —
/// with the built binary, its stdout a full disk (/dev/full) or a reader that goes.
import Foundation
import Testing

@Suite struct StandardOutputTests {
    /// `roster ARGUMENTS` as bash runs `command` (with the binary as `$0`), in `folder`.
    static func bash(_ command: String, in folder: URL) async throws -> ProcessResult {
        try await RosterProcess.run(["-c", command, RosterProcess.binary.path], executable: URL(fileURLWithPath: "/bin/bash"),
                                    in: folder, environment: JournalTests.journal(folder))
    }

    static let lost = "roster: cannot write to standard output (No space left on device): the output is incomplete\n"

    /// A listing or an export whose output is its result exits 1 when that output cannot be
    /// written (it exited 0: `roster audit > trail.csv` on a full disk left a cut trail).
    @Test func aReportThatCannotBeWrittenSaysSoAndFails() async throws {
        let folder = try RosterProcess.scriptFolder([
            "changes.lua": "for i = 1, 3 do encore.update_user(1001, {first_name = 'Ada' .. i}) end",
            "hello.lua": "print('hello')",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = try await RosterProcess.run(["run", "changes.lua"], in: folder, environment: JournalTests.journal(folder))
        #expect(made.status == 0, "\(made.stderr)")
        for command in ["audit", "audit --format csv", "runs", "runs --json", "runs show 1", "runs show 1 --json", "runs show 1 --csv",
                        "docs", "docs encore.get_user", "workers"] {
            let full = try await Self.bash("\"$0\" \(command) > /dev/full", in: folder)
            #expect(full.status == 1, "\(command): \(full.stderr)")
            #expect(full.stderr == Self.lost, "\(command): \(full.stderr)")
        }
        // A run's exit code says what reached the vendors, so it stays; the script's lost
        // output is said, once. One that prints nothing has lost nothing.
        let printed = try await Self.bash("\"$0\" run hello.lua > /dev/full", in: folder)
        #expect(printed.status == 0 && printed.stderr.hasSuffix(Self.lost), "\(printed.stderr)")
        #expect(printed.stderr.components(separatedBy: "standard output").count == 2, "said once: \(printed.stderr)")
        let silent = try await Self.bash("\"$0\" run changes.lua > /dev/full", in: folder)
        #expect(silent.status == 0 && !silent.stderr.contains("standard output"), "\(silent.stderr)")

        // A stdout the caller closed stays closed: it was the next descriptor opened (the
        // runtime's event queue), and the output went there, lost as `Invalid argument`.
        let closed = "roster: cannot write to standard output (Bad file descriptor): the output is incomplete\n"
        let audit = try await Self.bash("\"$0\" audit >&-", in: folder)
        #expect(audit.status == 1 && audit.stderr == closed, "\(audit.stderr)")
        let run = try await Self.bash("\"$0\" run hello.lua >&-", in: folder)
        #expect(run.status == 0 && run.stderr.hasSuffix(closed), "\(run.stderr)")
    }

    /// A reader that has gone (`| head`) is the reader's choice: the listing stops there,
    /// quietly, and exits 0; what was written before it went is whole.
    @Test func aReaderThatGoesStopsAListingQuietly() async throws {
        let folder = try RosterProcess.scriptFolder([
            "changes.lua": "for i = 1, 400 do encore.update_user(1001, {first_name = 'Ada' .. i}) end",
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = try await RosterProcess.run(["run", "changes.lua", "--yes"], in: folder, environment: JournalTests.journal(folder))
        #expect(made.status == 0, "\(made.stderr)")
        let whole = try await Self.bash("\"$0\" audit", in: folder)
        #expect(whole.stdout.split(separator: "\n").count == 400)
        for command in ["audit", "audit --format csv", "runs show 1 --json", "docs"] {
            // The reader takes one line and goes; bash's pipefail gives roster's own status.
            let head = try await Self.bash("set -o pipefail; \"$0\" \(command) | head -n 1", in: folder)
            #expect(head.status == 0 && head.stderr.isEmpty, "\(command): \(head.status) \(head.stderr)")
            #expect(head.stdout.split(separator: "\n").count == 1, "\(command): \(head.stdout)")
        }
        let first = try await Self.bash("set -o pipefail; \"$0\" audit | head -n 1", in: folder)
        #expect(first.stdout == whole.stdout.split(separator: "\n").first.map { $0 + "\n" })
    }
}
