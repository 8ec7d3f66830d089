/// LineEditorTests.swift: libedit, opened (not linked) when a terminal REPL starts.
import Testing
@testable import RosterCLI

@Suite struct LineEditorTests {
    /// Every function and variable the REPL uses resolves in the installed libedit: a name
    /// that did not would silently leave the REPL without editing, history and completion.
    @Test func libeditOpensWithEverythingTheREPLUses() throws {
        _ = try #require(EditLine.open(EditLine.library))
        #expect(EditLine.shared != nil)
    }

    @Test func aLibraryThatCannotBeOpenedIsNoLineEditor() {
        #expect(EditLine.open("libroster-no-such-library.so.0") == nil)
        #expect(EditLine.open("libc.so.6") == nil) // opens, but has no readline
    }
}
