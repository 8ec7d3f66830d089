/// OpenStatementScannerTests.swift: what the REPL's scanner counts as open, construct by
/// construct. It may only ever say "open" of text Lua would call unfinished (or wrong):
/// a statement it wrongly holds open would run late, joined to the next line.
@testable import RosterCLI
import Testing

@Suite struct OpenStatementScannerTests {
    /// Whether `lines`, scanned in turn, leave the statement certainly open.
    static func open(_ lines: String...) -> Bool {
        var scanner = OpenStatementScanner()
        for line in lines { scanner.scan(line) }
        return scanner.isCertainlyOpen
    }

    @Test func bracketsAndBlocksOpenAndClose() {
        #expect(Self.open("t = {"))
        #expect(!Self.open("t = {", "1, 2,", "}"))
        #expect(Self.open("f(a, {b = [1"))
        #expect(!Self.open("x = t[i][j] + (1)"))
        #expect(Self.open("function f(x)", "if x then"))
        #expect(Self.open("function f(x)", "if x then", "end"))
        #expect(!Self.open("function f(x)", "if x then return 1 elseif y then return 2 else return 3 end", "end"))
        #expect(!Self.open("for i = 1, 2 do", "while false do end", "end"))
        #expect(!Self.open("repeat", "local y = 1", "until y"))
        #expect(!Self.open("do local a = 1 end"))
        #expect(Self.open("local f = function()"))
    }

    @Test func wordsCountOnlyAsWholeKeywords() {
        #expect(!Self.open("local endpoint, functions, doing, iffy = 1, 2, 3, 4"))
        #expect(!Self.open("x = 0x1Fend0 or 1e5"), "a number swallows what follows it, as Lua's lexer does")
    }

    @Test func stringsAndCommentsHideWhatTheyHold() {
        #expect(!Self.open(#"x = "function do if { [ (" .. 'repeat'"#))
        #expect(!Self.open(#"x = "a \" { still the string" .. 'b \' ('"#))
        #expect(!Self.open("x = 1 -- function do {"))
        #expect(Self.open("x = [[", "function }"))
        #expect(!Self.open("x = [[", "function }", "]]"))
        #expect(Self.open("x = [==[", "]] ]=] still in it"))
        #expect(!Self.open("x = [==[", "]] ]=]", "]==]"))
        #expect(Self.open("--[[ a comment", "end end"))
        #expect(!Self.open("--[[ a comment", "end end ]] x = 1"))
        #expect(!Self.open("---[[ a line comment, not a long one", "x = 1"))
        #expect(!Self.open("t[ [[k]] ] = 1"))
        #expect(Self.open(#"x = "line \"#), "a string continued past the line's end")
        #expect(!Self.open(#"x = "line \"#, #"two" .. y"#))
    }

    /// What Lua itself reports (too many closers, a string cut by a line's end) is left to it.
    @Test func mistakesAreLeftToLua() {
        #expect(!Self.open("x = 1 end end"))
        #expect(!Self.open("t = {", #"x = "cut"#, "{"))
    }
}
