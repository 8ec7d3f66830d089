/// Documentation.swift: help text, `roster docs` and LuaLS stubs, all from the declarations.
import LuaHost
import Vendors

/// Renders declarations for people (`help`, `roster docs`) and for editors (`roster stubs`).
public enum Documentation {
    /// `encore.get_user(id, options?) -> EncoreUser`
    public static func signature(_ function: LuaFunction, module: String?) -> String {
        let name = module.map { "\($0).\(function.name)" } ?? function.name
        let parameters = function.parameters.map { $0.variadic ? "..." : $0.name + ($0.optional ? "?" : "") }
        return "\(name)(\(parameters.joined(separator: ", ")))" + (function.result.map { " -> \($0.type)" } ?? "")
    }

    /// Everything about one function: signature, summary, effect, parameters, result.
    public static func text(_ function: LuaFunction, module: String?) -> String {
        var lines = [signature(function, module: module), "  \(function.summary)"]
        if module != nil { lines.append("  effect: \(function.effect.explained)") }
        lines += function.notes.map { "  \($0)" }
        for parameter in function.parameters {
            lines.append("  \(parameter.name)\(parameter.optional ? "?" : ""): \(parameter.typeText) - \(parameter.doc)")
            if case .shape(let shape)? = parameter.form { lines += fieldLines(shape) }
            if case .list(.shape(let shape))? = parameter.form { lines += fieldLines(shape) }
        }
        if let result = function.result {
            lines.append("  returns \(result.type): \(result.doc)")
            for shape in result.form?.namedShapes ?? [] where shape.name != nil {
                lines.append("  \(shape.name!) = \(shape.inlineText)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One line per field of a table argument: name, type, doc.
    static func fieldLines(_ shape: LuaShape) -> [String] {
        shape.fields.filter { !$0.readOnly }.map { "    .\($0.name)\($0.optional ? "?" : ""): \($0.type.typeText) - \($0.doc)" }
    }

    /// A module: its summary and one line per function.
    public static func text(_ module: LuaModule) -> String {
        let width = module.functions.map { signature($0, module: module.name).count }.max() ?? 0
        var lines = ["\(module.name): \(module.summary)"]
        for function in module.functions {
            let signature = signature(function, module: module.name)
            lines.append("  " + signature.padding(toLength: width, withPad: " ", startingAt: 0) + "  [\(function.effect.rawValue)] \(function.summary)")
        }
        return lines.joined(separator: "\n")
    }

    /// The overview: every module, and how to ask for more.
    public static func overview(_ modules: [LuaModule]) -> String {
        var lines = ["Modules (help(module) or help(module.function) for more):"]
        let width = modules.map(\.name.count).max() ?? 0
        for module in modules {
            lines.append("  " + module.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(module.summary)")
        }
        lines.append("Also: parallel.map(list, fn, {concurrency = n}), parallel.all({fn, ...}), args, inputs, csv.parse(text), help(x).")
        return lines.joined(separator: "\n")
    }

    /// The text for `roster docs TOPIC` or `help("TOPIC")`; nil when nothing matches.
    public static func text(topic: String?, in modules: [LuaModule]) -> String? {
        guard let topic, !topic.isEmpty else { return overview(modules) }
        let parts = topic.split(separator: ".", maxSplits: 1).map(String.init)
        guard let module = modules.first(where: { $0.name == parts[0] }) else {
            // Roster's own globals: print, require, help.
            return globalFunctions.first { $0.name == topic }.map { text($0, module: nil) }
        }
        guard parts.count == 2 else { return text(module) }
        return module.function(named: parts[1]).map { text($0, module: module.name) }
    }

    /// Roster's global functions, documented as the modules' are.
    static var globalFunctions: [LuaFunction] { ScriptGlobals.functions + [help] }

    /// Names close to `topic` (a typo, or a part of the name), for "did you mean": within as
    /// many edits as its length allows (`os` is near nothing), comparing a name without a
    /// module to the functions' own names (`get_usr`: `encore.get_user`), or holding it
    /// whole when it has three letters or more (`user`).
    public static func suggestions(for topic: String, in modules: [LuaModule]) -> [String] {
        let names = modules.flatMap { module in [module.name] + module.functions.map { "\(module.name).\($0.name)" } }
            + globalFunctions.map(\.name)
        let wanted = topic.lowercased()
        guard !wanted.isEmpty else { return [] }
        let dotted = wanted.contains(".")
        let close = NearNames.near(wanted, in: names, within: NearNames.limit(for: wanted)) { name in
            dotted ? Substring(name) : name.split(separator: ".").last ?? Substring(name)
        }
        let containing = wanted.count >= 3 ? names.filter { $0.contains(wanted) && !close.contains($0) } : []
        return Array((close + containing).prefix(5))
    }

    /// `no documentation for 'encore.nosuch'; encore has: …`: the names close to `topic`,
    /// else the functions of the module it names, else what a standard Lua name is
    /// (`string.format`, `io`), else `otherwise`.
    public static func notFound(_ topic: String, in modules: [LuaModule], otherwise: String) -> String {
        if let about = ScriptGlobals.about(topic) { return about + "; " + otherwise }
        let near = suggestions(for: topic, in: modules)
        if !near.isEmpty { return "no documentation for '\(topic)'; did you mean \(near.joined(separator: ", "))?" }
        if let module = modules.first(where: { topic.hasPrefix($0.name + ".") }) {
            return "no documentation for '\(topic)'; \(module.name) has: " + module.functions.map(\.name).joined(separator: ", ")
        }
        return "no documentation for '\(topic)'; " + otherwise
    }

    /// `help(x)`: prints the docs of a module, a declared function, a "module.function"
    /// name, or with no argument the overview.
    public static let help = LuaFunction(
        "help", "Prints the documentation of a module, a function, or a \"module.function\" name.",
        parameters: [LuaParameter("topic", .any, doc: "a module (encore), a function (encore.get_user), a name (\"encore.get_user\"), or nothing")]
    ) { call in
        let modules = call.installedModules.filter { !$0.functions.isEmpty }
        let output: String
        if let module = call.installedModule(at: 1) {
            output = Documentation.text(module)
        } else if let (name, function) = call.declaredFunction(at: 1) {
            let parts = name.split(separator: ".", maxSplits: 1)
            output = Documentation.text(function, module: parts.count == 2 ? String(parts[0]) : nil)
        } else if call.isNil(1) {
            output = overview(modules)
        } else if case .string(let topic) = try call.value(1) {
            guard let found = Documentation.text(topic: topic.text, in: modules) else {
                throw LuaError(notFound(topic.text, in: modules, otherwise: "try help()"))
            }
            output = found
        } else {
            throw LuaError("argument #1 (topic) is not a Roster module or function; try help()")
        }
        call.write(output + "\n")
        return .nil
    }
}
