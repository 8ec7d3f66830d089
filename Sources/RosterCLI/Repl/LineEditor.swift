/// LineEditor.swift: reading the REPL's lines — with libedit on a terminal (editing, history
/// saved across sessions, tab completion), or plainly from a pipe.
@preconcurrency import CEditLine
import Foundation
import Synchronization

/// Where the REPL's lines come from.
protocol ReplInput {
    /// The next line, or nil at the end (Ctrl-D, end of the pipe).
    func readLine(prompt: String) -> String?
    /// Remembers a finished entry (history).
    func remember(_ entry: String)
    /// Whether a person is typing (prompts, banner, Ctrl-C).
    var isInteractive: Bool { get }
}

/// Lines from a pipe: no prompt, no escape codes.
struct PipedInput: ReplInput {
    func readLine(prompt: String) -> String? { Swift.readLine(strippingNewline: true) }
    func remember(_ entry: String) {}
    var isInteractive: Bool { false }
}

/// Lines from a terminal through libedit's readline interface.
final class TerminalInput: ReplInput {
    let historyFile: String?
    static let historyLimit: Int32 = 1000

    /// Completes the word before the cursor; set while the REPL runs. libedit calls back
    /// through a C function pointer, which cannot capture, so it lives here.
    private static let completer = Mutex<(@Sendable (String) -> [String])?>(nil)

    init(historyFile: String?, complete: @escaping @Sendable (String) -> [String]) {
        self.historyFile = historyFile
        Self.completer.withLock { $0 = complete }
        rl_catch_signals = 0 // Ctrl-C is the REPL's: it stops the running statement
        rl_completion_append_character = 0
        rl_attempted_completion_function = { text, _, _ in
            rl_attempted_completion_over = 1 // never fall back to file names
            guard let text else { return nil }
            let matches = TerminalInput.completer.withLock { $0 }?(String(cString: text)) ?? []
            return TerminalInput.matchList(matches)
        }
        stifle_history(Self.historyLimit)
        if let historyFile {
            try? FileManager.default.createDirectory(atPath: (historyFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
            _ = read_history(historyFile)
        }
    }

    /// libedit's match list: the common prefix, each match, NULL; all malloc'd (libedit frees).
    static func matchList(_ matches: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard let first = matches.first else { return nil }
        var common = first
        for match in matches.dropFirst() {
            while !match.hasPrefix(common) { common.removeLast() }
        }
        let entries = matches.count == 1 ? [first] : [common] + matches
        // libedit frees the list and its strings with free(): malloc them.
        let size = MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (entries.count + 1)
        guard let list = malloc(size)?.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: entries.count + 1) else { return nil }
        for (index, entry) in entries.enumerated() { list[index] = strdup(entry) }
        list[entries.count] = nil
        return list
    }

    func readLine(prompt: String) -> String? {
        guard let line = readline(prompt) else { return nil }
        defer { free(line) }
        return String(cString: line)
    }

    func remember(_ entry: String) {
        guard !entry.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        add_history(entry)
        if let historyFile {
            _ = write_history(historyFile)
            chmod(historyFile, 0o600)
        }
    }

    var isInteractive: Bool { true }

    /// `$XDG_STATE_HOME/roster/history`, else `~/.local/state/roster/history`.
    static func defaultHistoryFile(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/roster/history" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/state/roster/history"
    }
}
