/// CommandLineContractTests.swift: DESIGN's command-line contract where it was found broken:
/// parent options before the subcommand, `--version`, and text that is not UTF-8 refused
/// before it could reach a vendor.
import ChildProcesses
import Foundation
@testable import RosterCLI
import TestSupport
import Testing

@Suite struct CommandLineContractTests {
    @Test func pluginsFolderBeforeOrAfterTheSubcommand() async throws {
        let plugins = RosterProcess.root.appendingPathComponent("plugins").path
        for arguments in [["plugin", "--plugins", plugins, "list"], ["plugin", "list", "--plugins", plugins],
                          ["plugin", "--plugins=\(plugins)", "list"]] {
            let result = try await RosterProcess.run(arguments, in: FileManager.default.temporaryDirectory)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(result.stdout.contains("acme-onboarding 1.0.0"), "\(arguments)")
        }
        let info = try await RosterProcess.run(["plugin", "--plugins", plugins, "info", "globex-offboarding"])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.hasPrefix("globex-offboarding 1.2.0"))
        // The subcommands that take no plugins folder say so in one line.
        let pack = try await RosterProcess.run(["plugin", "--plugins", plugins, "pack", "x", "--key", "k", "-o", "f"])
        #expect(pack.status == 2)
        #expect(pack.stderr == "roster: `plugin pack` takes no --plugins: it works on what it is given, not on a plugins folder\n", "\(pack.stderr)")
    }

    @Test func versionIsTheOnePluginsAreCheckedAgainst() async throws {
        let result = try await RosterProcess.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == "0.1.0\n")
    }

    /// Start-up skips ArgumentParser's look for `--generate-completion-script` unless an
    /// argument asks for it: the script is still written, and help and usage still name the
    /// tool as `roster` (the parse-time configuration must not leak into them).
    @Test func completionScriptsHelpAndUsageSurviveTheFasterParse() async throws {
        let bash = try await RosterProcess.run(["--generate-completion-script", "bash"])
        #expect(bash.status == 0 && bash.stdout.contains("_roster()"), "\(bash.stderr)")
        let zsh = try await RosterProcess.run(["--generate-completion-script=zsh"])
        #expect(zsh.status == 0 && zsh.stdout.hasPrefix("#compdef roster"), "\(zsh.stderr)")
        let help = try await RosterProcess.run(["run", "--help"])
        #expect(help.status == 0 && help.stdout.contains("\nUSAGE: roster run "), "\(help.stdout)")
        let usage = try await RosterProcess.run(["run"])
        #expect(usage.status == 2 && usage.stderr.contains("Usage: roster run "), "\(usage.stderr)")
        let subcommands = try await RosterProcess.run(["--help"])
        #expect(subcommands.stdout.contains("See 'roster help <subcommand>' for detailed help."), "\(subcommands.stdout)")
    }

    /// A word that names no command is one line and exit 2, with what was probably meant:
    /// the command, `roster run` for a script, `roster docs` for a module; `roster help` of
    /// one too (it printed the whole help, exit 0). Real commands, and the words a default
    /// subcommand takes, are left to ArgumentParser.
    @Test func anUnknownCommandSaysWhatWasMeant() async throws {
        let cases: [([String], String)] = [
            (["rnu", "x.lua"], "roster: 'rnu' is not a roster command; did you mean 'run'?\n"),
            (["help", "resum"], "roster: 'resum' is not a roster command; did you mean 'resume'? (roster help resume)\n"),
            (["x.lua"], "roster: 'x.lua' is not a roster command; to run the script: roster run x.lua\n"),
            (["help", "encore"], "roster: 'encore' is not a roster command; for the Lua module: roster docs encore\n"),
            (["help", "encore.get_user"], "roster: 'encore.get_user' is not a roster command; for the Lua function: roster docs encore.get_user\n"),
            (["help", "print"], "roster: 'print' is not a roster command; for the Lua function: roster docs print\n"),
            (["parallel"], "roster: 'parallel' is not a roster command; for the Lua module: roster docs parallel\n"),
            (["plugin", "lst"], "roster: 'lst' is not a roster plugin command; did you mean 'list'?\n"),
            (["plugin", "--plugins", "p", "instal", "x.tar"], "roster: 'instal' is not a roster plugin command; did you mean 'install'?\n"),
            (["help", "plan", "shwo"], "roster: 'shwo' is not a roster plan command; did you mean 'show'? (roster help plan show)\n"),
            (["runs", "shw", "1"], "roster: 'shw' is not a roster runs command; did you mean 'show'?\n"),
            (["zzzz"], "roster: 'zzzz' is not a roster command; roster --help lists them\n"),
        ]
        for (arguments, expected) in cases {
            let result = try await RosterProcess.run(arguments)
            #expect(result.status == 2 && result.stderr == expected && result.stdout.isEmpty, "\(arguments): \(result.stderr)")
        }
        for arguments in [["help"], ["help", "help"], ["help", "plan", "show"], ["plan", "show", "--help"], ["docs", "encore"]] {
            let result = try await RosterProcess.run(arguments)
            #expect(result.status == 0 && !result.stdout.isEmpty && result.stderr.isEmpty, "\(arguments): \(result.stderr)")
        }
        // `runs` lists by default: a run's id there is meant for `show`; another word is the list's to refuse.
        let runs = try await RosterProcess.run(["runs", "5"])
        #expect(runs.status == 2 && runs.stderr == "roster: '5' is not a roster runs command; to show it: roster runs show 5\n", "\(runs.stderr)")
        let word = try await RosterProcess.run(["runs", "everything"])
        #expect(word.status == 2 && word.stderr.contains("Unexpected argument 'everything'"), "\(word.stderr)")
    }

    /// The harness itself: a shell a test starts sees its children end (it is started with
    /// SIGCHLD unblocked, whichever pool thread starts it).
    @Test func aShellStartedByATestSeesItsChildrenEnd() async throws {
        for _ in 0..<8 {
            let result = try await RosterProcess.run(["-c", "sleep 0.02 & wait $!; echo waited"], executable: URL(fileURLWithPath: "/bin/sh"), limit: 10)
            #expect(result.stdout == "waited\n" && !result.signaled, "the shell was killed after 10 s, waiting: \(result)")
        }
    }

    @Test func anArgumentThatIsNotUTF8IsRefused() async throws {
        let folder = try RosterProcess.scriptFolder(["script.lua": "print(args.name)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        // Process takes Strings: the shell passes the raw byte 0xFF.
        let result = try await RosterProcess.run(
            ["-c", #"exec "$0" run script.lua --arg "name=$(printf 'Ren\351e')""#, RosterProcess.binary.path],
            executable: URL(fileURLWithPath: "/bin/sh"), in: folder)
        #expect(result.status == 2)
        #expect(result.stderr == "roster: argument 4 (after --arg) is not valid UTF-8; give text in UTF-8\n", "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func anInputLargerThanTheMemoryLimitIsRefusedUpFront() async throws {
        let folder = try RosterProcess.scriptFolder(["script.lua": "print(#inputs[1])"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let big = folder.appendingPathComponent("big.csv")
        #expect(FileManager.default.createFile(atPath: big.path, contents: Data(count: 3 << 20)))
        let refused = try await RosterProcess.run(["run", "script.lua", "--input", "big.csv", "--memory-limit", "2"], in: folder)
        #expect(refused.status == 2)
        #expect(refused.diagnostics == "roster: --input 'big.csv' is 3 MB, more than the script's --memory-limit of 2 MB; raise --memory-limit or split the file\n")
        let read = try await RosterProcess.run(["run", "script.lua", "--input", "big.csv", "--memory-limit", "16"], in: folder)
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout == "\(3 << 20)\n")
    }

    /// A pipe reads as a file: `… | roster run /dev/stdin`, `--each <(grep ok rows.csv)`.
    /// A pipe says no size up front, so one past the memory limit is cut off as it is read.
    @Test func aScriptARowFileOrAnInputFromAPipeIsRead() async throws {
        let folder = try RosterProcess.scriptFolder(["script.lua": "print(row and row.id or #inputs[1])"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = try await RosterProcess.run(["run", "/dev/stdin"], in: folder, input: "print('piped script')")
        #expect(script.status == 0, "\(script.stderr)")
        #expect(script.stdout == "piped script\n")
        let dash = try await RosterProcess.run(["run", "-"], in: folder)
        #expect(dash.status == 2)
        #expect(dash.diagnostics == "roster: cannot read script '-': no such file (to read stdin, name /dev/stdin)\n")
        let rows = try await RosterProcess.run(["run", "script.lua", "--each", "/dev/stdin"], in: folder, input: "id\n7\n8\n")
        #expect(rows.status == 0, "\(rows.stderr)")
        // Rows run side by side: each printed its id, in whichever order they ended.
        let lines = Set(rows.stdout.split(separator: "\n").map(String.init))
        #expect(lines.isSuperset(of: ["7", "8", "row 2 7: ok, 0 changes", "row 3 8: ok, 0 changes"]), "\(rows.stdout)")
        let input = try await RosterProcess.run(["run", "script.lua", "--input", "/dev/stdin"], in: folder, input: "a,b\n1,2\n")
        #expect(input.status == 0, "\(input.stderr)")
        #expect(input.stdout == "8\n")
        let big = try await RosterProcess.run(["run", "script.lua", "--input", "/dev/stdin", "--memory-limit", "2"], in: folder,
                                              input: String(repeating: "x", count: 3 << 20))
        #expect(big.status == 2)
        #expect(big.diagnostics == "roster: --input '/dev/stdin' holds more than the script's --memory-limit of 2 MB; raise --memory-limit or split the file\n")
    }

    /// A plan or failed rows that could not be written once the work is done are refused
    /// before it starts: a long dry run is not wasted, a real run's failed rows not lost.
    @Test func anOutputFileThatCannotBeWrittenIsRefusedBeforeTheRun() async throws {
        let folder = try RosterProcess.scriptFolder(["script.lua": "print('ran')", "rows.csv": "id\n1\n", "file": "x"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [([String], String)] = [
            (["--dry-run", "--plan-out", "missing/plan.json"], "roster: cannot write --plan-out 'missing/plan.json': no such folder missing; nothing was run\n"),
            (["--each", "rows.csv", "--failed-rows", "."], "roster: cannot write --failed-rows '.': it is a folder, not a file; nothing was run\n"),
            (["--each", "rows.csv", "--failed-rows", "file/failed.csv"], "roster: cannot write --failed-rows 'file/failed.csv': file is a file, not a folder; nothing was run\n"),
        ]
        for (options, message) in cases {
            let result = try await RosterProcess.run(["run", "script.lua"] + options, in: folder)
            #expect(result.status == 2, "\(options)")
            #expect(result.stdout.isEmpty, "\(options): \(result.stdout)")
            #expect(result.diagnostics == message)
        }
        let resumed = try await RosterProcess.run(["resume", "1", "--failed-rows", "."], in: folder)
        #expect(resumed.status == 2 && resumed.diagnostics.hasPrefix("roster: cannot write --failed-rows '.'"), "\(resumed.stderr)")
    }

    /// An output file is never one the work reads: `--failed-rows rows.csv` wrote the failed
    /// rows over the CSV itself, and `--plan-out script.lua` the plan over the script.
    /// Refused before the work starts, whatever path names the file, with every file as it was.
    @Test func anOutputFileIsNeverOneTheWorkReads() async throws {
        let script = "print(row and row.id or 'ran')"
        let folder = try RosterProcess.scriptFolder(["script.lua": script, "rows.csv": "id\n1\n", "in.txt": "x", "conf.toml": "# kept\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("link.csv").path, withDestinationPath: "rows.csv")
        let environment = JournalTests.journal(folder)
        let refusals: [([String], String)] = [
            (["run", "script.lua", "--each", "rows.csv", "--failed-rows", "rows.csv"], "--failed-rows 'rows.csv' is the --each CSV"),
            (["run", "script.lua", "--each", "rows.csv", "--failed-rows", "./link.csv"], "--failed-rows './link.csv' is the --each CSV"),
            (["run", "script.lua", "--each", "rows.csv", "--failed-rows", "script.lua"], "--failed-rows 'script.lua' is the script"),
            (["run", "script.lua", "--dry-run", "--plan-out", "script.lua"], "--plan-out 'script.lua' is the script"),
            (["run", "script.lua", "--input", "in.txt", "--dry-run", "--plan-out", "in.txt"], "--plan-out 'in.txt' is --input 'in.txt'"),
            (["run", "script.lua", "--config", "conf.toml", "--dry-run", "--plan-out", "conf.toml"], "--plan-out 'conf.toml' is the configuration"),
            (["run", "script.lua", "--each", "rows.csv", "--dry-run", "--plan-out", "out", "--failed-rows", "out"], "--failed-rows 'out' is --plan-out's file"),
        ]
        func expectRefused(_ arguments: [String], _ message: String) async throws {
            let result = try await RosterProcess.run(arguments, in: folder, environment: environment)
            #expect(result.status == 2 && result.stdout.isEmpty, "\(arguments): \(result.stdout) \(result.stderr)")
            #expect(result.diagnostics == "roster: \(message): writing there would replace it; name another file; nothing was run\n", "\(arguments)")
        }
        for (arguments, message) in refusals { try await expectRefused(arguments, message) }
        // A plan and a run read their files again: apply and resume refuse them the same way.
        let planned = try await RosterProcess.run(["run", "script.lua", "--each", "rows.csv", "--dry-run", "--plan-out", "plan.json"], in: folder, environment: environment)
        #expect(planned.status == 0, "\(planned.stderr)")
        try await expectRefused(["apply", "plan.json", "--yes", "--failed-rows", "plan.json"], "--failed-rows 'plan.json' is the plan")
        try await expectRefused(["apply", "plan.json", "--yes", "--failed-rows", "rows.csv"], "--failed-rows 'rows.csv' is the --each CSV")
        try await expectRefused(["resume", "1", "--failed-rows", "rows.csv"], "--failed-rows 'rows.csv' is the --each CSV")
        // The journal (and SQLite's files beside it) holds every run's record.
        let journal = "state/roster/journal.sqlite"
        try await expectRefused(["run", "script.lua", "--each", "rows.csv", "--failed-rows", journal], "--failed-rows '\(journal)' is the journal")
        try await expectRefused(["run", "script.lua", "--dry-run", "--plan-out", "j.sqlite-wal", "--journal", "j.sqlite"], "--plan-out 'j.sqlite-wal' is the journal")
        try await expectRefused(["apply", "plan.json", "--yes", "--failed-rows", journal], "--failed-rows '\(journal)' is the journal")
        try await expectRefused(["resume", "1", "--failed-rows", "./" + journal], "--failed-rows './\(journal)' is the journal")
        let runs = try await JournalTests.runs(in: folder)
        #expect(runs.count == 1, "\(runs)")
        for (name, text) in [("script.lua", script), ("rows.csv", "id\n1\n"), ("in.txt", "x"), ("conf.toml", "# kept\n")] {
            #expect(try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) == text, "\(name) was written over")
        }
    }

    /// Reading a journal that was never made creates none: each command answers as for an
    /// empty journal, and no file is left behind.
    @Test func readingAJournalThatIsNotThereMakesNone() async throws {
        let folder = try RosterProcess.scriptFolder(["x.lua": ""])
        defer { try? FileManager.default.removeItem(at: folder) }
        let journal = folder.appendingPathComponent("state/roster/journal.sqlite").path
        let answers: [([String], Int32, String, String)] = [
            (["runs"], 0, "no runs journaled in \(journal)\n", ""),
            (["runs", "--json"], 0, "[\n\n]\n", ""),
            (["runs", "show", "3"], 2, "", "roster: no run 3 in \(journal) (roster runs lists them)\n"),
            (["resume", "3"], 2, "", "roster: no run 3 in \(journal) (roster runs lists them)\n"),
            (["undo", "3", "--yes"], 2, "", "roster: no run 3 in \(journal) (roster runs lists them)\n"),
            (["cancel", "3"], 2, "", "roster: no run 3 in \(journal) (roster runs lists them)\n"),
            (["audit"], 0, "", ""),
            (["audit", "--format", "csv"], 0, CSVOutput.header + "\n", ""),
        ]
        for (arguments, status, output, diagnostics) in answers {
            let result = try await RosterProcess.run(arguments, in: folder, environment: JournalTests.journal(folder))
            #expect(result.status == status && result.stdout == output && result.diagnostics == diagnostics, "\(arguments): \(result.stdout) \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: journal))
    }

    /// A negative run id is named as one, not as a missing argument (ArgumentParser reads
    /// `-1` as an option).
    @Test func aNegativeRunIdIsNamed() async throws {
        let folder = try RosterProcess.scriptFolder(["x.lua": ""])
        defer { try? FileManager.default.removeItem(at: folder) }
        for arguments in [["runs", "show", "-1"], ["resume", "-12"], ["undo", "-3", "--yes"], ["cancel", "-1"]] {
            let result = try await RosterProcess.run(arguments, in: folder, environment: JournalTests.journal(folder))
            #expect(result.status == 2 && result.stdout.isEmpty, "\(arguments): \(result.stdout)")
            #expect(result.diagnostics == "roster: \(arguments[arguments[0] == "runs" ? 2 : 1]) is not a run's id: ids are positive numbers (roster runs lists them)\n",
                    "\(arguments): \(result.stderr)")
        }
    }

    /// A file that never ends (`/dev/zero`, a stream piped in by mistake) is read up to what
    /// it is for, then refused in one line: each of these read until the machine's memory
    /// was gone (24 GB here) and the kernel killed the process.
    @Test func aFileThatNeverEndsIsRefusedAtItsLimit() async throws {
        let folder = try RosterProcess.scriptFolder(["s.lua": "print(1)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [([String], String)] = [
            (["run", "/dev/zero"], "roster: cannot read script '/dev/zero': it holds more than 64 MB; a script is Lua source; data it reads belongs in --input or --each"),
            (["run", "s.lua", "--each", "/dev/zero"], "roster: cannot read --each '/dev/zero': it holds more than 512 MB; split it into several CSVs, a run each"),
            (["run", "s.lua", "--input", "/dev/zero", "--memory-limit", "8"], "roster: --input '/dev/zero' holds more than the script's --memory-limit of 8 MB; raise --memory-limit or split the file"),
            (["submit", "s.lua", "--input", "/dev/zero", "--memory-limit", "8"],
             "roster: cannot read --input '/dev/zero': it holds more than 8 MB; the script holds its inputs within --memory-limit (8 MB); raise it or split the file"),
            (["apply", "/dev/zero"], "roster: cannot read the plan '/dev/zero': it holds more than 512 MB"),
            (["run", "s.lua", "--config", "/dev/zero"],
             "roster: /dev/zero: cannot read the configuration file (it holds more than 16 MB); a configuration file is a short text file: check the path"),
        ]
        for (arguments, message) in cases {
            let result = try await RosterProcess.run(arguments, in: folder, environment: JournalTests.journal(folder))
            #expect(result.status == 2 && result.stdout.isEmpty, "\(arguments): \(result.stdout)")
            #expect(result.diagnostics == message + "\n", "\(arguments): \(result.stderr)")
        }
    }

    /// One-character names are names: `roster run a` and `--failed-rows x` trapped in
    /// Foundation, taking the folder of a one-character path.
    @Test func oneCharacterFileNamesWork() async throws {
        let folder = try RosterProcess.scriptFolder(["a": "print(row and row.id or 'ran')", "r": "id\n1\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = JournalTests.journal(folder)
        let ran = try await RosterProcess.run(["run", "a"], in: folder, environment: environment)
        #expect(ran.status == 0 && ran.stdout == "ran\n", "\(ran.stderr)")
        let rows = try await RosterProcess.run(["run", "a", "--each", "r", "--failed-rows", "x"], in: folder, environment: environment)
        #expect(rows.status == 0 && rows.diagnostics.contains("roster: wrote 0 failed rows to x"), "\(rows.stderr)")
        let planned = try await RosterProcess.run(["run", "a", "--dry-run", "--plan-out", "p"], in: folder, environment: environment)
        #expect(planned.status == 0 && FileManager.default.fileExists(atPath: folder.appendingPathComponent("p").path), "\(planned.stderr)")
        let queued = try await RosterProcess.run(["submit", "a"], in: folder, environment: environment)
        #expect(queued.status == 0, "\(queued.stderr)")
    }

    /// A journal address with a port past 65535 is refused in one line before any connection.
    @Test func aJournalPortPastItsRangeIsRefused() async throws {
        let folder = try RosterProcess.scriptFolder(["script.lua": "print('ran')"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let refused = try await RosterProcess.run(["run", "script.lua", "--journal", "postgres://roster@127.0.0.1:99999/roster"], in: folder)
        #expect(refused.status == 2 && refused.stdout.isEmpty, "\(refused.stdout)")
        #expect(refused.diagnostics == "roster: 'postgres://roster@127.0.0.1:99999/roster' has port 99999, which is not from 1 to 65535: write postgres://USER@HOST:PORT/DATABASE\n",
                "\(refused.stderr)")
        // An IPv6 address, bracketed as a URL writes it, is connected to, not looked up as a
        // host name (nothing listens on port 1: refused, or unreachable without IPv6).
        let six = try await RosterProcess.run(["run", "script.lua", "--journal", "postgres://roster@[::1]:1/roster"], in: folder)
        #expect(six.status == 2 && six.diagnostics.hasPrefix("roster: cannot reach the journal postgres://roster@[::1]:1/roster: could not connect")
                && !six.diagnostics.contains("did not resolve"), "\(six.stderr)")
    }

    /// A roster.toml that cannot be read is one line and exit 2 for the commands that read the
    /// journal's place from it, not a silent turn to the user's own journal (where a submitted
    /// run would wait for workers that never look); `--journal` goes around it.
    @Test func aBrokenConfigurationIsNotPassedOverForAnotherJournal() async throws {
        let folder = try RosterProcess.scriptFolder(["script.lua": "print('ran')", "roster.toml": "journal = \"shared.sqlite\"\n[tenants.acme\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = JournalTests.journal(folder)
        for arguments in [["runs"], ["submit", "script.lua"], ["cancel", "1"], ["audit"]] {
            let result = try await RosterProcess.run(arguments, in: folder, environment: environment)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(arguments): \(result.stdout)")
            #expect(result.diagnostics.hasPrefix("roster: \(folder.path)/roster.toml:2: TOML syntax error: ")
                    && result.diagnostics.hasSuffix(" (the journal is named there; --journal PATH|URL names it instead)\n"), "\(arguments): \(result.stderr)")
        }
        let named = try await RosterProcess.run(["runs", "--journal", "named.sqlite"], in: folder, environment: environment)
        #expect(named.status == 0 && named.stdout.hasPrefix("no runs journaled in "), "\(named.stderr)")
    }

    /// `roster run script.lua | head -1`: output to a reader that has gone ends the writing,
    /// not the process with a crash report; the script's `print` (a plain run) and the
    /// report (`--json`) alike.
    @Test(arguments: [[], ["--json"]])
    func outputToAClosedPipeIsNotACrash(options: [String]) async throws {
        let folder = try RosterProcess.scriptFolder(["script.lua": "for i = 1, 2000 do print(('x'):rep(100)) end"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let gone = try ChildProcess.pipe(), errors = try ChildProcess.pipe()
        close(gone.read) // the reader has gone before the first line
        let ended = Locked<ChildProcess.Ending?>(nil)
        _ = try RosterProcess.start(RosterProcess.binary, ["run", "script.lua"] + options, in: folder, environment: [:], input: nil,
                                    output: gone.write, error: errors.write) { ended.set($0) }
        let stderr = await PipeReader(FileHandle(fileDescriptor: errors.read, closeOnDealloc: true)).text(grace: 60)
        try await Poll.until { ended.value != nil }
        #expect(ended.value == .exited(0), "\(stderr)")
        #expect(!stderr.contains("crashed") && !stderr.contains("Fatal error"), "\(stderr)")
    }
}
