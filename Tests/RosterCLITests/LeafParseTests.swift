/// LeafParseTests.swift: a subcommand with none of its own (`roster run SCRIPT`) is parsed
/// with it as the root, which spares start-up ArgumentParser's walk down from `roster`; what
/// that parse gives must be exactly what the walk gives, and whatever it cannot take (an
/// error, a request for help, a subcommand with subcommands) is left to the walk.
import ArgumentParser
import Foundation
@testable import RosterCLI
import Testing

@Suite struct LeafParseTests {
    /// A command line for every leaf subcommand, with options of each kind it has.
    static let leafCommandLines: [[String]] = [
        ["run", "hello.lua"],
        ["run", "hello.lua", "--dry-run", "--yes", "--arg", "name=Ada", "--arg", "team=ops", "--input", "rows.csv", "--json"],
        ["run", "--each", "rows.csv", "--parallel", "8", "onboard.lua", "--timeout", "30"],
        ["run", "--", "-odd-name.lua"],
        ["run", "help"], // a script named help: `help` is a subcommand of `roster` only
        ["resume", "3"],
        ["submit", "onboard.lua", "--arg", "name=Ada"],
        ["cancel", "3", "--wait"],
        ["worker", "--concurrency", "2", "--name", "w1", "--exit-when-idle"],
        ["workers", "--json"],
        ["apply", "plan.json", "--yes"],
        ["undo", "4", "--dry-run"],
        ["audit", "--since", "2026-01-01", "--format", "csv"],
        ["repl", "--emulator"],
        ["emulator", "--port", "0", "--seed", "7"],
        ["docs", "encore.get_user"],
        ["stubs", "--out", "stubs"],
        ["bench", "--json", "--rounds", "2"],
    ]

    @Test(arguments: leafCommandLines)
    func aLeafIsParsedAsTheWalkFromRosterParsesIt(_ arguments: [String]) throws {
        let leaf = try #require(Roster.parsedAsLeaf(arguments), "\(arguments) was not parsed as a leaf")
        let walked = try Roster.parseAsRoot(arguments)
        #expect(type(of: leaf) == type(of: walked))
        // Every parsed property, as the parse left it.
        #expect(String(reflecting: leaf) == String(reflecting: walked), "\(arguments)")
    }

    /// Left to the walk from `roster`, whose messages, help and exit codes are ArgumentParser's.
    @Test(arguments: [
        ["run"], ["run", "--help"], ["run", "-h"], ["run", "hello.lua", "--version"], ["run", "a.lua", "b.lua"],
        ["run", "hello.lua", "--no-such-option"], ["run", "hello.lua", "--parallel", "4"],
        ["runs", "list"], ["plan", "show", "plan.json"], ["plugin", "list"], ["help", "run"], ["--version"], [],
    ] as [[String]])
    func whatALeafCannotTakeIsLeftToTheWalk(_ arguments: [String]) {
        #expect(Roster.parsedAsLeaf(arguments) == nil, "\(arguments)")
    }

    /// A leaf's configuration names `roster` as its super-command, which counts only where it
    /// is the root: its help, read through the walk, is the same either way.
    @Test func aLeafsHelpNamesItUnderRoster() {
        #expect(RunCommand.configuration._superCommandName == "roster")
        #expect(Roster.helpMessage(for: RunCommand.self).contains("USAGE: roster run [<options>] <script>"))
        #expect(RunCommand.helpMessage().contains("USAGE: roster run [<options>] <script>"))
    }
}
