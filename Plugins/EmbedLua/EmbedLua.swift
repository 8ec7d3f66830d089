// EmbedLua: a build-tool plugin that compiles each `Type.member.lua` file of a target into
// `extension Type { static let member: String }`, so Lua the host runs (the REPL's printer,
// the plugin test prelude, the stubs' globals) is written and reviewed as Lua, yet is part
// of the binary (no resource bundle to find at run time).
import Foundation
import PackagePlugin

@main
struct EmbedLua: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let tool = try context.tool(named: "EmbedLuaTool")
        return target.sourceFiles(withSuffix: "lua").map { file in
            let name = file.url.deletingPathExtension().lastPathComponent
            let output = context.pluginWorkDirectoryURL.appendingPathComponent(name + ".lua.swift")
            return .buildCommand(
                displayName: "Embedding \(file.url.lastPathComponent)",
                executable: tool.url,
                arguments: [file.url.path, output.path],
                inputFiles: [file.url],
                outputFiles: [output])
        }
    }
}
