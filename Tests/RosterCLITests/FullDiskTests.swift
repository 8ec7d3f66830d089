/// FullDiskTests.swift: a journal on a disk that fills — the built binary, its journal on a
/// small tmpfs mounted in a mount namespace of its own (unshare), so nothing outside the
/// test's temporary folder sees it.
import Foundation
import Testing

@Suite struct FullDiskTests {
    /// A run whose journal's disk is full stops before the change it could not journal, in
    /// one line (it died of SIGBUS, exit 135, copying into its change log's mapping); once
    /// there is room, its resume finishes it, each change sent once.
    @Test func aFullDiskStopsARunCleanlyAndItsResumeFinishesIt() async throws {
        let folder = try RosterProcess.scriptFolder([
            // A thousand changes of a kilobyte: their plan alone outgrows a first change log.
            "many.lua": "for i = 1, 1000 do encore.update_user(1001, {first_name = string.rep('x', 1000) .. i}) end\nprint('done')",
            "full.sh": """
                set -u
                roster=$1 disk=$2
                mkdir -p "$disk"
                # Too small for a change log: the first change is refused.
                mount -t tmpfs -o size=300k tmpfs "$disk" || exit 90
                "$roster" run many.lua --journal "$disk/j.sqlite" --yes --timeout 300 > tiny.out 2> tiny.err; echo $? > tiny.status
                umount "$disk"
                # Room for the log, not for its growth: the run stops part way.
                mount -t tmpfs -o size=1200k tmpfs "$disk" || exit 90
                "$roster" run many.lua --journal "$disk/j.sqlite" --yes --timeout 300 > small.out 2> small.err; echo $? > small.status
                mount -o remount,size=20m "$disk"
                "$roster" resume 1 --journal "$disk/j.sqlite" --yes --timeout 300 > resumed.out 2> resumed.err; echo $? > resumed.status
                "$roster" runs show 1 --json --journal "$disk/j.sqlite" > changes.json
                """,
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        // Root unshares the mount namespace alone; anyone else maps themselves to root in a
        // user namespace of their own first.
        let namespace = getuid() == 0 ? ["--mount"] : ["--user", "--map-root-user", "--mount"]
        let result = try await RosterProcess.run(namespace + ["bash", "full.sh", RosterProcess.binary.path, folder.appendingPathComponent("disk").path],
                                                 executable: URL(fileURLWithPath: "/usr/bin/unshare"), in: folder, limit: 300)
        #expect(result.status == 0, "a tmpfs could not be mounted in a namespace of the test's own: \(result.stderr)")
        func read(_ name: String) -> String { (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "" }

        #expect(read("tiny.status") == "1\n", "\(read("tiny.err"))")
        #expect(read("tiny.err").contains("many.lua:1: encore.update_user: no response: not sent: cannot create the change log "), "\(read("tiny.err"))")
        #expect(read("tiny.err").contains(": No space left on device\n"), "\(read("tiny.err"))")

        #expect(read("small.status") == "1\n", "\(read("small.err"))")
        #expect(read("small.err").contains("not sent: cannot grow the change log "), "\(read("small.err"))")
        #expect(read("small.err").contains("to finish it: roster resume 1 "), "\(read("small.err"))")

        #expect(read("resumed.status") == "0\n" && read("resumed.out") == "done\n", "\(read("resumed.err"))")
        let document = try JSONSerialization.jsonObject(with: Data(read("changes.json").utf8)) as? [String: Any]
        let changes = document?["changes"] as? [[String: Any]] ?? []
        let sent = changes.filter { $0["state"] as? String == "succeeded" }
        #expect(sent.count == 1000, "each change sent once: \(sent.count) of \(changes.count)")
        #expect(Set(sent.compactMap { ($0["arguments"] as? [String: Any])?["fields"] as? [String: String] }.compactMap { $0["first_name"] }).count == 1000)
    }
}
