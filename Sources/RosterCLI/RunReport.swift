/// RunReport.swift: what `roster run` prints about a run — the dry-run plan as lines, or the
/// whole run as one JSON document (`--json`).
import Bindings
import Engine
import Foundation
import LuaHost
import Synchronization
import Vendors

extension LuaRunOutcome {
    /// `success`, `script error`, `interrupted`, `decision needed`, a limit's kind: how the
    /// journal says a run ended.
    var journalText: String {
        switch self {
        case .success: "success"
        case .scriptError: "script error"
        case .hostError: "host error"
        case .limit(.interrupted, _): "interrupted"
        case .limit(.decision, _): "decision needed"
        case .limit(let kind, _): kind.rawValue
        }
    }

    /// `success`, `script_error`, `limit`, `host_error`.
    var kind: String {
        switch self {
        case .success: "success"
        case .scriptError: "script_error"
        case .limit: "limit"
        case .hostError: "host_error"
        }
    }

    /// The error line, or "success".
    var summary: String { message ?? "success" }
}

/// A run, reported.
struct RunReport: Encodable {
    struct Change: Encodable {
        var vendor: String
        var operation: String
        var arguments: [String: JSONValue]
    }

    struct Call: Encodable {
        var vendor: String
        var operation: String
        var effect: String
        var arguments: [String: JSONValue]
        /// planned, succeeded, failed, unknown (it may have reached the vendor; no answer),
        /// replayed (an earlier attempt of the run made it; not sent again)
        var outcome: String
        /// The vendor said it was already so.
        var already: Bool?
        var error: String?
        var duration_ms: Double
    }

    var script: String
    /// The run's id in the journal (`roster runs show ID`, `roster resume ID`).
    var run_id: Int64?
    var outcome: String
    var exit_code: Int32
    var error: String?
    /// What to check before running it again, when a vendor refused the credentials: the
    /// roster.toml key and where its secret is read from (never the secret).
    var advice: String?
    var dry_run: Bool
    var plan: [Change]
    var calls: [Call]
    var errors: [String]
    var output: String
    /// What the script returned (`return {id = 7}`): null for nothing, several values as a list.
    var result: JSONValue

    init(result: ScriptRunResult, script: String, output: String) {
        self.script = script
        self.result = result.returned
        outcome = result.outcome.kind
        exit_code = ExitStatus.of(result.outcome)
        error = result.outcome == .success ? nil : result.outcome.summary
        dry_run = result.dryRun
        let arguments = { (record: VendorCallRecord) in Dictionary(record.arguments.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 }) }
        plan = result.plan.map { Change(vendor: $0.vendor.rawValue, operation: $0.operation, arguments: arguments($0)) }
        calls = result.calls.map { record in
            var outcome = "succeeded", error: String?
            switch record.outcome {
            case .planned: outcome = "planned"
            case .succeeded: break
            case .failed(let message): outcome = "failed"; error = message
            case .unknown(let message): outcome = "unknown"; error = message
            case .replayed: outcome = "replayed"
            }
            let (seconds, attoseconds) = record.duration.components
            return Call(vendor: record.vendor.rawValue, operation: record.operation, effect: record.effect, arguments: arguments(record),
                        outcome: outcome, already: record.already ? true : nil, error: error, duration_ms: (Double(seconds) * 1000 + Double(attoseconds) / 1e15).rounded(toPlaces: 3))
        }
        errors = result.calls.compactMap {
            switch $0.outcome {
            case .failed(let message): message
            case .unknown(let message): "\($0.vendor.rawValue).\($0.operation): outcome unknown: \(message)"
            default: nil
            }
        }
            + (result.outcome == .success ? [] : [result.outcome.summary])
        self.output = output
    }

    func print() {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        CommandOutput.write(String(decoding: data, as: UTF8.self) + "\n")
    }

    /// "Dry run: 2 changes planned, none sent:" and a line per change. A dry run that did not
    /// finish (an error, a limit, a stop) says so first: its list is not the whole plan.
    static func planText(_ plan: [VendorCallRecord], finished: Bool = true) -> String {
        let count = "\(plan.count) change\(plan.count == 1 ? "" : "s")"
        var text = switch (finished, plan.isEmpty) {
        case (true, true): "Dry run: no changes planned.\n"
        case (true, false): "Dry run: \(count) planned, none sent:\n"
        case (false, true): "Dry run did not finish, and planned no change before it stopped.\n"
        case (false, false): "Dry run did not finish; \(count) planned before it stopped (not the whole plan), none sent:\n"
        }
        for change in plan { text += "  \(change.summary)\n" }
        return text
    }
}

extension Double {
    /// Rounded to thousandths (microseconds, for milliseconds).
    func rounded(toPlaces places: Int) -> Double {
        let scale = Foundation.pow(10.0, Double(places))
        return (self * scale).rounded() / scale
    }
}
