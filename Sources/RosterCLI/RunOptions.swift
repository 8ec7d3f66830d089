/// RunOptions.swift: the options every command that runs Lua shares: `--timeout` and
/// `--memory-limit` (`run`, `repl`, `plugin run`, `plugin test`), and `--arg` pairs.
import ArgumentParser
import LuaHost

/// `--arg KEY=VALUE`, as `run` and `plugin run` take it.
enum ArgumentPairs {
    /// The pairs as a table (a later KEY wins); a pair without `=` or without a key is a
    /// usage error.
    static func parse(_ pairs: [String]) throws -> [String: String] {
        var table: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--arg expects KEY=VALUE, got '\(pair)'")
            }
            table[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return table
    }
}

/// The limits a command's runs get.
struct LimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Wall-clock limit for a run, waiting on I/O included (the REPL: per statement; plugin tests: per pass over a test file).", valueName: "SEC"))
    var timeout: Double = 60

    @Option(name: .customLong("memory-limit"), help: ArgumentHelp("Memory a run may use (default 64 MB; the REPL's session: 256 MB).", valueName: "MB"))
    var memoryLimit: Int?

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else {
            throw ValidationError("--timeout must be more than 0 and at most 86400 seconds, got \(timeout)")
        }
        if let memoryLimit, !(1...65_536).contains(memoryLimit) {
            throw ValidationError("--memory-limit must be between 1 and 65536 MB, got \(memoryLimit)")
        }
    }

    /// The memory limit in MB, or the command's default.
    func memoryMegabytes(default megabytes: Int = 64) -> Int { memoryLimit ?? megabytes }

    func limits(defaultMemory megabytes: Int = 64) -> LuaLimits {
        LuaLimits(memory: memoryMegabytes(default: megabytes) << 20, timeout: .milliseconds(Int64((timeout * 1000).rounded())))
    }
}
