/// Terminal.swift: the person at the terminal — whether there is one, and their answer
/// before something that cannot be taken back.
import ArgumentParser
import Foundation

/// The controlling terminal, for confirmations.
enum Terminal {
    /// Whether stdin and stderr are a terminal (a person can answer).
    static var isInteractive: Bool { isatty(0) == 1 && isatty(2) == 1 }

    /// Asks on stderr; true only for y or yes.
    static func ask(_ question: String) -> Bool {
        ProcessStopSignals.disarm() // Ctrl-C at a question ends the process, not held for a run
        FileHandle.standardError.write(text: question)
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// Goes on with `yes`, or once the person at the terminal answers y to `question`.
    /// Without a terminal it stops saying `noTerminal` (exit 2); answered no, `declined` (exit 1).
    static func confirm(unless yes: Bool, _ question: String, noTerminal: String, declined: String) throws {
        if yes { return }
        guard isInteractive else {
            Diagnostics.error("roster: " + noTerminal)
            throw ExitCode(ExitStatus.usage)
        }
        guard ask(question) else {
            Diagnostics.error("roster: " + declined)
            throw ExitCode(ExitStatus.scriptError)
        }
    }
}
