/// LineEditor.swift: reading the REPL's lines — with libedit on a terminal (editing, history
/// saved across sessions, tab completion), or plainly from a pipe.
import Engine
import Foundation
import Synchronization
import Vendors

/// Where the REPL's lines come from.
protocol ReplInput {
    /// The next line, or nil at the end (Ctrl-D, end of the pipe).
    func readLine(prompt: String) -> String?
    /// Remembers a finished entry (history), with every secret `hiding` knows replaced, in it
    /// and in the entries remembered before it (a password assigned to a variable is known
    /// for one only once a call passes it).
    func remember(_ entry: String, hiding: SecretScrubber)
    /// Whether a person is typing (prompts, banner, Ctrl-C).
    var isInteractive: Bool { get }
    /// Why the input was given up before its end (a line past its limit), once it was.
    var refusal: String? { get }
}

extension ReplInput {
    var refusal: String? { nil }
}

/// Lines from a pipe: no prompt, no escape codes. A line is read up to `UserFile.Limit.script`
/// (a statement is no larger than a script), then refused: `cat /dev/zero | roster repl`
/// read one endless line until the machine's memory was gone.
final class PipedInput: ReplInput {
    private let descriptor: Int32
    private let limit: Int
    /// Bytes read: `used` of them, and those from `start` not yet handed out as lines.
    private var buffer = Data(count: 1 << 16)
    private var used = 0
    private var start = 0
    private var ended = false
    private var lines = 0
    private(set) var refusal: String?

    init(descriptor: Int32 = STDIN_FILENO, limit: Int = UserFile.Limit.script) {
        self.descriptor = descriptor
        self.limit = limit
    }

    func readLine(prompt: String) -> String? {
        guard refusal == nil else { return nil }
        var searched = start
        while true {
            if let newline = newline(from: searched) {
                let end = newline > start && buffer[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
                return line(to: end, next: newline + 1)
            }
            if used - start > limit {
                refusal = "line \(lines + 1) of the input holds more than \(limit >> 20) MB, more than a script may; nothing after it was read"
                return nil
            }
            if ended { return start < used ? line(to: used, next: used) : nil }
            // Searched already: all that is held past `start` (which `fill` may move).
            let held = used - start
            fill()
            searched = start + held
        }
    }

    private func newline(from offset: Int) -> Int? {
        buffer.withUnsafeBytes { bytes in
            guard offset < used, let found = memchr(bytes.baseAddress! + offset, Int32(UInt8(ascii: "\n")), used - offset) else { return nil }
            return bytes.baseAddress!.distance(to: UnsafeRawPointer(found))
        }
    }

    private func line(to end: Int, next: Int) -> String {
        defer { start = next }
        lines += 1
        return buffer.withUnsafeBytes { bytes in String(decoding: bytes[start..<end], as: UTF8.self) }
    }

    /// Reads what comes next into the free tail (made room for first); at the input's end, or
    /// a read error, `ended`.
    private func fill() {
        if start > 0 {
            // What was handed out goes: the buffer holds at most the line being read.
            buffer.withUnsafeMutableBytes { bytes in _ = memmove(bytes.baseAddress!, bytes.baseAddress! + start, used - start) }
            used -= start
            start = 0
        }
        // Room for one block past the limit at most: enough to see a line is over it.
        if used == buffer.count { buffer.count = min(buffer.count * 2, limit + (1 << 16)) }
        var count: Int
        repeat {
            count = buffer.withUnsafeMutableBytes { bytes in read(descriptor, bytes.baseAddress! + used, bytes.count - used) }
        } while count < 0 && errno == EINTR
        if count <= 0 { ended = true } else { used += count }
    }

    func remember(_ entry: String, hiding: SecretScrubber) {}
    var isInteractive: Bool { false }
}

/// libedit's readline interface, opened when a terminal REPL starts. It is not linked: every
/// other command would then load it and the three libraries it needs at each start (about
/// 0.35 MB more at peak, and their relocations).
struct EditLine: @unchecked Sendable {
    typealias Completion = @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

