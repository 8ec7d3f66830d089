/// ConfigurationLocation.swift: which `roster.toml` a command uses.
import Foundation

/// Finds the configuration: `--config FILE`, else `./roster.toml`, else
/// `$XDG_CONFIG_HOME/roster/roster.toml` (`~/.config/roster/roster.toml`). None found
/// means the built-in emulator.
public enum ConfigurationLocation {
    /// The path to read, or nil when there is none. A `--config` file that does not exist is
    /// an error, never a silent fallback to the emulator.
    public static func find(explicit: String?, currentDirectory: String = FileManager.default.currentDirectoryPath,
                            environment: [String: String]? = nil) throws(ConfigurationError) -> String? {
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw ConfigurationError(file: explicit, problem: "no such configuration file (from --config)",
                                         fix: "check the path, or run `roster emulator --write-config \(explicit)` to write one for the emulator")
            }
            return explicit
        }
        for candidate in candidates(currentDirectory: currentDirectory, environment: environment)
        where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        return nil
    }

    /// The implicit places, in order, from `environment` (nil: this process's, read
    /// variable by variable rather than through `ProcessInfo.environment`'s whole dictionary).
    public static func candidates(currentDirectory: String, environment: [String: String]?) -> [String] {
        func variable(_ name: String) -> String? {
            guard let environment else { return getenv(name).map { String(cString: $0) } }
            return environment[name]
        }
        // Joined as text: this runs at every start, and URL's path handling costs more
        // than the few file checks it leads to.
        func path(_ folder: String, _ name: String) -> String { folder.hasSuffix("/") ? folder + name : folder + "/" + name }
        var places = [path(currentDirectory, "roster.toml")]
        if let xdg = variable("XDG_CONFIG_HOME"), xdg.hasPrefix("/") {
            places.append(path(xdg, "roster/roster.toml"))
        } else if let home = variable("HOME"), !home.isEmpty {
            places.append(path(home, ".config/roster/roster.toml"))
        }
        return places
    }
}
