/// DocsCommand.swift: `roster docs` and `roster stubs`, from the same declarations as `help`.
import ArgumentParser
import Bindings
import Engine
import Foundation
import LuaHost

/// The modules documented on the command line.
enum DocumentedModules {
    static var all: [LuaModule] { VendorRegistry.standard.documentedModules + [CSV.module] + ScriptGlobals.modules }
}

/// Prints the documentation of a module or function.
struct DocsCommand: ParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "docs",
        abstract: "Show the documentation of the Lua modules (as help() does in scripts).")

    @Argument(help: ArgumentHelp("A module (encore) or a function (encore.get_user); nothing for the overview.", valueName: "MODULE[.FUNCTION]"))
    var topic: String?

    func run() throws {
        CommandOutput.isTheResult()
        let modules = DocumentedModules.all
        guard let text = Documentation.text(topic: topic, in: modules) else {
            Diagnostics.error("roster: " + Documentation.notFound(topic ?? "", in: modules, otherwise: "Roster's modules: " + modules.map(\.name).joined(separator: ", ")))
            throw ExitCode(ExitStatus.usage)
        }
        print(text)
    }
}

/// Writes LuaLS definition files.
struct StubsCommand: ParsableCommand, LeafCommand {
    static let leafConfiguration = CommandConfiguration(
        commandName: "stubs",
        abstract: "Write LuaLS ---@meta files so an editor completes and checks Roster calls.",
        discussion: "Point your editor's Lua language server at DIR (workspace.library in .luarc.json).")

    @Option(help: ArgumentHelp("The folder to write into (created if missing).", valueName: "DIR"))
    var out: String

    func run() throws {
        let folder = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let files = Stubs.files(for: DocumentedModules.all)
            for file in files {
                try Data(file.text.utf8).write(to: folder.appendingPathComponent(file.name))
            }
            Diagnostics.error("roster: wrote \(files.count) files to \(out): " + files.map(\.name).joined(separator: ", "))
        } catch {
            // Asked about a file in the folder, so that the folder itself is what gets named
            // when it is missing or is a file.
            let aStub = folder.appendingPathComponent("roster.lua").path
            Diagnostics.error("roster: cannot write stubs to '\(out)': \(UserFile.whyUnwritable(aStub, after: error))")
            throw ExitCode(ExitStatus.usage)
        }
    }
}
