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

    /// A run that ends while its journal's disk is full keeps how it ended (it was lost
    /// without a word: the run said success, and `roster runs` then listed it killed, its
    /// reads and the last row of an `--each` run missing): it waits in the change log, the
    /// run says so, and the next process to open the journal with room stores it. When not
    /// even that can be kept, the run says it will be listed killed, and its resume ends it.
    @Test func aRunEndingOnAFullDiskKeepsHowItEnded() async throws {
        let folder = try RosterProcess.scriptFolder([
            "changes.lua": "encore.update_user(1001, {first_name = 'A'})\nprint('sent')\nencore.get_user(1001)\nencore.update_user(1001, {first_name = 'B'})\nprint('done')",
            "reads.lua": "encore.get_user(1001)\nprint('sent')\nencore.get_user(1002)\nprint('done')",
            "row.lua": "encore.update_user(tonumber(row.id), {first_name = row.name})\nprint('sent ' .. row.id)\nencore.get_user(1001)",
            "rows.csv": "id,name\n1001,Ada\n1002,Bo\n",
            "full.sh": """
                set -u
                roster=$1 disk=$2
                mkdir -p "$disk"
                mount -t tmpfs -o size=4m tmpfs "$disk" || exit 90
                # Each call waits: the disk fills while the script runs.
                "$roster" emulator --port 0 --write-config roster.toml --faults latency=700ms > emulator.out 2>&1 &
                emulator=$!
                trap 'kill $emulator' EXIT
                for i in $(seq 200); do [ -s roster.toml ] && break; sleep 0.05; done
                # Runs NAME ARGS...: fills the disk once the script prints "sent LAST", then waits.
                run() {
                    name=$1 last=$2; shift 2
                    "$roster" run "$@" --journal "$disk/j.sqlite" --yes > $name.out 2> $name.err &
                    pid=$!
                    # (A row's print shows when the row ends.)
                    for i in $(seq 400); do grep -q "^sent$last" $name.out && break; sleep 0.025; done
                    head -c 100m /dev/zero > "$disk/fill" 2> /dev/null
                    wait $pid; echo $? > $name.status
                    "$roster" runs --journal "$disk/j.sqlite" > $name.full-runs 2>&1; echo $? >> $name.full-runs
                    rm "$disk/fill"
                }
                run changes "" changes.lua
                run reads "" reads.lua
                run rows " 1001" row.lua --each rows.csv --parallel 1
                "$roster" runs --json --journal "$disk/j.sqlite" > runs.json
                "$roster" runs --journal "$disk/j.sqlite" > runs.text
                "$roster" runs show 3 --journal "$disk/j.sqlite" > rows.show
                "$roster" resume 2 --journal "$disk/j.sqlite" --yes > resumed.out 2> resumed.err; echo $? > resumed.status
                "$roster" runs --json --journal "$disk/j.sqlite" > resumed.json
                """,
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let namespace = getuid() == 0 ? ["--mount"] : ["--user", "--map-root-user", "--mount"]
        let result = try await RosterProcess.run(namespace + ["bash", "full.sh", RosterProcess.binary.path, folder.appendingPathComponent("disk").path],
                                                 executable: URL(fileURLWithPath: "/usr/bin/unshare"), in: folder, limit: 200)
        #expect(result.status == 0, "a tmpfs could not be mounted in a namespace of the test's own: \(result.stderr)")
        func read(_ name: String) -> String { (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "" }
        func runs(_ name: String) -> [Int: [String: Any]] {
            let list = (try? JSONSerialization.jsonObject(with: Data(read(name).utf8))) as? [[String: Any]] ?? []
            return Dictionary(list.map { ($0["id"] as? Int ?? 0, $0) }) { first, _ in first }
        }

        // The run's own outcome and exit code stand; how it ended waits in its change log.
        #expect(read("changes.status") == "0\n" && read("changes.out") == "sent\ndone\n", "\(read("changes.err"))")
        #expect(read("changes.err").contains("roster: run 1 ended (success), but the journal "), "\(read("changes.err"))")
        #expect(read("changes.err").contains("database or disk is full; how it ended waits in "), "\(read("changes.err"))")
        // `roster runs` on the still-full disk lists the runs as they stand, with a warning
        // naming why what waits is not in yet (it exited 2 and listed nothing).
        let fullList = read("changes.full-runs")
        #expect(fullList.contains("roster: warning: what killed or stopped runs left in their change logs is not in the journal yet ("), "\(fullList)")
        #expect(fullList.contains("could not be written: database or disk is full"), "\(fullList)")
        #expect(fullList.split(separator: "\n").contains { $0.hasPrefix("1 ") } && fullList.hasSuffix("\n0\n"), "\(fullList)")
        // Nothing could keep it: the run says what the list will show, and how to end it.
        #expect(read("reads.status") == "0\n" && read("reads.out") == "sent\ndone\n", "\(read("reads.err"))")
        #expect(read("reads.err").contains("roster: run 2 ended (success), but the journal "), "\(read("reads.err"))")
        #expect(read("reads.err").contains(": it will be listed as killed; roster resume 2 finishes it"), "\(read("reads.err"))")
        #expect(read("rows.status") == "0\n", "\(read("rows.err"))")
        #expect(read("rows.err").contains("roster: run 3 ended (success), but the journal "), "\(read("rows.err"))")

        // Once there was room, the next process stored what waited.
        let stored = runs("runs.json")
        #expect(stored[1]?["outcome"] as? String == "success", "\(read("runs.json"))")
        #expect(stored[1]?["reads"] as? Int == 1)
        #expect((stored[1]?["changes"] as? [String: Int])?["done"] == 2)
        #expect(stored[2] != nil && stored[2]?["outcome"] == nil, "\(read("runs.json"))")
        #expect(read("runs.text").split(separator: "\n").contains { $0.hasPrefix("2 ") && $0.contains(" killed ") }, "\(read("runs.text"))")
        #expect(stored[3]?["outcome"] as? String == "success", "\(read("runs.json"))")
        #expect(stored[3]?["reads"] as? Int == 2)
        #expect(read("rows.show").contains("rows of rows.csv: 2 succeeded, 0 failed"), "\(read("rows.show"))")
        #expect(read("resumed.status") == "0\n" && read("resumed.out") == "sent\ndone\n", "\(read("resumed.err"))")
        #expect(runs("resumed.json")[2]?["outcome"] as? String == "success", "\(read("resumed.json"))")
    }
}
