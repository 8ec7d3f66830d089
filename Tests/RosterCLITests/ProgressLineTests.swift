/// ProgressLineTests.swift: what the progress line says — rows and changes done, failures,
/// rate, ETA, and what the run waits for.
import Testing
@testable import RosterCLI

@Suite struct ProgressLineTests {
    @Test func aRowRunSaysRowsRateETAAndWaits() {
        let text = ProgressLine.text(ProgressState(rowsTotal: 50, rowsDone: 10, rowsFailed: 1), changes: 30, elapsed: .seconds(5),
                                     waits: [(vendor: "active911", left: .seconds(38))])
        #expect(text == "rows 10/50 · 30 changes · 1 failed · 2.0 rows/s · ETA 20 s · 5 s elapsed · active911: waiting 38 s for its rate budget")
    }

    @Test func aSingleScriptSaysChangesAndRate() {
        let text = ProgressLine.text(ProgressState(), changes: 1, elapsed: .seconds(125), waits: [])
        #expect(text == "1 change · 0.0/s · 2 min 5 s elapsed")
    }
}