    let readline: @convention(c) (UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>?
    let addHistory: @convention(c) (UnsafePointer<CChar>?) -> Int32
    let readHistory: @convention(c) (UnsafePointer<CChar>?) -> Int32
    let writeHistory: @convention(c) (UnsafePointer<CChar>?) -> Int32
    let stifleHistory: @convention(c) (Int32) -> Void
    let clearHistory: @convention(c) () -> Void
    /// `HIST_ENTRY *`, whose first field is the entry's text.
    let historyGet: @convention(c) (Int32) -> UnsafeMutablePointer<UnsafePointer<CChar>?>?
    // readline.h's variables.
    let historyBase: UnsafeMutablePointer<Int32>
    let historyLength: UnsafeMutablePointer<Int32>
    let catchSignals: UnsafeMutablePointer<Int32>
    let completionAppendCharacter: UnsafeMutablePointer<Int32>
    let attemptedCompletionOver: UnsafeMutablePointer<Int32>
    let attemptedCompletionFunction: UnsafeMutablePointer<Completion?>

    static let library = "libedit.so.2"

    /// libedit, once per process; nil when it cannot be loaded (the REPL then reads plain lines).
    static let shared = open(library)

    /// The interface from the library at `path`, or nil when it cannot be loaded or lacks
    /// one of the functions and variables the REPL uses.
    static func open(_ path: String) -> EditLine? {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { return nil }
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        func variable<T>(_ name: String, as type: T.Type) -> UnsafeMutablePointer<T>? {
            dlsym(handle, name)?.assumingMemoryBound(to: type)
        }
        guard let readline = symbol("readline", as: (@convention(c) (UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>?).self),
              let addHistory = symbol("add_history", as: (@convention(c) (UnsafePointer<CChar>?) -> Int32).self),
              let readHistory = symbol("read_history", as: (@convention(c) (UnsafePointer<CChar>?) -> Int32).self),
              let writeHistory = symbol("write_history", as: (@convention(c) (UnsafePointer<CChar>?) -> Int32).self),
              let stifleHistory = symbol("stifle_history", as: (@convention(c) (Int32) -> Void).self),
              let clearHistory = symbol("clear_history", as: (@convention(c) () -> Void).self),
              let historyGet = symbol("history_get", as: (@convention(c) (Int32) -> UnsafeMutablePointer<UnsafePointer<CChar>?>?).self),
              let historyBase = variable("history_base", as: Int32.self),
              let historyLength = variable("history_length", as: Int32.self),
              let catchSignals = variable("rl_catch_signals", as: Int32.self),
              let completionAppendCharacter = variable("rl_completion_append_character", as: Int32.self),
              let attemptedCompletionOver = variable("rl_attempted_completion_over", as: Int32.self),
              let attemptedCompletionFunction = variable("rl_attempted_completion_function", as: Completion?.self)
        else { return nil }
        return EditLine(readline: readline, addHistory: addHistory, readHistory: readHistory, writeHistory: writeHistory,
                        stifleHistory: stifleHistory, clearHistory: clearHistory, historyGet: historyGet, historyBase: historyBase,
                        historyLength: historyLength, catchSignals: catchSignals, completionAppendCharacter: completionAppendCharacter,
                        attemptedCompletionOver: attemptedCompletionOver, attemptedCompletionFunction: attemptedCompletionFunction)
    }
}

/// Lines from a terminal through libedit's readline interface (or, without libedit, plain
/// lines after a prompt).
final class TerminalInput: ReplInput {
    let historyFile: String?
    private let editLine: EditLine?
    static let historyLimit: Int32 = 1000

    /// Completes the word before the cursor; set while the REPL runs. libedit calls back
    /// through a C function pointer, which cannot capture, so it lives here.
    private static let completer = Mutex<(@Sendable (String) -> [String])?>(nil)

    init(historyFile: String?, editLine: EditLine? = .shared, complete: @escaping @Sendable (String) -> [String]) {
        self.historyFile = historyFile
        self.editLine = editLine
        guard let editLine else {
            Diagnostics.error("roster: \(EditLine.library) could not be loaded: no line editing, history or completion (install libedit2)")
            return
        }
        Self.completer.withLock { $0 = complete }
        editLine.catchSignals.pointee = 0 // Ctrl-C is the REPL's: it stops the running statement
        editLine.completionAppendCharacter.pointee = 0
        editLine.attemptedCompletionFunction.pointee = { text, _, _ in
            EditLine.shared?.attemptedCompletionOver.pointee = 1 // never fall back to file names
            guard let text else { return nil }
            let matches = TerminalInput.completer.withLock { $0 }?(String(cString: text)) ?? []
            return TerminalInput.matchList(matches)
        }
        editLine.stifleHistory(Self.historyLimit)
        if let historyFile {
            try? FileManager.default.createDirectory(atPath: UserFile.folder(of: historyFile), withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
            _ = editLine.readHistory(historyFile)
        }
        earlier = (0..<editLine.historyLength.pointee).compactMap { offset in
            editLine.historyGet(editLine.historyBase.pointee + offset)?.pointee.map { String(cString: $0) }
        }
    }

    /// The entries of earlier sessions (as read from the history file) and this session's as
    /// typed, oldest first: a secret first known later is hidden in all of them again.
    private var earlier: [String] = []
    private var typed: [String] = []
    /// The entries as last handed to libedit.
    private var shown: [String] = []

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
        guard let editLine else {
            FileHandle.standardOutput.write(text: prompt)
            return Swift.readLine(strippingNewline: true)
        }
        guard let line = editLine.readline(prompt) else { return nil }
        defer { free(line) }
        return String(cString: line)
    }

    func remember(_ entry: String, hiding secrets: SecretScrubber) {
        guard let editLine, !entry.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        typed.append(entry)
        let entries = (earlier + typed).suffix(Int(Self.historyLimit)).map(secrets.scrub)
        if entries.dropLast().elementsEqual(shown.suffix(entries.count - 1)) {
            _ = editLine.addHistory(entries.last!)
        } else {
            // A secret first known now stands in an entry libedit holds: all are given again.
            editLine.clearHistory()
            for entry in entries { _ = editLine.addHistory(entry) }
        }
        shown = Array(entries)
        if let historyFile {
            _ = editLine.writeHistory(historyFile)
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
