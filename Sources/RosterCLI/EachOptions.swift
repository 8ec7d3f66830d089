/// EachOptions.swift: the options of a run row by row — `--each FILE.csv`, `--parallel`,
/// `--max-failures`, `--key` — and of its results as data: `--failed-rows`, `--output`.
import ArgumentParser
import Engine
import Foundation

/// `--each` and how its rows run.
struct EachOptions: ParsableArguments {
    @Option(name: .customLong("each"), help: ArgumentHelp("Run the script once per row of FILE.csv: the row in the global `row` (keyed by the header), its line in `row_number`.", valueName: "FILE.csv"))
    var file: String?

    @OptionGroup var pacing: RowPacingOptions
    var parallel: Int { pacing.parallel }
    var maxFailures: Int? { pacing.maxFailures }

    @Option(name: .customLong("key"), help: ArgumentHelp("With --each: the column that names a row in reports (default: the first).", valueName: "COLUMN"))
    var keyColumn: String?

    @OptionGroup var results: RowResultOptions

    func validate() throws {
        guard file == nil else { return }
        let given = [("--parallel", pacing.given.contains("--parallel")), ("--max-failures", pacing.given.contains("--max-failures")),
                     ("--key", keyColumn != nil), ("--failed-rows", results.failedRows != nil), ("--output", results.output != nil)]
        if let (name, _) = given.first(where: { $0.1 }) { throw ValidationError("\(name) applies only with --each FILE.csv") }
    }
}

/// How many rows of an `--each` run go at once, and how many may fail (`run`, `submit`).
struct RowPacingOptions: ParsableArguments {
    /// `--parallel` as given. Optional rather than defaulted: a defaulted `Int` makes
    /// ArgumentParser describe its default at every start through generic printing, three
    /// scans of the binary's conformance records.
    @Option(name: .customLong("parallel"), parsing: .unconditional, help: ArgumentHelp("With --each: rows run at once (default: 4).", valueName: "N"))
    var parallelGiven: Int?

    /// Rows run at once.
    var parallel: Int { parallelGiven ?? 4 }

    @Option(name: .customLong("max-failures"), parsing: .unconditional, help: ArgumentHelp("With --each: start no new row once N rows have failed.", valueName: "N"))
    var maxFailures: Int?

    func validate() throws {
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be from 1 to 64, got \(parallel)") }
        if let maxFailures, maxFailures < 1 { throw ValidationError("--max-failures must be at least 1, got \(maxFailures)") }
    }

    /// The options given, to refuse them without --each.
    var given: [String] { (parallelGiven != nil ? ["--parallel"] : []) + (maxFailures != nil ? ["--max-failures"] : []) }
}

/// What a row-by-row run writes beside its lines (also for `roster resume`).
struct RowResultOptions: ParsableArguments {
    @Option(name: .customLong("failed-rows"), help: ArgumentHelp("With --each: write the rows that failed, with their columns and an `error` column, to OUT.csv (ready to fix and run again).", valueName: "OUT.csv"))
    var failedRows: String?

    @Option(help: ArgumentHelp("With --each: write one result per row (row, key, outcome, changes, error, and result: what the script returned) to stdout as csv, jsonl or json; row lines and the script's output go to stderr.", valueName: "FORMAT"))
    var output: RowOutputFormat?

    /// Refuses a `--failed-rows` file that could not be written once the rows have run.
    func checkWritable(reads: [ReadFile]) throws { try Diagnostics.checkWritable("--failed-rows", failedRows, reads: reads) }
}

/// `--output`: how results per row are written.
enum RowOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, jsonl, json

    /// The names, as ArgumentParser's default gives them, without its key path: a generic
    /// key path costs every start a scan of the binary's conformance records.
    static var allValueStrings: [String] { allCases.map { $0.rawValue } }
}

extension EachOptions {
    /// The CSV, read and checked: one line naming the file on any problem (exit 2). With it,
    /// where it was read and, when it cannot be read there again (a pipe), its text, which
    /// the journal keeps for a resume or an apply.
    func table() throws -> (RowTable, path: String, kept: String?) {
        guard let file else { throw ValidationError("--each is not set") }
        let data = try Diagnostics.readRows(file)
        do {
            let table = try RowTable(csv: data, name: file)
            if let keyColumn, !table.header.contains(keyColumn) {
                Diagnostics.error("roster: --key '\(keyColumn)' is not a column of \(file) (its columns: \(table.header.joined(separator: ", ")))")
                throw ExitCode(ExitStatus.usage)
            }
            return (table, UserFile.absolutePath(file), UserFile.canBeReadAgain(file) ? nil : String(decoding: data, as: UTF8.self))
        } catch let error as RowTableError {
            Diagnostics.error("roster: --each \(error.description)")
            throw ExitCode(ExitStatus.usage)
        }
    }
}
